"""Copy the real data of ../shared/data into data/ (run once by a maintainer; not at run time).

espn/ and results/ are copied unchanged. boxscores/*.csv are converted to zstd parquet
(same columns, same values; id columns kept as strings) to keep the repository small.

Usage: uv run python scripts/import_shared_data.py [SHARED_DATA_DIR]
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import duckdb

ID_COLUMNS = [
    "contest_id",
    "home_ncaa_team_id",
    "home_espn_team_id",
    "away_ncaa_team_id",
    "away_espn_team_id",
    "team_ncaa_team_id",
    "team_espn_team_id",
    "espn_game_id",
]


def main() -> None:
    """Copy espn/ and results/, convert boxscores/ CSV to parquet."""
    shared = Path(sys.argv[1] if len(sys.argv) > 1 else "../shared/data")
    root = Path(__file__).resolve().parent.parent / "data"
    for sub in ("espn", "results"):
        shutil.copytree(shared / sub, root / sub, dirs_exist_ok=True)
    out = root / "boxscores"
    out.mkdir(parents=True, exist_ok=True)
    shutil.copy(shared / "boxscores" / "README.md", out / "README.md")
    types = ", ".join(f"'{c}': 'VARCHAR'" for c in ID_COLUMNS)
    for csv in sorted((shared / "boxscores").glob("*.csv")):
        target = out / (csv.stem + ".parquet")
        duckdb.sql(
            f"COPY (SELECT * FROM read_csv('{csv}', header=true, types={{{types}}})) "
            f"TO '{target}' (FORMAT parquet, COMPRESSION zstd)"
        )
        print(f"{csv.name} -> {target.name} ({target.stat().st_size:,} B)")


if __name__ == "__main__":
    main()
