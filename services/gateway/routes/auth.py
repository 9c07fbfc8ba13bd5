"""Accounts and sessions: register, sign in (bearer or cookie mode), refresh, sign out, me."""

from typing import Annotated, Literal

import grpc
from fastapi import APIRouter, Body, Depends, Query, Request, Response
from fastapi.security import OAuth2PasswordRequestForm

from inferlane.auth.v1 import auth_service_pb2 as pb
from inferlane.auth.v1 import auth_types_pb2
from inferlane.common.errors import INVALID_INPUT

from .. import cookies, errors
from ..deps import AuthStub, CurrentUser, JsonBody, SettingsDep
from ..errors import ProblemException
from ..schemas.auth import CookieSession, LogoutRequest, RefreshRequest, Registration, Tokens, User
from ..schemas.problems import problems
from ..security import REFRESH_COOKIE, RPC_TIMEOUT, check_csrf, unauthenticated
from ..settings import GatewaySettings

router = APIRouter(prefix="/auth", tags=["auth"])

Mode = Annotated[
    Literal["bearer", "cookie"],
    Query(description="bearer: tokens in the body; cookie: HttpOnly cookies, for browsers."),
]


def client_address(request: Request) -> str:
    """The TCP peer, or the client a GATEWAY_TRUSTED_PROXIES proxy names (see app.py)."""
    return request.client.host if request.client else ""


def _session(
    pair: auth_types_pb2.TokenPair, mode: str, response: Response, settings: GatewaySettings
) -> Tokens | CookieSession:
    response.headers["Cache-Control"] = "no-store"  # RFC 6749 §5.1: never cache tokens
    if mode == "cookie":
        csrf = cookies.set_session(response, pair, secure=settings.cookie_secure)
        return CookieSession(expires_in=pair.expires_in, csrf_token=csrf)
    return Tokens.from_pb(pair)


@router.post(
    "/register",
    status_code=201,
    dependencies=[JsonBody],
    responses=problems(409, 415, 422),
)
async def register(body: Registration, stub: AuthStub) -> User:
    """Create an account (role `user`); the password needs at least 12 characters."""
    reply = await stub.Register(
        pb.RegisterRequest(email=body.email, password=body.password), timeout=RPC_TIMEOUT
    )
    return User.from_pb(reply.user)


@router.post(
    "/token",
    response_model=Tokens | CookieSession,
    responses=problems(401, 422, 429),
)
async def token(
    form: Annotated[OAuth2PasswordRequestForm, Depends()],
    request: Request,
    response: Response,
    stub: AuthStub,
    settings: SettingsDep,
    mode: Mode = "bearer",
) -> Tokens | CookieSession:
    """Sign in with email (as `username`) and password, as an OAuth2 password form."""
    reply = await stub.Login(
        pb.LoginRequest(
            email=form.username, password=form.password, client_address=client_address(request)
        ),
        timeout=RPC_TIMEOUT,
    )
    return _session(reply.token_pair, mode, response, settings)


@router.post(
    "/refresh",
    response_model=Tokens | CookieSession,
    dependencies=[JsonBody],
    responses=problems(401, 403, 415, 422),
)
async def refresh(
    request: Request,
    response: Response,
    stub: AuthStub,
    settings: SettingsDep,
    body: Annotated[RefreshRequest | None, Body()] = None,
    mode: Mode = "bearer",
) -> Tokens | CookieSession | Response:
    """Trade a refresh token (JSON body, or the cookie with `?mode=cookie`) for a new session."""
    if mode == "cookie":
        refresh_token = request.cookies.get(REFRESH_COOKIE)
        if not refresh_token:
            raise unauthenticated("No session cookie; sign in again.")
        check_csrf(request)
    elif body is None:
        raise ProblemException(422, 'Send {"refresh_token": "…"} as JSON.', code=INVALID_INPUT)
    else:
        refresh_token = body.refresh_token
    try:
        reply = await stub.RefreshTokens(
            pb.RefreshTokensRequest(
                refresh_token=refresh_token, client_address=client_address(request)
            ),
            timeout=RPC_TIMEOUT,
        )
    except grpc.aio.AioRpcError as exc:
        if mode != "cookie" or exc.code() != grpc.StatusCode.UNAUTHENTICATED:
            raise
        # The session is over (expired, revoked or replayed): drop its cookies too.
        failed = errors.from_grpc(exc, request.url.path)
        cookies.clear_session(failed, secure=settings.cookie_secure)
        return failed
    return _session(reply.token_pair, mode, response, settings)


@router.post(
    "/logout",
    status_code=204,
    response_class=Response,
    dependencies=[JsonBody],
    responses=problems(403, 415, 422),
)
async def logout(
    request: Request,
    stub: AuthStub,
    settings: SettingsDep,
    body: Annotated[LogoutRequest | None, Body()] = None,
) -> Response:
    """Sign out: revoke the refresh token's family (JSON body or cookie) and clear cookies."""
    if body is not None:
        refresh_token: str | None = body.refresh_token
    else:
        refresh_token = request.cookies.get(REFRESH_COOKIE)
        if refresh_token:
            check_csrf(request)  # the cookie goes along on cross-site posts; the header cannot
    if refresh_token:
        await stub.Logout(pb.LogoutRequest(refresh_token=refresh_token), timeout=RPC_TIMEOUT)
    done = Response(status_code=204)
    cookies.clear_session(done, secure=settings.cookie_secure)
    return done


@router.get("/me", responses=problems(401))
async def me(caller: CurrentUser, stub: AuthStub) -> User:
    """The signed-in user."""
    reply = await stub.GetCurrentUser(pb.GetCurrentUserRequest(), timeout=RPC_TIMEOUT)
    return User.from_pb(reply.user)
