"""Helpers shared by the replay server tests (plain functions, no fixtures)."""

from __future__ import annotations

import csv
import datetime as dt
import json
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "data"
API = "/apis/site/v2/sports/basketball/mens-college-basketball"
RESULTS = DATA / "results/grdavis_cbb_games_20101101_20260214.csv"


def recording(rel: str) -> Any:
    """A real ESPN recording under data/espn, parsed."""
    return json.loads((DATA / "espn" / rel).read_text())


def csv_games_on(day: dt.date) -> list[list[str]]:
    """Rows of the results CSV dated ``day``, minus the README's bad rows (ties, repeats)."""
    key = day.strftime("%Y%m%d")
    seen: set[tuple[str, str, str]] = set()
    rows = []
    with RESULTS.open(newline="") as fh:
        for row in csv.reader(fh):
            if row[5] != key or row[2] == row[4]:
                continue
            k = (row[1], row[3], row[5])
            if k in seen:
                continue
            seen.add(k)
            rows.append(row)
    return rows
