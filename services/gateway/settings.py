"""The gateway's typed settings, read once at start and passed down (never at import time)."""

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from inferlane.common.settings import CommonSettings, shared


class GatewaySettings(CommonSettings):
    """HTTP listener, CORS, readiness and the addresses of the four gRPC services."""

    model_config = SettingsConfigDict(env_prefix="GATEWAY_", extra="ignore", validate_by_name=True)

    host: str = Field(default="127.0.0.1", description="Address the HTTP server binds.")
    port: int = Field(default=8080, description="HTTP port.")
    keep_alive_seconds: int = Field(
        default=75,
        gt=0,
        description="How long an idle keep-alive connection stays open. Longer than the usual "
        "load-balancer idle timeout, so the balancer closes first and never sends on a "
        "connection this server is closing.",
    )
    cors_origins: list[str] = Field(
        default_factory=list,
        description='Browser origins allowed by CORS, as a JSON list (["https://a.example"]); '
        "empty: CORS off.",
    )
    cookie_secure: bool = Field(
        default=True,
        description="Mark session cookies Secure (sent over HTTPS only); false only for "
        "http://localhost development.",
    )
    create_concurrency: int = Field(
        default=32,
        gt=0,
        description="Task creations this gateway has in flight to the tasks service at once; "
        "the rest wait here, first come first served.",
    )
    create_queue_seconds: float = Field(
        default=5.0,
        gt=0,
        description="Longest wait for one of those: a creation that cannot be sent by then is a "
        "503 with Retry-After (nothing created), not a 504 after the tasks service's backlog.",
    )
    readiness_timeout_seconds: float = Field(
        default=2.0, gt=0, description="How long /readyz waits for each dependency."
    )
    max_upload_bytes: int = Field(
        default=50 * 1024 * 1024,
        gt=0,
        description="Largest file part of an upload, as sent (the datasets service applies its "
        "own limit after gzip inflation); over it: 413.",
    )
    trusted_proxies: list[str] = Field(
        default_factory=list,
        description="Addresses or networks of the proxies in front of the gateway, as a JSON "
        'list (["10.0.0.0/8"]); X-Forwarded-For/-Proto are believed only from them. Empty: '
        "never (the client is the TCP peer).",
    )
    max_body_bytes: int = Field(
        default=1024 * 1024,
        gt=0,
        description="Largest request body other than an upload (JSON); over it: 413.",
    )
    # Peers use the same unprefixed names in every process, so one .env serves them all.
    auth_addr: str = shared("AUTH_ADDR", "127.0.0.1:50051", "Auth service gRPC address.")
    datasets_addr: str = shared(
        "DATASETS_ADDR", "127.0.0.1:50052", "Datasets service gRPC address."
    )
    tasks_addr: str = shared("TASKS_ADDR", "127.0.0.1:50053", "Tasks service gRPC address.")
    inference_addr: str = shared(
        "INFERENCE_ADDR", "127.0.0.1:50054", "Inference service gRPC address."
    )
