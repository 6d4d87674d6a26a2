"""Fixtures for the offline ESPN replay server (owned by the espn-replay service)."""
