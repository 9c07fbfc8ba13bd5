"""Code that runs INSIDE Triton's python backend (the models' model.py import it)."""
