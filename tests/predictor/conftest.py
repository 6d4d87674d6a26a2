"""Fixtures of the predictor tests: shared with the trainer tests (tests/trainer/ml_testing.py)."""

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "trainer"))

from ml_testing import featured_db, featured_warehouse_template

__all__ = ["featured_db", "featured_warehouse_template"]
