"""Stored events: what the tracking API accepted, and what it rejected with the reason."""
