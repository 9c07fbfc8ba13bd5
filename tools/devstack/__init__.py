"""The embedded defaults for one machine: PostgreSQL, NATS and Triton from pip wheels."""
