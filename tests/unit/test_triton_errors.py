"""How Triton's failures are read: gone (retry, count towards the breaker) versus busy."""

import pytest
from tritonclient.utils import InferenceServerException

from inferlane.common.errors import InvalidInput, NotFound
from services.inference.breaker import CircuitBreaker
from services.inference.triton import TritonDown, TritonSlow, _domain_error


@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("StatusCode.UNAVAILABLE", TritonDown),
        ("StatusCode.CANCELLED", TritonDown),
        ("StatusCode.DEADLINE_EXCEEDED", TritonSlow),
        ("StatusCode.INVALID_ARGUMENT", InvalidInput),
        ("StatusCode.NOT_FOUND", NotFound),
    ],
)
def test_triton_status_maps_to_a_domain_error(status, expected):
    error = _domain_error(InferenceServerException("boom", status=status))
    assert type(error) is expected


def test_a_slow_answer_neither_opens_the_breaker_nor_blocks_its_trial():
    now = [0.0]
    breaker = CircuitBreaker(threshold=2, reset_seconds=1.0, clock=lambda: now[0])
    breaker.failed()
    breaker.failed()
    assert breaker.state == "open"
    now[0] = 1.5
    breaker.before_call()  # the trial call
    breaker.released()  # it only timed out: no verdict
    breaker.before_call()  # so another trial may go
    breaker.succeeded()
    assert breaker.state == "closed"


def test_slow_answers_alone_keep_the_circuit_closed():
    breaker = CircuitBreaker(threshold=2, reset_seconds=1.0)
    for _ in range(10):
        breaker.before_call()
        breaker.released()
    assert breaker.state == "closed"
