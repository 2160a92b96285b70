"""Benchmarks: `run.py` (this project beside the stock recipe), `scale.py` (1k-100k passages). See README.md."""
