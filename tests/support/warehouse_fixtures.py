"""Fixtures for a warehouse filled by the real ingestion CLI (owned by the ingestion service)."""
