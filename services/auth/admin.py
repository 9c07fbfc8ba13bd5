"""`python -m services.auth.admin EMAIL`: make an account an admin (creating it if needed).

The first admin comes from here, never from self-registration. The password of a new
account is read from $INFERLANE_ADMIN_PASSWORD, or asked for at the terminal.
"""

import argparse
import asyncio
import getpass
import os

from inferlane.common.db import make_engine
from services.auth.process import auth_service
from services.auth.settings import AuthSettings


async def promote(email: str, password: str | None) -> str:
    settings = AuthSettings()
    engine = make_engine(settings.database_url, pool_size=1)
    try:
        service, _, _ = auth_service(settings, engine)
        user = await service.ensure_admin(email, password)
        return f"{user.email} is an admin (id {user.id})"
    finally:
        await engine.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("email")
    parser.add_argument(
        "--create", action="store_true", help="create the account if it does not exist"
    )
    args = parser.parse_args()
    password = None
    if args.create:
        password = os.environ.get("INFERLANE_ADMIN_PASSWORD") or getpass.getpass(
            "Password for the new admin: "
        )
    print(asyncio.run(promote(args.email, password)))


if __name__ == "__main__":
    main()
