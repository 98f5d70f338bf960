"""Batch writes from partners: events and catalog items, fast and row by row accountable."""
