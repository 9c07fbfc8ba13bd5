"""Pydantic request and response models of the REST contract, one module per resource."""
