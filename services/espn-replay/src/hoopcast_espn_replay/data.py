"""Load and index the replay's data once at start-up (:func:`load_replay_data`).

The inputs (:class:`~.inputs.DataPaths`) are read by concern: the results file
(:mod:`.results`), teams (:mod:`.teams`), box scores (:mod:`.boxscores`) and recordings
(:mod:`.recordings`); tip times and season types are reconstructed by :mod:`.schedule`.
This module joins them into the games of :class:`~.model.ReplayData`: box scores and
recordings matched, event ids assigned, season records counted.
"""

from __future__ import annotations

import datetime as dt
import gc
import logging
import time
from collections import defaultdict
from functools import lru_cache

import duckdb
from hoopcast_common.dates import season_of

from hoopcast_espn_replay.boxscores import load_boxscores, match_box, periods
from hoopcast_espn_replay.clock import eastern_to_utc, final_at
from hoopcast_espn_replay.inputs import DataPaths
from hoopcast_espn_replay.model import SYNTHETIC_EVENT_PREFIX, Game, ReplayData
from hoopcast_espn_replay.recordings import load_recordings, recorded_events
from hoopcast_espn_replay.results import read_results
from hoopcast_espn_replay.schedule import season_type_of, tip_time
from hoopcast_espn_replay.teams import load_teams, teams_of_names

log = logging.getLogger(__name__)


def load_replay_data(paths: DataPaths) -> ReplayData:
    """Read every input and build the indexes (cached per paths; a few seconds at most).

    Drops the results rows the results README names as bad: ties (the 2-2 "tie"
    ``1,Alabama State,2,IU Indy,2,20251121,4.5``) and repeated ``(away, home, date)`` keys
    (the later of the two ``Kansas Christian @ Kansas City 20201219`` rows); the counts are in
    ``dropped_rows``. Lines that are no spread are not served, counted in ``rejected_lines``
    (:func:`~.results.read_results`).

    Raises:
        BadInputError: an input file is missing or not in the expected format.
    """
    return _load_cached(paths)


@lru_cache(maxsize=4)
def _load_cached(paths: DataPaths) -> ReplayData:
    # ~100k small objects are built here: the cyclic GC would rescan them over and over
    # (about 40% of the load's CPU time). None of them form cycles worth collecting, so the
    # collector is paused while loading.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        data = _load(paths)
    finally:
        if was_enabled:
            gc.enable()
    return data


def _load(paths: DataPaths) -> ReplayData:
    paths.check()
    t0 = time.perf_counter()
    last = [t0, time.process_time()]

    def phase(name: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        log.debug("load phase %-32s %6.3f s wall %6.3f s cpu", name, now - last[0], cpu - last[1])
        last[:] = [now, cpu]

    con = duckdb.connect()
    try:
        parsed, dropped, rejected_lines = read_results(con, paths.results)
        phase("results read")
        last_day = max(p.day for p in parsed)
        last_season_start = dt.date(season_of(last_day) - 1, 7, 1)
        teams, name_to_id, conference_of_id = load_teams(paths, last_season_start)
        phase("teams read")
        box_index = load_boxscores(con, paths.boxscores)
        phase("box scores read")
    finally:
        con.close()

    names = {p.away for p in parsed} | {p.home for p in parsed}
    team_of_name = teams_of_names(names, teams, name_to_id, conference_of_id)
    summaries, scoreboards, rosters = load_recordings(paths.espn)
    phase("names mapped, recordings read")
    recorded = recorded_events(summaries, scoreboards)

    # Build games, grouped by date; assign ids after matching.
    by_date: dict[dt.date, list[Game]] = defaultdict(list)
    pair_seen: set[tuple[dt.date, str, str]] = set()
    season_of_day: dict[dt.date, tuple[int, int]] = {}
    for neutral, away_name, ascore, home_name, hscore, day, spread in parsed:
        home, away = team_of_name[home_name], team_of_name[away_name]
        if (day, home.id, away.id) in pair_seen:
            dropped["duplicate_key"] += 1  # e.g. "Citadel" and "The Citadel" rows
            continue
        pair_seen.add((day, home.id, away.id))
        conf_game = bool(home.conference and away.conference and home.conference == away.conference)
        season = season_of_day.get(day)
        if season is None:
            season = season_of_day[day] = (season_of(day), season_type_of(day))
        start = eastern_to_utc(day, tip_time(day, home.id, away.id))
        game = Game(
            event_id="",
            date=day,
            start_utc=start,
            final_at=final_at(start, day),
            season=season[0],
            season_type=season[1],
            neutral=neutral,
            conference_competition=conf_game,
            home_id=home.id,
            away_id=away.id,
            home_score=hscore,
            away_score=ascore,
            spread=spread,
        )
        match = match_box(box_index, day, home, away)
        if match is not None:
            contest, hkey, akey = match
            game.box = {"home": contest.lines[hkey], "away": contest.lines[akey]}
            game.periods = periods(contest.mins)
            if contest.espn_game_id:
                game.event_id = str(contest.espn_game_id)
                game.real_event_id = True
        rec = recorded.get((home.id, away.id))
        if rec is not None and abs((rec[2] - day).days) <= 1:
            game.event_id = rec[0]
            game.real_event_id = True
            game.start_utc = rec[1]
            game.final_at = final_at(rec[1], day)
        by_date[day].append(game)

    phase("games built and matched")
    games: dict[str, Game] = {}
    for day, day_games in by_date.items():
        day_games.sort(key=lambda g: (g.home_id, g.away_id))
        for n, game in enumerate(day_games):
            if not game.event_id or game.event_id in games:
                game.event_id = f"{SYNTHETIC_EVENT_PREFIX}{day:%Y%m%d}{n:03d}"
                game.real_event_id = False
            games[game.event_id] = game
        day_games.sort(key=lambda g: (g.start_utc, g.event_id))

    phase("event ids")
    # Season records (wins/losses before each game) and per-team cumulative results.
    tally: dict[tuple[str, int], list[int]] = defaultdict(lambda: [0, 0])
    team_results: dict[tuple[str, int], list[tuple[dt.date, dt.datetime, int, int]]] = defaultdict(
        list
    )
    calendar: dict[int, set[dt.date]] = defaultdict(set)
    for day in sorted(by_date):
        calendar[season_of(day)].add(day)
        for game in by_date[day]:
            for side, tid, won in (
                ("home", game.home_id, game.home_score > game.away_score),
                ("away", game.away_id, game.away_score > game.home_score),
            ):
                t = tally[(tid, game.season)]
                game.records[side] = (t[0], t[1])
                t[0 if won else 1] += 1
                team_results[(tid, game.season)].append((day, game.final_at, t[0], t[1]))

    phase("records")
    data = ReplayData(
        paths=paths,
        games=games,
        games_by_date=dict(by_date),
        teams=teams,
        season_calendar={s: sorted(d) for s, d in calendar.items()},
        team_results=dict(team_results),
        summaries=summaries,
        scoreboards=scoreboards,
        rosters=rosters,
        dropped_rows=dict(dropped),
        rejected_lines=dict(rejected_lines),
    )
    data.load_seconds = round(time.perf_counter() - t0, 3)
    log.info(
        "replay data: %d games (%d real event ids, %d with box scores, %d with a line),"
        " %d teams, dropped %s,"
        " lines rejected %s, loaded in %.2f s",
        len(games),
        sum(g.real_event_id for g in games.values()),
        sum(g.box is not None for g in games.values()),
        sum(g.spread is not None for g in games.values()),
        len(teams),
        data.dropped_rows,
        data.rejected_lines,
        data.load_seconds,
    )
    return data
