"""Inferlane's processes: gateway, auth, datasets, tasks (+ worker) and inference."""
