"""Browser sessions: the token pair in HttpOnly, SameSite=Strict cookies plus a CSRF token.

`il_access` goes with every request; `il_refresh` only to /api/v1/auth (refresh and logout);
`il_csrf` is readable by our own scripts, which echo it as X-CSRF-Token (double submit).
"""

import secrets

from starlette.responses import Response

from inferlane.auth.v1 import auth_types_pb2

from .security import ACCESS_COOKIE, CSRF_COOKIE, REFRESH_COOKIE

REFRESH_PATH = "/api/v1/auth"
_PATHS = {ACCESS_COOKIE: "/", REFRESH_COOKIE: REFRESH_PATH, CSRF_COOKIE: "/"}


def set_session(response: Response, pair: auth_types_pb2.TokenPair, *, secure: bool) -> str:
    """Set the three cookies; returns the new CSRF token (the body tells it to the page too)."""
    csrf = secrets.token_urlsafe(32)
    values = {
        ACCESS_COOKIE: (pair.access_token, pair.expires_in, True),
        REFRESH_COOKIE: (pair.refresh_token, pair.refresh_expires_in, True),
        # The CSRF cookie lives as long as the refresh cookie, so a refresh can check it.
        CSRF_COOKIE: (csrf, pair.refresh_expires_in, False),
    }
    for name, (value, max_age, httponly) in values.items():
        response.set_cookie(
            name,
            value,
            max_age=max_age,
            path=_PATHS[name],
            secure=secure,
            httponly=httponly,
            samesite="strict",
        )
    return csrf


def clear_session(response: Response, *, secure: bool) -> None:
    for name, path in _PATHS.items():
        response.delete_cookie(
            name, path=path, secure=secure, httponly=name != CSRF_COOKIE, samesite="strict"
        )
