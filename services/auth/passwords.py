"""Password policy and argon2id hashing (argon2-cffi's defaults follow RFC 9106)."""

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from inferlane.common.auth.password_rules import MAX_LENGTH, MIN_LENGTH
from inferlane.common.errors import INVALID_INPUT, InvalidInput


class Passwords:
    def __init__(self, hasher: PasswordHasher | None = None) -> None:
        self._hasher = hasher or PasswordHasher()
        # Verified against when the email is unknown, so both cases cost the same time.
        self._dummy_hash = self._hasher.hash("not-a-real-password-0000")

    def check_policy(self, password: str, email: str) -> None:
        if len(password) < MIN_LENGTH:
            raise InvalidInput(
                f"the password must have at least {MIN_LENGTH} characters", code=INVALID_INPUT
            )
        if len(password) > MAX_LENGTH:
            raise InvalidInput(
                f"the password must have at most {MAX_LENGTH} characters", code=INVALID_INPUT
            )
        if password.strip().lower() == email.strip().lower():
            raise InvalidInput("the password must not be the email address", code=INVALID_INPUT)

    def hash(self, password: str) -> str:
        return self._hasher.hash(password)

    def verify(self, password_hash: str | None, password: str) -> bool:
        try:
            return (
                self._hasher.verify(password_hash or self._dummy_hash, password)
                and password_hash is not None
            )
        except (VerificationError, InvalidHashError):
            return False

    def needs_rehash(self, password_hash: str) -> bool:
        return self._hasher.check_needs_rehash(password_hash)
