"""Embedded PostgreSQL in the foreground: `python -m tools.devstack.postgres DATA PORT`.

PostgreSQL refuses to run as root. As root we do what pgserver does (a `pgserver` system
user owning the data, readable binaries) with pgserver's own helpers, then drop to that
user and exec `postgres`, so a process manager supervises the server itself.
"""

import argparse
import os
import pwd
import stat
import subprocess
from pathlib import Path

from tools.devstack import binaries

SYSTEM_USER = "pgserver"


def _run_as() -> pwd.struct_passwd | None:
    if os.geteuid() != 0:
        return None
    from pgserver.utils import (
        ensure_folder_permissions,
        ensure_prefix_permissions,
        ensure_user_exists,
    )

    entry = ensure_user_exists(SYSTEM_USER)
    assert entry is not None
    bin_dir = binaries.postgres_bin()
    ensure_prefix_permissions(bin_dir)
    readable = stat.S_IRGRP | stat.S_IROTH
    ensure_folder_permissions(bin_dir, readable | stat.S_IXGRP | stat.S_IXOTH)
    ensure_folder_permissions(bin_dir.parent / "lib", readable)
    return entry


def prepare(data_dir: Path) -> pwd.struct_passwd | None:
    """initdb once (trust auth, loopback only); returns the user to run as, if not us."""
    user = _run_as()
    data_dir.mkdir(parents=True, exist_ok=True)
    if user is not None:
        from pgserver.utils import ensure_prefix_permissions

        ensure_prefix_permissions(data_dir)
        os.chown(data_dir, user.pw_uid, user.pw_gid)
    if not (data_dir / "PG_VERSION").exists():
        subprocess.run(
            [
                str(binaries.postgres_bin() / "initdb"),
                "-D",
                str(data_dir),
                "-U",
                "postgres",
                "--auth=trust",
                "--encoding=UTF8",
                "--no-sync",
            ],
            check=True,
            capture_output=True,
            user=user.pw_uid if user else None,
            group=user.pw_gid if user else None,
        )
    return user


def exec_postgres(data_dir: Path, port: int) -> None:
    user = prepare(data_dir)
    if user is not None:
        os.setgid(user.pw_gid)
        os.setuid(user.pw_uid)
    postgres = str(binaries.postgres_bin() / "postgres")
    # Replace this process: the manager then supervises postgres itself.
    os.execv(  # noqa: S606
        postgres,
        [
            postgres,
            "-D",
            str(data_dir),
            "-h",
            "127.0.0.1",
            "-p",
            str(port),
            "-k",
            str(data_dir),  # the socket next to the data, not in /var/run
            "-c",
            "max_connections=200",
        ],
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("data_dir", type=Path)
    parser.add_argument("port", type=int)
    args = parser.parse_args()
    exec_postgres(args.data_dir.resolve(), args.port)


if __name__ == "__main__":
    main()
