"""Building blocks shared by every Inferlane process: settings, logs, gRPC, storage, NATS."""
