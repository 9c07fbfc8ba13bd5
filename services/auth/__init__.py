"""The auth service: accounts, passwords, JWT access/refresh tokens, roles, API keys."""
