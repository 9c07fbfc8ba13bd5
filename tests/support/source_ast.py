"""ast.parse for the tests that read the source tree.

CPython 3.11 keeps the AST converter's recursion counter in state shared by all threads
(python/cpython#106905), and 3.11's tracebacks parse source to place their carets: a
background thread formatting a traceback while a test parses can make that test's parse
fail with "SystemError: AST constructor recursion depth mismatch". The parse itself is sound,
so it is tried again."""

import ast

ATTEMPTS = 3


def parse(source: str, filename: str = "<unknown>") -> ast.Module:
    for attempt in range(ATTEMPTS):
        try:
            return ast.parse(source, filename)
        except SystemError as exc:
            if "recursion depth mismatch" not in str(exc) or attempt == ATTEMPTS - 1:
                raise
    raise AssertionError("unreachable")
