"""Test support: real servers on free ports, processes, waiting helpers."""
