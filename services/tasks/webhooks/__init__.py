"""Outbound delivery of task-completion webhooks."""
