"""A size limit on request bodies, so that no JSON body is buffered past it.

Uploads (multipart/form-data to the upload routes, `streamed_paths`) are streamed and
counted by their routes against the upload limit; every other body, multipart ones sent
elsewhere included (a JSON route would read them whole), is refused with a 413 problem once
it passes `max_body_bytes`: at once when Content-Length announces it, else as soon as the
bytes read pass it.
"""

from starlette.datastructures import Headers
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .errors import ProblemException, problem

STREAMED_MEDIA_TYPE = "multipart/form-data"


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_body_bytes: int, streamed_paths: frozenset[str]) -> None:
        self.app = app
        self.max_body_bytes = max_body_bytes
        self.streamed_paths = streamed_paths

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        media_type = headers.get("content-type", "").split(";", 1)[0].strip().lower()
        streamed = scope["path"].rstrip("/") in self.streamed_paths
        if media_type == STREAMED_MEDIA_TYPE and streamed:
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        declared = headers.get("content-length", "")
        if declared.isdigit() and int(declared) > limit:
            await problem(413, instance=scope["path"], detail=self._detail())(scope, receive, send)
            return
        received = 0

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    # FastAPI re-raises an HTTPException met while reading the body; the
                    # problem handler answers it.
                    raise ProblemException(413, self._detail())
            return message

        await self.app(scope, counting_receive, send)

    def _detail(self) -> str:
        return f"The request body is larger than the {self.max_body_bytes:,}-byte limit."
