"""The one Triton client of the process, behind a small adapter."""

import tritonclient.grpc.aio as triton_grpc


class Triton:
    def __init__(self, url: str, timeout: float) -> None:
        self._client = triton_grpc.InferenceServerClient(url)
        self._timeout = timeout

    async def is_ready(self) -> bool:
        """Triton's own readiness: live, and every model it was asked to load is loaded."""
        return bool(await self._client.is_server_ready(client_timeout=self._timeout))

    async def close(self) -> None:
        await self._client.close()
