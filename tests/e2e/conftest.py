"""One running platform for the end-to-end tests of the console and the CLI."""

from collections.abc import Iterator

import pytest

from tests.support.browser import browser, context, page, shots  # noqa: F401 (fixtures)
from tests.support.platform import Platform, running_platform
from tests.support.servers import Triton


@pytest.fixture(scope="session")
def platform(
    postgres_url: str, triton: Triton, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Platform]:
    # Webhook tests deliver to a receiver on this machine: loopback is refused by default.
    loopback = {"TASKS_WEBHOOKS_ALLOW_NETWORKS": "127.0.0.1/32"}
    with running_platform(
        postgres_url, triton.url, tmp_path_factory.mktemp("platform"), **loopback
    ) as p:
        yield p
