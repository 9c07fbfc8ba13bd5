"""The inference service: model catalog and prediction, fronting a Triton Inference Server."""
