"""When to try a request again: 429 and 503 only, after `Retry-After` when the gateway sends
it (else exponential backoff), for a bounded number of attempts. Both clients use this."""

from dataclasses import dataclass

import tenacity

from .errors import ApiError

RETRY_STATUSES = frozenset({429, 503})


@dataclass(frozen=True)
class RetryPolicy:
    max_attempts: int = 4  # 1 means no retry
    backoff: float = 0.5  # first wait without Retry-After, in seconds; doubles each time
    max_wait: float = 30.0  # cap on one wait, Retry-After included

    def retryable(self, exc: BaseException) -> bool:
        return isinstance(exc, ApiError) and exc.status in RETRY_STATUSES

    def wait(self, state: tenacity.RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        if isinstance(exc, ApiError) and exc.retry_after is not None:
            return min(exc.retry_after, self.max_wait)
        return min(self.backoff * 2 ** (state.attempt_number - 1), self.max_wait)

    def _options(self) -> dict[str, object]:
        return {
            "stop": tenacity.stop_after_attempt(max(1, self.max_attempts)),
            "wait": self.wait,
            "retry": tenacity.retry_if_exception(self.retryable),
            "reraise": True,  # the caller sees our typed error, not tenacity's RetryError
        }

    def sync(self) -> tenacity.Retrying:
        return tenacity.Retrying(**self._options())  # type: ignore[arg-type]

    def asynchronous(self) -> tenacity.AsyncRetrying:
        return tenacity.AsyncRetrying(**self._options())  # type: ignore[arg-type]


NO_RETRY = RetryPolicy(max_attempts=1)
