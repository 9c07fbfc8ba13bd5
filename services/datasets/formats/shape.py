"""ShapeGuard: refuse a JSON record that is too deep or holds too many values, before any
parser builds it.

It reads ijson's basic events (no path prefixes: ijson's `items` keeps a prefix string per
level, so memory grows with the square of the depth) and keeps two counters, so its own
memory is constant. Bytes go to the guard first and to the building parser only after it
has passed them.
"""

from collections.abc import Callable

import ijson

from .limits import Limits, exceeded

_OPEN = frozenset(("start_map", "start_array"))
_CLOSE = frozenset(("end_map", "end_array"))


class ShapeGuard:
    """Records are the values at depth `base` + 1 (1 in a JSON array, 0 for a JSON line);
    `where(n)` names the n-th record (0-based) in messages."""

    def __init__(self, limits: Limits, base: int, where: Callable[[int], str]) -> None:
        self._limits = limits
        self._base = base
        self._where = where
        self._events = ijson.sendable_list()
        self._parser = ijson.basic_parse_coro(self._events, use_float=True)
        self._depth = 0
        self._values = 0
        self._record = 0

    def feed(self, data: bytes) -> None:
        """Raises UnreadableFile past a limit, ijson.JSONError on bad syntax."""
        self._parser.send(data)
        depth, values = self._depth, self._values
        top = self._base + self._limits.max_nesting_depth
        most = self._limits.max_values_per_record
        for event, _ in self._events:
            if event in _OPEN:
                depth += 1
                if depth > top:
                    self._fail_depth()
                if depth <= self._base:  # the array around the records
                    continue
            elif event in _CLOSE:
                depth -= 1
                if depth == self._base:  # a record ended
                    self._record += 1
                    values = 0
                continue
            elif event == "map_key":
                continue
            elif depth == self._base:  # a scalar record: the reader will refuse it
                self._record += 1
                continue
            values += 1
            if values > most:
                where = self._where(self._record)
                raise exceeded(
                    where, "too many values in one record", "max_values_per_record", most
                )
        del self._events[:]
        self._depth, self._values = depth, values

    def _fail_depth(self) -> None:
        limit = self._limits.max_nesting_depth
        where = self._where(self._record)
        raise exceeded(where, "nested too deep", "max_nesting_depth", limit)
