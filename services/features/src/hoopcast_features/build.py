"""Build the feature layers incrementally: detect changed games, stage, check, swap.

Layers (``--layer``), each buildable alone once the layers before it are up to date:

* ``team``: Elo (:mod:`hoopcast_features.elo`, resumed from ``features.elo_game``), the
  least-squares ratings (:mod:`hoopcast_features.ls_rating`, resumed from the published team
  rows) and the team SQL → ``features.team_game_features`` (one row per event and team);
* ``player``: player-box features → ``features.player_game_features`` (per event and team);
* ``game``: per-event rows → ``features.game_features`` (the trainer's and predictor's input).

Change detection: every ``core.games`` event gets a fingerprint (hash of its game row, both
teams' D1 membership in its season (:mod:`hoopcast_features.team_seasons`), its team and player
box-score rows and :data:`FEATURE_VERSION`); ``features.layer_inputs`` stores the
fingerprints each layer was last built from. A layer recomputes the seasons from the earliest
season of any new, changed or removed event (Elo from that event's start time); nothing
changed in any requested layer → :class:`~hoopcast_common.errors.NothingToDoError`.

Publishing: rows go to ``features.stage_*`` tables first; the quality checks run on the
published rows that are kept plus the staged rows, and only when no check blocks are
the staged rows swapped in (delete the recomputed seasons, insert the staged rows, update Elo
state, D1 membership and fingerprints) in one transaction. Otherwise nothing published changes.
Rows failing a ``flag`` check (an implausible value, not a structural error) are published with
the check names in ``features.game_features.quality_flags`` (:mod:`hoopcast_features.quality`).
"""

from __future__ import annotations

import datetime as dt
import logging
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass

import duckdb
import numpy as np
from hoopcast_common.db import table_exists, transaction
from hoopcast_common.errors import BadInputError, NothingToDoError
from hoopcast_common.games import is_final_sql
from hoopcast_common.quality import blocking_failures
from hoopcast_common.runs import RunContext

from hoopcast_features import quality, sql, team_seasons
from hoopcast_features.elo import EloState, run_elo
from hoopcast_features.ls_rating import LS_RELATION, stage_ls_rating

log = logging.getLogger(__name__)

LAYERS = ("team", "player", "game")
"""Layer names in build order."""
TABLES = {
    "team": "team_game_features",
    "player": "player_game_features",
    "game": "game_features",
}
"""Layer → published table in schema ``features``."""
FEATURE_VERSION = 2
"""Version of the feature definitions, part of every event's fingerprint: raise it when a
feature's formula changes, and the next build recomputes every season (a full swap)."""


@contextmanager
def _phase(ctx: RunContext, name: str) -> Iterator[None]:
    """Time a build phase into the run summary's ``phase_s`` (seconds, wall clock)."""
    t0 = time.perf_counter()
    try:
        yield
    finally:
        phases = ctx.extra.setdefault("phase_s", {})
        phases[name] = round(phases.get(name, 0.0) + time.perf_counter() - t0, 3)


@dataclass(frozen=True)
class LayerPlan:
    """What one layer rebuilds: seasons ``>= lo`` (and Elo from ``t0`` seconds since 1970)."""

    layer: str
    lo: int
    t0: float
    changed: int
    full: bool


def snapshot_inputs(conn: duckdb.DuckDBPyConnection) -> None:
    """Fingerprint every core.games event into temp table ``cur_inputs``.

    Columns: event_id, season, start_epoch (s since 1970 UTC), fingerprint (UBIGINT hash).
    Needs the D1 membership (:func:`hoopcast_features.team_seasons.stage_team_seasons`).
    """
    conn.execute(
        f"""
        CREATE OR REPLACE TEMP TABLE cur_inputs AS
        WITH tb AS (
            SELECT event_id, sum(hash(team_id, home_away, points, fgm, fga, tpm, tpa, ftm,
                fta, orb, drb, ast, stl, blk, tov, fouls)::HUGEINT) AS fp
            FROM core.team_game_stats GROUP BY event_id
        ), pb AS (
            SELECT event_id, sum(hash(player_id, team_id, starter, did_not_play, minutes,
                points)::HUGEINT) AS fp
            FROM core.player_game_stats GROUP BY event_id
        )
        SELECT g.event_id, g.season, {sql.START_EPOCH} AS start_epoch,
            hash(g.season, g.season_type, g.game_date, g.start_time_utc, g.status, g.completed,
                 g.neutral_site, g.conference_competition, g.home_team_id, g.away_team_id,
                 g.home_score, g.away_score, th.is_d1, ta.is_d1, tb.fp, pb.fp,
                 {FEATURE_VERSION}) AS fingerprint
        FROM core.games g
        LEFT JOIN {team_seasons.CURRENT} th
            ON th.team_id = g.home_team_id AND th.season = g.season
        LEFT JOIN {team_seasons.CURRENT} ta
            ON ta.team_id = g.away_team_id AND ta.season = g.season
        LEFT JOIN tb ON tb.event_id = g.event_id
        LEFT JOIN pb ON pb.event_id = g.event_id
        """
    )


def plan_layer(conn: duckdb.DuckDBPyConnection, layer: str, full_refresh: bool) -> LayerPlan | None:
    """Work out what ``layer`` must rebuild, or None when its inputs did not change.

    Needs ``cur_inputs`` (:func:`snapshot_inputs`).
    """
    row = conn.execute(
        """
        SELECT count(*), min(least(c.season, l.season)), min(least(c.start_epoch, l.start_epoch))
        FROM cur_inputs c
        FULL OUTER JOIN (SELECT * FROM features.layer_inputs WHERE layer = ?) l USING (event_id)
        WHERE c.fingerprint IS DISTINCT FROM l.fingerprint
        """,
        [layer],
    ).fetchone()
    changed = int(row[0]) if row else 0
    exists = table_exists(conn, "features", TABLES[layer])
    if full_refresh or not exists:
        bounds = conn.execute("SELECT min(season), min(start_epoch) FROM cur_inputs").fetchone()
        if bounds is None or bounds[0] is None:
            raise BadInputError("core.games is empty: ingest games before building features")
        return LayerPlan(layer, int(bounds[0]), float(bounds[1]), changed, True)
    if changed == 0 or row is None:
        return None
    return LayerPlan(layer, int(row[1]), float(row[2]), changed, False)


def _require_current(conn: duckdb.DuckDBPyConnection, layer: str) -> None:
    """Raise BadInputError unless ``layer`` was built from the current core inputs."""
    row = conn.execute(
        """
        SELECT count(*) FROM cur_inputs c
        FULL OUTER JOIN (SELECT * FROM features.layer_inputs WHERE layer = ?) l USING (event_id)
        WHERE c.fingerprint IS DISTINCT FROM l.fingerprint
        """,
        [layer],
    ).fetchone()
    if (row and row[0]) or not table_exists(conn, "features", TABLES[layer]):
        raise BadInputError(
            f"--layer: the {layer} layer is not up to date with the core tables; "
            f"run `hoopcast-features build --layer {layer}` first"
        )


def stage_elo(conn: duckdb.DuckDBPyConnection, t0: float, full: bool) -> int:
    """Run Elo over games starting at or after ``t0`` into ``features.stage_elo_game``.

    The state comes from ``features.elo_game``: each team's post-game rating after its last
    finished game starting before ``t0`` (none when ``full``). Returns the games staged.
    """
    state = EloState()
    if not full:
        for team, rating, season, n_games in conn.execute(
            """
            WITH sides AS (
                SELECT home_team_id AS team_id, home_elo_post AS rating, season, start_epoch,
                       event_id FROM features.elo_game WHERE completed AND start_epoch < ?
                UNION ALL
                SELECT away_team_id, away_elo_post, season, start_epoch, event_id
                FROM features.elo_game WHERE completed AND start_epoch < ?
            )
            SELECT team_id, rating, season,
                   count(*) OVER (PARTITION BY team_id, season) AS games FROM sides
            QUALIFY row_number() OVER (PARTITION BY team_id
                                       ORDER BY start_epoch DESC, event_id DESC) = 1
            """,
            [t0, t0],
        ).fetchall():
            state.rating[team] = float(rating)
            state.last_season[team] = int(season)
            state.games[team] = int(n_games)
    games = conn.execute(
        f"""
        SELECT g.event_id, g.season, {sql.START_EPOCH} AS start_epoch,
               g.home_team_id, g.away_team_id,
               {is_final_sql("g")} AS final,
               coalesce(g.home_score - g.away_score, 0)::DOUBLE AS margin,
               coalesce(g.neutral_site, false) AS neutral,
               coalesce(th.is_d1, false) AS home_d1, coalesce(ta.is_d1, false) AS away_d1
        FROM core.games g
        LEFT JOIN {team_seasons.CURRENT} th
            ON th.team_id = g.home_team_id AND th.season = g.season
        LEFT JOIN {team_seasons.CURRENT} ta
            ON ta.team_id = g.away_team_id AND ta.season = g.season
        WHERE {sql.START_EPOCH} >= ?
        ORDER BY start_epoch, g.event_id
        """,
        [t0],
    ).fetchnumpy()
    home = [str(x) for x in games["home_team_id"]]
    away = [str(x) for x in games["away_team_id"]]
    result = run_elo(
        home,
        away,
        np.asarray(games["season"], dtype=np.int64),
        np.asarray(games["final"], dtype=np.bool_),
        np.asarray(games["margin"], dtype=np.float64),
        np.asarray(games["neutral"], dtype=np.bool_),
        np.asarray(games["home_d1"], dtype=np.bool_),
        np.asarray(games["away_d1"], dtype=np.bool_),
        state,
    )
    # lists through unnest(): no pandas/pyarrow import on the hot path (imports cost seconds)
    conn.execute(
        """
        CREATE OR REPLACE TABLE features.stage_elo_game AS
        SELECT unnest($1)::VARCHAR AS event_id, unnest($2)::INTEGER AS season,
               unnest($3)::DOUBLE AS start_epoch, unnest($4)::VARCHAR AS home_team_id,
               unnest($5)::VARCHAR AS away_team_id, unnest($6)::BOOLEAN AS completed,
               unnest($7)::DOUBLE AS home_elo_pre, unnest($8)::DOUBLE AS away_elo_pre,
               unnest($9)::DOUBLE AS elo_home_prob, unnest($10)::DOUBLE AS home_elo_post,
               unnest($11)::DOUBLE AS away_elo_post
        """,
        [
            [str(x) for x in games["event_id"]],
            games["season"].tolist(),
            games["start_epoch"].tolist(),
            home,
            away,
            games["final"].tolist(),
            result.home_pre.tolist(),
            result.away_pre.tolist(),
            result.home_prob.tolist(),
            result.home_post.tolist(),
            result.away_post.tolist(),
        ],
    )
    return len(home)


def _current_view(conn: duckdb.DuckDBPyConnection, layer: str, plan: LayerPlan | None) -> None:
    """Temp view ``cur_<table>``: what the published table will hold after this run's swap."""
    table = TABLES[layer]
    if plan is None:
        conn.execute(f"CREATE OR REPLACE TEMP VIEW cur_{table} AS SELECT * FROM features.{table}")
    elif plan.full:
        conn.execute(
            f"CREATE OR REPLACE TEMP VIEW cur_{table} AS SELECT * FROM features.stage_{table}"
        )
    else:
        conn.execute(
            f"""CREATE OR REPLACE TEMP VIEW cur_{table} AS
            SELECT * FROM features.{table} WHERE season < {plan.lo}
            UNION ALL BY NAME SELECT * FROM features.stage_{table}"""
        )


def _columns(conn: duckdb.DuckDBPyConnection, table: str) -> list[tuple[str, str]]:
    return [
        (str(n), str(t))
        for n, t in conn.execute(
            "SELECT column_name, data_type FROM duckdb_columns() "
            "WHERE schema_name = 'features' AND table_name = ? ORDER BY column_index",
            [table],
        ).fetchall()
    ]


def build(
    conn: duckdb.DuckDBPyConnection,
    ctx: RunContext,
    *,
    layers: tuple[str, ...] = LAYERS,
    full_refresh: bool = False,
    as_of: dt.date,
) -> None:
    """Build ``layers`` (in order), check, and publish; counts go to ``ctx``.

    Raises:
        NothingToDoError: no requested layer has changed inputs (exit 99).
        BadInputError: an earlier layer is out of date, core.games is empty, or a blocking
            quality check failed (exit 2; published tables unchanged).
    """
    # row order of the feature tables carries no meaning; not keeping it saves DuckDB work
    conn.execute("SET preserve_insertion_order = false")
    plans: dict[str, LayerPlan | None] = {}
    with _phase(ctx, "plan"):
        ctx.count("team_seasons", team_seasons.stage_team_seasons(conn))
        snapshot_inputs(conn)
        for layer in layers:
            for earlier in LAYERS[: LAYERS.index(layer)]:
                if earlier not in layers:
                    _require_current(conn, earlier)
            plans[layer] = plan_layer(conn, layer, full_refresh)
    if all(p is None for p in plans.values()):
        raise NothingToDoError("no core.games event changed since the last features build")
    ctx.extra["layers"] = {
        layer: (
            None if p is None else {"from_season": p.lo, "full": p.full, "changed_games": p.changed}
        )
        for layer, p in plans.items()
    }
    ctx.count("changed_games", max((p.changed for p in plans.values() if p), default=0))

    bounds = conn.execute("SELECT min(season) FROM cur_inputs").fetchone()
    first_season = int(bounds[0]) if bounds and bounds[0] is not None else 0
    elo_view = "features.elo_game"
    for layer in LAYERS:
        plan = plans.get(layer)
        if layer not in layers or plan is None:
            if table_exists(conn, "features", TABLES[layer]):
                _current_view(conn, layer, None)
            continue
        log.info("building layer %s from season %s (full=%s)", layer, plan.lo, plan.full)
        if layer == "team":
            with _phase(ctx, "elo"):
                ctx.count("elo_games", stage_elo(conn, plan.t0, plan.full))
            conn.execute(
                f"""CREATE OR REPLACE TEMP VIEW cur_elo_game AS
                SELECT * FROM features.elo_game WHERE {"false" if plan.full else "true"}
                    AND start_epoch < {plan.t0!r}
                UNION ALL BY NAME SELECT * FROM features.stage_elo_game"""
            )
            elo_view = "cur_elo_game"
            with _phase(ctx, "ls_rating"):
                ctx.count("ls_rating_games", stage_ls_rating(conn, plan.lo, plan.t0, plan.full))
            with _phase(ctx, "team_sql"):
                conn.execute(sql.base_sql(plan.lo))
                conn.execute(sql.team_sql(plan.lo, elo_view, LS_RELATION))
        elif layer == "player":
            with _phase(ctx, "player_sql"):
                conn.execute(sql.player_sql(plan.lo, "cur_team_game_features"))
        else:
            with _phase(ctx, "game_sql"):
                conn.execute(
                    sql.game_sql(
                        plan.lo,
                        "cur_team_game_features",
                        "cur_player_game_features",
                        elo_view,
                        team_seasons.CURRENT,
                    )
                )
        table = TABLES[layer]
        if not plan.full and _columns(conn, table) != _columns(conn, f"stage_{table}"):
            if plan.lo > first_season:
                raise BadInputError(
                    f"features.{table} was built by a different feature version; "
                    "run `hoopcast-features build --full-refresh`"
                )
            # every season is recomputed anyway (e.g. FEATURE_VERSION changed): replace
            plan = plans[layer] = LayerPlan(layer, plan.lo, plan.t0, plan.changed, True)
            ctx.extra["layers"][layer]["full"] = True
        _current_view(conn, layer, plan)
        staged = conn.execute(f"SELECT count(*) FROM features.stage_{table}").fetchone()
        ctx.count(f"{layer}_rows_staged", int(staged[0]) if staged else 0)

    built = tuple(layer for layer in LAYERS if plans.get(layer) is not None)
    with _phase(ctx, "checks"):
        # a game layer build runs every layer's checks: its quality_flags need all flag checks
        results = quality.run_checks(
            conn,
            run_id=ctx.run_id,
            as_of=as_of,
            layers=LAYERS if "game" in built else built,
            relations={layer: f"cur_{TABLES[layer]}" for layer in LAYERS},
            team_seasons=team_seasons.CURRENT,
        )
    failed = blocking_failures(results)
    ctx.count("checks_run", len(results))
    ctx.count("checks_failed", len([r for r in results if not r.passed]))
    for r in results:
        if r.failing_rows and r.check.severity != "blocking":
            log.warning("check %s (%s): %s", r.check.name, r.check.severity, r.detail)
    if failed:
        _drop_staging(conn)
        names = ", ".join(f"{r.check.name} ({r.detail})" for r in failed)
        raise BadInputError(
            f"blocking feature quality checks failed, previous feature tables kept: {names}"
        )
    if "game" in built:
        flagged = quality.flags(results)
        ctx.extra["flagged_games"] = _flag_staged_games(conn, flagged)
    with _phase(ctx, "swap"):
        _swap(conn, plans, ctx, as_of)
        _drop_staging(conn)


def _flag_staged_games(conn: duckdb.DuckDBPyConnection, flagged: dict[str, str]) -> int:
    """Write ``flagged`` (event id → check names) into ``quality_flags`` of the staged game
    rows; returns the staged games flagged (flags of kept seasons stay as published)."""
    if not flagged:
        return 0
    conn.execute(
        """
        CREATE OR REPLACE TEMP TABLE game_flags AS
        SELECT unnest($1)::VARCHAR AS event_id, unnest($2)::VARCHAR AS quality_flags
        """,
        [list(flagged), list(flagged.values())],
    )
    conn.execute(
        """
        UPDATE features.stage_game_features s SET quality_flags = f.quality_flags
        FROM game_flags f WHERE f.event_id = s.event_id
        """
    )
    row = conn.execute(
        "SELECT count(*) FROM features.stage_game_features WHERE quality_flags IS NOT NULL"
    ).fetchone()
    return int(row[0]) if row else 0


def _swap(
    conn: duckdb.DuckDBPyConnection,
    plans: dict[str, LayerPlan | None],
    ctx: RunContext,
    as_of: dt.date,
) -> None:
    """Publish the staged rows of every planned layer in one transaction."""
    with transaction(conn):
        team_seasons.publish(conn)
        for layer, plan in plans.items():
            if plan is None:
                continue
            table = TABLES[layer]
            if plan.full:
                conn.execute(f"DROP TABLE IF EXISTS features.{table}")
                conn.execute(
                    f"CREATE TABLE features.{table} AS SELECT * FROM features.stage_{table}"
                )
            else:
                conn.execute(f"DELETE FROM features.{table} WHERE season >= ?", [plan.lo])
                conn.execute(
                    f"INSERT INTO features.{table} BY NAME SELECT * FROM features.stage_{table}"
                )
            if layer == "team":
                conn.execute("DELETE FROM features.elo_game WHERE start_epoch >= ?", [plan.t0])
                if plan.full:
                    conn.execute("DELETE FROM features.elo_game")
                conn.execute(
                    "INSERT INTO features.elo_game BY NAME SELECT * FROM features.stage_elo_game"
                )
                conn.execute("DELETE FROM features.elo_ratings")
                conn.execute(
                    """
                    INSERT INTO features.elo_ratings
                    WITH sides AS (
                        SELECT home_team_id AS team_id, home_elo_post AS rating, season,
                               start_epoch, event_id FROM features.elo_game WHERE completed
                        UNION ALL
                        SELECT away_team_id, away_elo_post, season, start_epoch, event_id
                        FROM features.elo_game WHERE completed
                    )
                    SELECT team_id, arg_max(rating, (start_epoch, event_id)),
                           arg_max(season, (start_epoch, event_id)),
                           arg_max(event_id, (start_epoch, event_id)), count(*)
                    FROM sides GROUP BY team_id
                    """
                )
            # only the changed fingerprints: rewriting every key of the primary-key index
            # costs seconds
            conn.execute(
                """
                CREATE OR REPLACE TEMP TABLE changed_inputs AS
                SELECT event_id FROM cur_inputs c
                FULL OUTER JOIN (SELECT * FROM features.layer_inputs WHERE layer = ?) l
                    USING (event_id)
                WHERE c.fingerprint IS DISTINCT FROM l.fingerprint
                """,
                [layer],
            )
            conn.execute(
                "DELETE FROM features.layer_inputs WHERE layer = ? AND event_id IN"
                " (SELECT event_id FROM changed_inputs)",
                [layer],
            )
            conn.execute(
                "INSERT INTO features.layer_inputs SELECT ?, event_id, season, start_epoch,"
                " fingerprint FROM cur_inputs WHERE event_id IN"
                " (SELECT event_id FROM changed_inputs)",
                [layer],
            )
            written = conn.execute(f"SELECT count(*) FROM features.stage_{table}").fetchone()
            rows = int(written[0]) if written else 0
            conn.execute(
                "INSERT INTO features.builds (run_id, layer, as_of, full_refresh, from_season,"
                " changed_games, rows_written) VALUES (?, ?, ?, ?, ?, ?, ?)",
                [ctx.run_id, layer, as_of, plan.full, plan.lo, plan.changed, rows],
            )
            ctx.count(f"{layer}_rows_written", rows)


def _drop_staging(conn: duckdb.DuckDBPyConnection) -> None:
    """Remove the staging tables (and the temp views over them)."""
    for table in ("team_game_features", "player_game_features", "game_features"):
        conn.execute(f"DROP VIEW IF EXISTS cur_{table}")
    conn.execute("DROP VIEW IF EXISTS cur_elo_game")
    for table in (*TABLES.values(), "elo_game"):
        conn.execute(f"DROP TABLE IF EXISTS features.stage_{table}")
