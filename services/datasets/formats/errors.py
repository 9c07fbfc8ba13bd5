"""The one error this package raises: the file cannot be used as a dataset."""

from inferlane.common.errors import UNREADABLE_FILE, InvalidInput


class UnreadableFile(InvalidInput):
    """The message says what is wrong and where (line, byte, column), for the uploader to fix."""

    def __init__(self, message: str) -> None:
        super().__init__(message, code=UNREADABLE_FILE)
