"""The tasks service: task lifecycle, queueing on JetStream, results, exports."""
