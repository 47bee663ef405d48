"""Benchmarks of the sync engine (issue 6); run with `.venv/bin/python -m bench`."""
