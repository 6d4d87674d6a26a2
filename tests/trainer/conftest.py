"""Fixtures of the trainer tests: a warehouse with real features (see ml_testing.py)."""

from ml_testing import featured_db, featured_warehouse_template

__all__ = ["featured_db", "featured_warehouse_template"]
