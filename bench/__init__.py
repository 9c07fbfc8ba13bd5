"""`make bench`: the platform measured against direct Triton, side by side, in one run."""
