"""Synthetic sample data and the end-to-end demo (``make demo``)."""
