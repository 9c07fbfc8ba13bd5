"""Signed completion webhooks: endpoints, deliveries of task events, dispatcher, safe egress."""
