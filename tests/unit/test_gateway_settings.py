"""Gateway settings: prefixed own values, unprefixed shared ones, JSON lists."""

import pytest

from services.gateway.settings import GatewaySettings


def test_defaults_are_local(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ("GATEWAY_HOST", "GATEWAY_PORT", "GATEWAY_CORS_ORIGINS", "INFERENCE_ADDR"):
        monkeypatch.delenv(name, raising=False)
    settings = GatewaySettings()
    assert (settings.host, settings.port, settings.cors_origins) == ("127.0.0.1", 8080, [])
    assert settings.inference_addr == "127.0.0.1:50054"


def test_environment_names(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GATEWAY_PORT", "9000")
    monkeypatch.setenv("GATEWAY_CORS_ORIGINS", '["https://a.example","https://b.example"]')
    monkeypatch.setenv("AUTH_ADDR", "auth:50051")
    monkeypatch.setenv("DATABASE_URL", "postgresql://db/inferlane")
    settings = GatewaySettings()
    assert settings.port == 9000
    assert settings.cors_origins == ["https://a.example", "https://b.example"]
    assert settings.auth_addr == "auth:50051"
    assert settings.database_url == "postgresql://db/inferlane"


def test_every_field_is_described() -> None:
    missing = [n for n, f in GatewaySettings.model_fields.items() if not f.description]
    assert missing == []
