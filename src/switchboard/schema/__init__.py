"""The schema of each source: which events and properties arrive, and how often."""
