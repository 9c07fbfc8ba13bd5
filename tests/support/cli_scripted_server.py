"""A real HTTP server (Starlette on uvicorn, in a thread, on a free port) that answers from a
script: each request gets the next scripted answer and is recorded, for client tests."""

import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from tests.support.waiting import free_port, wait_until


@dataclass(frozen=True)
class Answer:
    status: int
    body: Any = None
    headers: dict[str, str] = field(default_factory=dict)

    @classmethod
    def problem(cls, status: int, title: str, detail: str, **headers: str) -> "Answer":
        body = {
            "type": "about:blank",
            "title": title,
            "status": status,
            "detail": detail,
            "instance": "/api/v1/x",
            "code": title.lower().replace(" ", "_"),
            "request_id": f"req-{status}",
        }
        return cls(status, body, headers)


@dataclass(frozen=True)
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class ScriptedServer:
    url: str
    answers: list[Answer] = field(default_factory=list)
    seen: list[Seen] = field(default_factory=list)

    def script(self, *answers: Answer) -> None:
        self.answers[:] = answers
        self.seen.clear()


@contextmanager
def scripted_server() -> Iterator[ScriptedServer]:
    port = free_port()
    state = ScriptedServer(url=f"http://127.0.0.1:{port}")

    async def answer(request: Request) -> Response:
        body = await request.body()
        state.seen.append(Seen(request.method, request.url.path, dict(request.headers), body))
        scripted = state.answers.pop(0) if state.answers else Answer(500, {"title": "no script"})
        media = "application/problem+json" if scripted.status >= 400 else "application/json"
        return JSONResponse(
            scripted.body, scripted.status, headers=scripted.headers, media_type=media
        )

    methods = ["GET", "POST", "DELETE"]
    app = Starlette(routes=[Route("/{path:path}", answer, methods=methods)])
    server = uvicorn.Server(uvicorn.Config(app, port=port, log_level="warning", lifespan="off"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    try:
        wait_until(lambda: server.started, 10, "the scripted server")
        yield state
    finally:
        server.should_exit = True
        thread.join(10)
