"""Synthetic demo history: generated per project (generate.py), loaded with COPY (load.py)."""
