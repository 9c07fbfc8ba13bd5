"""The password policy's lengths: enforced by the auth service, stated by the gateway's
OpenAPI document (one home, so the two cannot drift)."""

MIN_LENGTH = 12
MAX_LENGTH = 1024  # hashing megabytes of "password" is a cheap denial of service
