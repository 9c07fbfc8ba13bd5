"""HTTP metrics, labelled by route template (``/api/v1/tasks/{id}``) to keep cardinality low."""

from prometheus_client import Counter, Histogram

REQUESTS = Counter(
    "inferlane_http_requests_total",
    "HTTP requests answered by the gateway.",
    ["method", "route", "status"],
)
DURATION = Histogram(
    "inferlane_http_request_duration_seconds",
    "Time from request to the end of the response body.",
    ["method", "route"],
)

UNMATCHED = "unmatched"
