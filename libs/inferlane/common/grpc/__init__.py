"""gRPC plumbing shared by every service: bootstrap, interceptors, health, clients."""
