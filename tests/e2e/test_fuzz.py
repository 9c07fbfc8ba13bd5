"""`make fuzz` in CI: schemathesis, every check, over every operation of the running
platform, signed in, with a bounded example count and a fixed seed: no failure."""

from tests.support.platform import Platform
from tools.devstack import fuzz


def test_schemathesis_finds_nothing_over_every_operation(platform: Platform) -> None:
    assert fuzz.main(["--url", platform.url, "--max-examples", "8", "--seed", "14"]) == 0
