"""The one Triton client of the process, behind a small adapter: deadlines, retries with
backoff on UNAVAILABLE, a circuit breaker, and Triton's errors as domain errors."""

from typing import NoReturn

import numpy as np
import tritonclient.grpc.aio as triton_grpc
from numpy.typing import NDArray
from opentelemetry.trace import SpanKind, Status, StatusCode
from prometheus_client import Histogram
from tenacity import AsyncRetrying, retry_if_exception_type, stop_after_attempt, wait_exponential
from tritonclient.utils import InferenceServerException, np_to_triton_dtype

from inferlane.common import tracing
from inferlane.common.errors import INVALID_INPUT, InvalidInput, NotFound, Unavailable
from services.inference.breaker import CircuitBreaker, CircuitOpen
from services.inference.merged_calls import Limits

MODEL_SECONDS = Histogram(
    "inferlane_model_latency_seconds",
    "Time of one Triton inference call.",
    ["model"],
    buckets=(0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5),
)
_DOWN = ("UNAVAILABLE", "CANCELLED")
# Triton answers a model's config from memory: one slower than this is busy or hung, and the
# call goes unmerged rather than waiting a whole deadline before its own request.
LIMITS_TIMEOUT = 1.0


class TritonSlow(Unavailable):
    """No answer within the deadline: Triton is busy, not gone. It is neither retried here
    (another call would only add to its queue) nor counted by the breaker (opening it would
    fail every call in the queue behind a server that is working)."""


class TritonDown(Unavailable):
    pass


class Triton:
    def __init__(
        self, url: str, *, timeout: float, breaker: CircuitBreaker, attempts: int = 3
    ) -> None:
        self._client = triton_grpc.InferenceServerClient(url)
        self._timeout = timeout
        self._breaker = breaker
        self._attempts = attempts

    async def is_ready(self) -> bool:
        """Triton's own readiness: live, and every model it was asked to load is loaded."""
        return bool(await self._client.is_server_ready(client_timeout=self._timeout))

    async def is_model_ready(self, name: str, version: str = "") -> bool:
        try:
            return bool(
                await self._client.is_model_ready(name, version, client_timeout=self._timeout)
            )
        except InferenceServerException:
            return False

    async def limits(self, name: str, version: str = "") -> Limits | None:
        """How many rows one request to the model may carry and how many requests Triton
        runs at once (its instances), from the model's config; None when Triton cannot say."""
        try:
            reply = await self._client.get_model_config(
                name, version, as_json=True, client_timeout=min(self._timeout, LIMITS_TIMEOUT)
            )
        except InferenceServerException:
            return None
        config = reply.get("config", {})
        max_rows = int(config.get("max_batch_size", 0))
        instances = sum(int(group.get("count", 1)) for group in config.get("instance_group", []))
        return Limits(max_rows, max(instances, 1)) if max_rows > 0 else None

    async def infer(
        self,
        model: str,
        inputs: dict[str, NDArray[np.object_ | np.float32]],
        output: str,
        version: str = "",
    ) -> NDArray[np.float32]:
        tensors = []
        for name, array in inputs.items():
            tensor = triton_grpc.InferInput(
                name, list(array.shape), np_to_triton_dtype(array.dtype)
            )
            tensor.set_data_from_numpy(array)
            tensors.append(tensor)
        requested = [triton_grpc.InferRequestedOutput(output)]
        retrying = AsyncRetrying(
            retry=retry_if_exception_type(TritonDown),
            stop=stop_after_attempt(self._attempts),
            wait=wait_exponential(multiplier=0.05, max=0.5),
            reraise=True,
        )
        async for attempt in retrying:
            with attempt:
                return await self._infer_once(model, version, tensors, requested, output)
        raise AssertionError("unreachable: tenacity reraises")

    async def _infer_once(
        self,
        model: str,
        version: str,
        tensors: list[triton_grpc.InferInput],
        requested: list[triton_grpc.InferRequestedOutput],
        output: str,
    ) -> NDArray[np.float32]:
        try:
            self._breaker.before_call()
        except CircuitOpen as exc:
            raise Unavailable(str(exc)) from exc  # not TritonDown: failing fast is not retried
        # One client span per attempt; Triton gets the trace context too (its own tracing, when
        # on, continues the trace).
        with tracing.tracer().start_as_current_span(
            "triton.infer",
            kind=SpanKind.CLIENT,
            attributes={"rpc.system": "grpc", "triton.model": model, "triton.version": version},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                with MODEL_SECONDS.labels(model).time():
                    result = await self._client.infer(
                        model,
                        tensors,
                        model_version=version,
                        outputs=requested,
                        client_timeout=self._timeout,
                        headers=tracing.inject() or None,
                    )
            except InferenceServerException as exc:
                span.set_status(Status(StatusCode.ERROR, str(exc.status() or "")))
                self._failed(exc)
        self._breaker.succeeded()
        return np.asarray(result.as_numpy(output))

    def _failed(self, exc: InferenceServerException) -> NoReturn:
        """Tell the breaker what the failure says about Triton, and raise it as a domain error."""
        error = _domain_error(exc)
        if isinstance(error, TritonDown):
            self._breaker.failed()
        elif isinstance(error, TritonSlow):
            self._breaker.released()
        else:
            self._breaker.succeeded()  # Triton answered: it is up, the request was bad
        raise error from exc

    async def close(self) -> None:
        await self._client.close()


def _domain_error(exc: InferenceServerException) -> Exception:
    status = str(exc.status() or "")
    message = exc.message() or "Triton refused the request"
    if any(code in status for code in _DOWN):
        return TritonDown("the model server is unavailable")
    if "DEADLINE_EXCEEDED" in status:
        return TritonSlow("the model server is busy: no answer within the deadline")
    if "NOT_FOUND" in status or "unknown model" in message or "is not found" in message:
        return NotFound("no such model")
    if "INVALID_ARGUMENT" in status:
        return InvalidInput(message, code=INVALID_INPUT)
    return Unavailable(f"the model server failed: {message}")
