"""The pipeline fixture (ingest → route → deliver on both backends) for schema tests."""

from tests.pipeline.conftest import pipeline

__all__ = ["pipeline"]
