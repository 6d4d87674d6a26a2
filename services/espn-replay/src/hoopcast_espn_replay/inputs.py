"""Where the replay's inputs live, and reading their CSV files.

Sources (all shipped under the project's ``data/`` folder, see its READMEs):

* results: grdavis CSV, no header, columns ``neutral, away, ascore, home, hscore, date
  (YYYYMMDD, US local calendar date), aspread`` (``data/results/README.md``);
* crosswalk: ``grdavis_name_to_espn_team_id.csv`` (grdavis name → ESPN team id);
* conferences: ``grdavis_conferences.csv`` (``team,conference``, no header; 2024-25 membership);
* teams: ``hoopR_espn_mbb_teams.csv`` (360 ESPN D1 teams, 2023 season);
* box scores: ``data/boxscores/*.parquet`` (real team box scores 2016-17 on, ESPN ids,
  ``espn_game_id`` from 2022-23 on);
* recordings: ``data/espn/{scoreboard,summary,roster}/*.json`` (real ESPN responses).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass
from pathlib import Path

from hoopcast_common.errors import BadInputError


@dataclass(frozen=True)
class DataPaths:
    """Where the replay's inputs live; every path is configurable (CLI / settings)."""

    results: Path
    crosswalk: Path
    boxscores: Path
    conferences: Path
    teams: Path
    espn: Path

    @classmethod
    def under(
        cls,
        data_dir: Path,
        results: Path | None = None,
        crosswalk: Path | None = None,
        boxscores: Path | None = None,
    ) -> DataPaths:
        """The project's layout under ``data_dir`` (``data/`` of a checkout, ``/app/data``
        in images), with optional overrides for the results file, crosswalk and box scores."""
        return cls(
            results=results or data_dir / "results/grdavis_cbb_games_20101101_20260214.csv",
            crosswalk=crosswalk or data_dir / "results/grdavis_name_to_espn_team_id.csv",
            boxscores=boxscores or data_dir / "boxscores",
            conferences=data_dir / "results/grdavis_conferences.csv",
            teams=data_dir / "results/hoopR_espn_mbb_teams.csv",
            espn=data_dir / "espn",
        )

    def check(self) -> None:
        """Raise BadInputError naming the first missing input."""
        for name in ("results", "crosswalk", "conferences", "teams"):
            path: Path = getattr(self, name)
            if not path.is_file():
                raise BadInputError(f"--{name} {path}: no such file")
        for name in ("boxscores", "espn"):
            path = getattr(self, name)
            if not path.is_dir():
                raise BadInputError(f"--{name} {path}: no such folder")


def read_csv(path: Path) -> list[list[str]]:
    """The non-empty rows of a CSV file without a header, as lists of strings."""
    with path.open(newline="", encoding="utf-8") as fh:
        return [row for row in csv.reader(fh) if row]


def read_csv_dicts(path: Path, required: tuple[str, ...] | list[str]) -> list[dict[str, str]]:
    """The rows of a CSV file with a header, as dicts.

    Raises:
        BadInputError: a ``required`` column is missing from the header.
    """
    with path.open(newline="", encoding="utf-8") as fh:
        reader = csv.DictReader(fh)
        missing = [c for c in required if c not in (reader.fieldnames or [])]
        if missing:
            raise BadInputError(f"{path}: missing columns {missing} (has {reader.fieldnames})")
        return list(reader)
