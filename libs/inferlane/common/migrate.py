"""CLI: ``python -m inferlane.common.migrate SERVICE [upgrade|downgrade] [REVISION]``.

Waits for the database first, so a process manager can start it beside PostgreSQL.
"""

import argparse
import time

import psycopg

from inferlane.common import migrations
from inferlane.common.settings import CommonSettings


def wait_for_database(url: str, timeout: float) -> None:
    conninfo = (
        migrations.psycopg_url(url)
        .set(drivername="postgresql")
        .render_as_string(hide_password=False)
    )
    deadline = time.monotonic() + timeout
    while True:
        try:
            psycopg.connect(conninfo, connect_timeout=2).close()
            return
        except psycopg.OperationalError:
            if time.monotonic() > deadline:
                raise
            time.sleep(0.3)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("service", choices=migrations.SERVICES_WITH_SCHEMA)
    parser.add_argument("action", nargs="?", default="upgrade", choices=["upgrade", "downgrade"])
    parser.add_argument("revision", nargs="?")
    parser.add_argument("--wait", type=float, default=60.0, help="seconds to wait for the database")
    args = parser.parse_args()
    url = CommonSettings().database_url
    wait_for_database(url, args.wait)
    if args.action == "upgrade":
        migrations.upgrade(args.service, url, args.revision or "head")
    else:
        migrations.downgrade(args.service, url, args.revision or "base")


if __name__ == "__main__":
    main()
