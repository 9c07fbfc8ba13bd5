"""Where the CLI keeps its settings and secret, and which wins: options, then the environment
(INFERLANE_URL, INFERLANE_API_KEY), then the config file, then defaults.

The file is `config.json` in INFERLANE_CONFIG_DIR, else the user's config directory
(`typer.get_app_dir("inferlane")`); it holds a secret, so it is created 0600 in a 0700 dir.
"""

import json
import os
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import typer

from inferlane.client import DEFAULT_URL, Client

CONFIG_DIR_ENV = "INFERLANE_CONFIG_DIR"
URL_ENV = "INFERLANE_URL"
API_KEY_ENV = "INFERLANE_API_KEY"
FILE_NAME = "config.json"


@dataclass(frozen=True)
class Config:
    url: str | None = None
    api_key: str | None = None
    api_key_id: str | None = None  # so `logout` can revoke the key it created
    email: str | None = None


def config_dir() -> Path:
    return Path(os.environ.get(CONFIG_DIR_ENV) or typer.get_app_dir("inferlane"))


def config_path() -> Path:
    return config_dir() / FILE_NAME


def load() -> Config:
    try:
        data = json.loads(config_path().read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Config()
    except (OSError, ValueError) as exc:
        raise typer.BadParameter(f"cannot read {config_path()}: {exc}") from None
    known = Config.__dataclass_fields__
    return Config(**{k: v for k, v in data.items() if k in known and isinstance(v, str)})


def save(config: Config) -> Path:
    """Write atomically with owner-only permissions (the file holds an API key)."""
    path = config_path()
    path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    temporary = path.with_name(f".{FILE_NAME}.{os.getpid()}")
    fd = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as out:
        json.dump({k: v for k, v in asdict(config).items() if v is not None}, out, indent=2)
    os.chmod(temporary, 0o600)  # in case the file already existed with a looser mode
    temporary.replace(path)
    return path


def forget_credentials() -> Config:
    config = replace(load(), api_key=None, api_key_id=None, email=None)
    save(config)
    return config


def resolve_url(option: str | None, config: Config) -> str:
    return option or os.environ.get(URL_ENV) or config.url or DEFAULT_URL


def resolve_api_key(config: Config) -> str | None:
    return os.environ.get(API_KEY_ENV) or config.api_key


def open_client(url: str | None) -> Client:
    """A client for the resolved URL and credential (none: the call will answer 401)."""
    config = load()
    return Client(resolve_url(url, config), api_key=resolve_api_key(config))
