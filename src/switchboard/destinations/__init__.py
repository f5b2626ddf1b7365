"""Configured destinations: an adapter type, its (encrypted) settings, connected sources."""
