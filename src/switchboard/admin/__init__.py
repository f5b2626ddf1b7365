"""The admin API under /api/v1."""
