"""Building blocks shared by every Inferlane process: settings, logging, gRPC bootstrap, storage, NATS."""
