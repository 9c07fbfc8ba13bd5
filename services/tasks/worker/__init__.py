"""The tasks worker: pulls task chunks from JetStream, runs them, stores results."""
