"""What the rating-constant searches share (``tune_elo.py``, ``tune_ls_rating.py``).

* :func:`arguments`, :func:`open_games` and :class:`RatingGames`: the command line and the
  games of the bench warehouse as arrays, the inputs of a features stage rating pass plus the
  scoring columns;
* :func:`module_constants`: a rating module's constants set for one pass, restored afterwards;
* :func:`coordinate_search`: the coordinate search over a grid of constants, by the mean
  log-loss over the validation seasons, printing every sweep;
* :func:`log_loss_accuracy`, :func:`print_log_loss_table` and :func:`print_games_scored`:
  the scores and the tables both scripts print.

Seasons are ESPN's ``season`` (the ending year): validation 2022-23 and 2023-24, test 2024-25.
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from types import ModuleType
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt
from hoopcast_common.db import connect
from hoopcast_common.games import is_final_sql
from hoopcast_features import sql, team_seasons
from quality import ROOT, ensure_warehouse
from sklearn.metrics import log_loss

VALIDATION = (2023, 2024)
"""Validation seasons (ESPN ``season`` = ending year): 2022-23 and 2023-24."""
TEST = 2025
"""The test season 2024-25: reported, never searched on."""

Score = tuple[float, float, int]
"""(log-loss, accuracy, games) of one season."""
G = TypeVar("G")


def season_label(season: int) -> str:
    """``2023`` → ``2022-23``."""
    return f"{season - 1}-{season % 100:02d}"


class RatingGames:
    """Games of the bench warehouse (``core.games`` left-joined to
    ``features.game_features``), one array entry per game, sorted by ``order`` (SQL over
    ``g.*``, ``day`` and ``start_epoch``).

    Arrays: ``home``/``away`` team ids (lists of str), ``season``, ``day`` (days since
    1970-01-01 of ``game_date``), ``final``, ``margin`` (home − away points, 0 unless final),
    ``neutral``, ``home_d1``/``away_d1`` (the team is D1 in the game's season, the features
    stage's ``features.team_seasons``), ``d1_final`` (a D1-vs-D1 final game per
    ``features.game_features``), ``home_win`` (1.0/0.0) and ``stored`` (the warehouse's column
    ``stored_column``, NaN where NULL); ``final`` is :func:`hoopcast_common.games.is_final_sql`,
    the features stage's final game. ``seasons`` (first, last), when given, keeps the games of
    those seasons only.
    """

    def __init__(
        self, db: Path, stored_column: str, order: str, seasons: tuple[int, int] | None = None
    ) -> None:
        where = "WHERE g.season BETWEEN ? AND ?" if seasons else ""
        conn = connect(db, read_only=True)
        rows = conn.execute(
            f"""
            SELECT g.event_id, g.season,
                   date_diff('day', DATE '1970-01-01', g.game_date) AS day,
                   {sql.START_EPOCH} AS start_epoch,
                   g.home_team_id, g.away_team_id, {is_final_sql("g")} AS final,
                   coalesce(g.home_score - g.away_score, 0)::DOUBLE AS margin,
                   coalesce(g.neutral_site, false) AS neutral,
                   coalesce(th.is_d1, false) AS home_d1, coalesce(ta.is_d1, false) AS away_d1,
                   coalesce(f.is_d1_game AND f.home_win IS NOT NULL, false) AS d1_final,
                   f.{stored_column} AS stored
            FROM core.games g LEFT JOIN features.game_features f USING (event_id)
            LEFT JOIN {team_seasons.PUBLISHED} th
                ON th.team_id = g.home_team_id AND th.season = g.season
            LEFT JOIN {team_seasons.PUBLISHED} ta
                ON ta.team_id = g.away_team_id AND ta.season = g.season
            {where}
            ORDER BY {order}
            """,
            list(seasons or ()),
        ).fetchnumpy()
        conn.close()
        self.home = [str(x) for x in rows["home_team_id"]]
        self.away = [str(x) for x in rows["away_team_id"]]
        self.season: npt.NDArray[np.int64] = np.asarray(rows["season"], dtype=np.int64)
        self.day: npt.NDArray[np.int64] = np.asarray(rows["day"], dtype=np.int64)
        self.final: npt.NDArray[np.bool_] = np.asarray(rows["final"], dtype=np.bool_)
        self.margin: npt.NDArray[np.float64] = np.asarray(rows["margin"], dtype=np.float64)
        self.neutral: npt.NDArray[np.bool_] = np.asarray(rows["neutral"], dtype=np.bool_)
        self.home_d1: npt.NDArray[np.bool_] = np.asarray(rows["home_d1"], dtype=np.bool_)
        self.away_d1: npt.NDArray[np.bool_] = np.asarray(rows["away_d1"], dtype=np.bool_)
        self.d1_final: npt.NDArray[np.bool_] = np.asarray(rows["d1_final"], dtype=np.bool_)
        self.home_win = (self.margin > 0).astype(np.float64)
        self.stored = np.asarray(np.ma.filled(rows["stored"], np.nan), dtype=np.float64)


def arguments(doc: str) -> argparse.ArgumentParser:
    """The command line of a search script (description: the first line of ``doc``): ``--db``,
    the bench warehouse (default ``var/bench/trainer/warehouse16.duckdb``)."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--db", type=Path, default=ROOT / "var/bench/trainer/warehouse16.duckdb")
    return parser


def open_games(make: Callable[[Path], G], db: Path) -> tuple[G, float]:
    """``make(db)`` after making the bench warehouse ``db`` when it is missing (like
    ``quality.py``), and the ``time.perf_counter()`` taken once the warehouse was there."""
    db = db.resolve()
    ensure_warehouse(db)
    t0 = time.perf_counter()
    return make(db), t0


@contextmanager
def module_constants(module: ModuleType, values: Mapping[str, Any]) -> Iterator[None]:
    """Set the attributes ``values`` on ``module`` for the ``with`` block, then restore them."""
    saved = {name: getattr(module, name) for name in values}
    try:
        for name, value in values.items():
            setattr(module, name, value)
        yield
    finally:
        for name, value in saved.items():
            setattr(module, name, value)


def log_loss_accuracy(y: npt.NDArray[np.float64], p: npt.NDArray[np.float64]) -> Score:
    """(log-loss (natural log), accuracy at 0.5, games) of home-win probabilities ``p`` against
    the outcomes ``y`` (1.0 home win, 0.0 loss)."""
    return (
        float(log_loss(y, p, labels=[0.0, 1.0])),
        float(((p >= 0.5) == (y == 1.0)).mean()),
        len(y),
    )


def coordinate_search(
    grid: Mapping[str, Sequence[float]],
    start: Mapping[str, float],
    season_scores: Callable[[dict[str, float]], Callable[[int], Score]],
    value_label: Callable[[str, float], str] = lambda _name, value: f"{value:g}",
) -> dict[str, float]:
    """Coordinate search from ``start`` over ``grid``; returns the constants where a full sweep
    changes nothing.

    For each constant in turn every value of its grid is tried with the others fixed and the
    best kept (a tie keeps the current value); the objective is the mean log-loss over
    :data:`VALIDATION` of ``season_scores(constants)`` (memoised on the constants' values).
    Prints each sweep's log-loss per grid value (``value_label`` writes a value; ``*`` marks
    the one kept).
    """
    current = dict(start)
    cache: dict[tuple[float, ...], float] = {}

    def objective(constants: dict[str, float]) -> float:
        key = tuple(constants[name] for name in grid)
        if key not in cache:
            score = season_scores(constants)
            cache[key] = float(np.mean([score(s)[0] for s in VALIDATION]))
        return cache[key]

    width = max(len(name) for name in grid) + 1
    sweep = 0
    while True:
        sweep += 1
        changed = False
        print(f"\nsweep {sweep} (mean log-loss, validation 2022-23 and 2023-24)")
        for name, values in grid.items():
            losses = {v: objective({**current, name: float(v)}) for v in values}
            here = objective(current)
            best = min(losses, key=losses.__getitem__)
            if losses[best] < here and best != current[name]:
                current[name] = float(best)
                changed = True
            cells = "  ".join(
                f"{value_label(name, v)}:{loss:.5f}{'*' if v == current[name] else ''}"
                for v, loss in losses.items()
            )
            print(f"  {name:<{width}} {cells}", flush=True)
        if not changed:
            return current


def print_log_loss_table(rows: Mapping[str, Callable[[int], Score]]) -> None:
    """Print, per row (label → season's score), the log-loss of each validation season, their
    mean, and the test season's log-loss and accuracy."""
    header = "  ".join(season_label(s) for s in VALIDATION)
    print(f"\nlog-loss: {'constants':<10} {header}     mean  | test 2024-25 log-loss, accuracy")
    for label, score in rows.items():
        val = [score(s) for s in VALIDATION]
        test_ll, test_acc, _ = score(TEST)
        cells = "  ".join(f"{ll:.4f}" for ll, _, _ in val)
        print(
            f"          {label:<10} {cells}  {np.mean([v[0] for v in val]):.4f} | "
            f"{test_ll:.4f}, {test_acc:.1%}"
        )


def print_games_scored(score: Callable[[int], Score], seconds: float) -> None:
    """Print the D1-vs-D1 final games scored per validation and test season, and ``seconds``."""
    counts = ", ".join(f"{season_label(s)} {score(s)[2]}" for s in (*VALIDATION, TEST))
    print(f"\nD1-vs-D1 final games scored: {counts}; {seconds:.0f} s")
