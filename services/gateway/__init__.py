"""The HTTP edge of Inferlane: REST to gRPC, problem details, health, metrics; no business rules."""
