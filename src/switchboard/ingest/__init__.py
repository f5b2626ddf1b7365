"""The tracking API: Segment-compatible ingestion. The hot path; it imports no UI and no vendor."""
