"""Accounts over the gateway's REST auth routes: register, sign in (bearer or cookie), and the
first admin the way the CLI makes one."""

from dataclasses import dataclass
from pathlib import Path

import httpx

from inferlane.common.db import make_engine
from services.auth.process import auth_service
from services.auth.settings import AuthSettings
from tests.support.accounts import PASSWORD, unique_email


@dataclass(frozen=True)
class Session:
    user_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def headers(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.access_token}"}


async def register(api: httpx.AsyncClient, email: str | None = None) -> dict[str, object]:
    response = await api.post(
        "/api/v1/auth/register", json={"email": email or unique_email(), "password": PASSWORD}
    )
    assert response.status_code == 201, response.text
    user: dict[str, object] = response.json()
    return user


async def sign_in(api: httpx.AsyncClient, email: str, password: str = PASSWORD) -> Session:
    response = await api.post("/api/v1/auth/token", data={"username": email, "password": password})
    assert response.status_code == 200, response.text
    body = response.json()
    me = await api.get(
        "/api/v1/auth/me", headers={"Authorization": f"Bearer {body['access_token']}"}
    )
    return Session(me.json()["id"], email, password, body["access_token"], body["refresh_token"])


async def sign_up(api: httpx.AsyncClient) -> Session:
    user = await register(api)
    return await sign_in(api, str(user["email"]))


async def cookie_sign_in(browser: httpx.AsyncClient) -> dict[str, object]:
    """Register and sign in in cookie mode; the browser's jar keeps the cookies."""
    user = await register(browser)
    response = await browser.post(
        "/api/v1/auth/token?mode=cookie", data={"username": user["email"], "password": PASSWORD}
    )
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


async def promote_to_admin(db: str, email: str, key_dir: Path) -> None:
    """The first admin comes from the CLI's code path, which only touches the database."""
    settings = AuthSettings(database_url=db, signing_key_file=key_dir / "admin-cli-key.pem")
    engine = make_engine(db, pool_size=1)
    try:
        service, _, _ = auth_service(settings, engine)
        await service.ensure_admin(email, None)
    finally:
        await engine.dispose()
