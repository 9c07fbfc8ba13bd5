"""Named crash points for crash-safety tests: `INFERLANE_FAILPOINTS=name[,name]` makes the
process die (as kill -9 would: no cleanup, no flush) the first time it reaches `name`.

Off unless the variable is set; production never sets it. Tests use it where the moment to
kill cannot be hit from outside, e.g. between a JetStream publish and the database commit.
"""

import os

_ARMED = frozenset(filter(None, os.environ.get("INFERLANE_FAILPOINTS", "").split(",")))


def hit(name: str) -> None:
    if name in _ARMED:
        os._exit(137)
