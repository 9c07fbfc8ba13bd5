"""Factories for accounts over the real auth gRPC API (as in the FastAPI template's tests/utils)."""

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import grpc

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_service_pb2_grpc

PASSWORD = "correct horse battery staple"


@dataclass(frozen=True)
class Account:
    user_id: str
    email: str
    password: str
    access_token: str
    refresh_token: str

    @property
    def metadata(self) -> list[tuple[str, str]]:
        return [("authorization", f"Bearer {self.access_token}")]


def unique_email(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}@example.com"


async def create_account(
    channel: grpc.aio.Channel, email: str | None = None, password: str = PASSWORD
) -> Account:
    stub = auth_service_pb2_grpc.AuthServiceStub(channel)
    email = email or unique_email()
    user = (await stub.Register(pb.RegisterRequest(email=email, password=password))).user
    pair = (await stub.Login(pb.LoginRequest(email=email, password=password))).token_pair
    return Account(user.id, user.email, password, pair.access_token, pair.refresh_token)


def auth_stub(channel: grpc.aio.Channel) -> auth_service_pb2_grpc.AuthServiceStub:
    return auth_service_pb2_grpc.AuthServiceStub(channel)


def bearer(token: str) -> list[tuple[str, str]]:
    return [("authorization", f"Bearer {token}")]


class MovableClock:
    """An injectable clock for the services (aware UTC); tests move it instead of sleeping."""

    def __init__(self, start: datetime | None = None) -> None:
        self.now = start or datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> datetime:
        self.now += timedelta(**delta)
        return self.now


async def sign_in(channel: grpc.aio.Channel, account: Account) -> Account:
    pair = (
        await auth_stub(channel).Login(
            pb.LoginRequest(email=account.email, password=account.password)
        )
    ).token_pair
    return Account(
        account.user_id, account.email, account.password, pair.access_token, pair.refresh_token
    )
