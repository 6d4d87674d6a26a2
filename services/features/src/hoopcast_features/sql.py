"""The feature SQL (DuckDB): team, player and game layers, computed for seasons ``>= lo``.

Every statement here reads the core tables (and, for later layers, the earlier layers'
published tables) and writes a *staging* table ``features.stage_<layer>`` holding the rows of
seasons ``>= lo`` only; :mod:`hoopcast_features.build` swaps them in. All windows are
partitioned by team and season and look only at ``ROWS ... 1 PRECEDING`` in start order, which
is what makes every value point-in-time: a row sees only that team's *earlier finished* games
(rows of scheduled games carry NULL game values, so they never contribute). A game is final by
:func:`hoopcast_common.games.is_final_sql` (overtime finals included); only final games feed
any feature.

Seasons ``lo - 2`` and ``lo - 1`` are read as well, because a season's priors come from the
previous season's full-season values, whose opponent adjustment uses that season's pre-game
ratings, whose priors come from the season before. Nothing reaches further back, so a build
from ``lo`` gives exactly the rows a full refresh gives (tests/features check this). Each step
keeps only the seasons later steps need (season ``lo - 2``: its season means; ``lo - 1``: its
pre-game ratings and adjusted game values; the second adjustment pass and everything after it:
``>= lo``); the two windows that look across seasons (last five games, rest days) are taken
over every season (``t_cross``), because a team's previous games may lie any number of seasons
back.

Constants are documented in docs/guides/features.md.
"""

from __future__ import annotations

import math

from hoopcast_common.games import is_final_sql

PACE_FALLBACK = 68.0
"""League pace: possessions per team per game (D1 mean 2017-2025), used for a side without a
pace in the expected margin and total."""
POSS_BASE = 42.0
"""Possessions of a game without both box scores, estimated from its points:
``POSS_BASE + POSS_PER_POINT × (home points + away points)`` (least-squares line of the box-score
possessions on total points, 51,462 D1 games 2016-17 … 2025-26, ``bench/features/fit_poss.py``:
rating error 7.3 → 5.6 points per 100 possessions against a constant 68). A constant made a
fast, lopsided game look like an extreme efficiency (143-49 read as 210 points per 100)."""
POSS_PER_POINT = 0.19
"""Possessions per point scored in the game (see :data:`POSS_BASE`)."""
LEAGUE_EFFICIENCY = 103.0
"""Centre of points per 100 possessions used by the opponent adjustment (D1 mean)."""
HOME_EFFICIENCY_EDGE = 3.2
"""Home advantage in points per 100 possessions (split half offence, half defence)."""
HALF_LIFE_GAMES = 20.0
"""Half-life, in games, of the exponential weights of in-season averages."""
PRIOR_GAMES = 6.0
"""Weight, in games, of the previous-season prior in in-season averages."""
PRIOR_REGRESSION = 0.2
"""Share of the distance to the league mean a previous-season average loses as a prior."""
UNRATED_OFF = 92.0
"""Offensive rating assumed for an opponent with no history yet (mostly non-D1)."""
UNRATED_DEF = 114.0
"""Defensive rating assumed for an opponent with no history yet (mostly non-D1)."""

START_EPOCH = "coalesce(epoch(g.start_time_utc), epoch(g.game_date::TIMESTAMP) + 61200)"
"""SQL over ``core.games g``: the game's start in seconds since 1970 UTC — ESPN's start time,
or the game date at 17:00 UTC when it is missing. Windows order a team's games by it."""
DIGITS = 9
"""Decimals features are rounded to: parallel window sums may differ in the last bits of a
double between runs, and rounding makes incremental and full builds byte-identical."""

_LAMBDA = math.log(2.0) / HALF_LIFE_GAMES

# per-game value columns averaged into pre-game features: name -> SQL over the `tg` columns
_GAME_VALUES: dict[str, str] = {
    "off_rtg": "100.0 * pts / coalesce(poss, {poss})",
    "def_rtg": "100.0 * opp_pts / coalesce(poss, {poss})",
    "pace": "poss",
    "margin": "pts - opp_pts",
    "win": "CASE WHEN pts > opp_pts THEN 1.0 ELSE 0.0 END",
    "efg": "(fgm + 0.5 * tpm) / nullif(fga, 0)",
    "opp_efg": "(o_fgm + 0.5 * o_tpm) / nullif(o_fga, 0)",
    "tov_rate": "tov / poss",
    "opp_tov_rate": "o_tov / poss",
    "orb_pct": "orb / nullif(orb + o_drb, 0)",
    "drb_pct": "drb / nullif(drb + o_orb, 0)",
    "ft_rate": "fta / nullif(fga, 0)",
    "three_rate": "tpa / nullif(fga, 0)",
}


_POINTS_VALUES = ("off_rtg", "def_rtg", "margin", "win")
"""Values every final game has (points-based); the others need both teams' box scores."""


def _ew(value: str, prior: str | None, den: str = "sw_all") -> str:
    """Pre-game exponentially weighted mean of ``value`` with an optional prior of PRIOR_GAMES.

    Weights ``exp(λ·k)`` for the team's k-th finished game of the season (λ = ln 2 / half-life),
    the prior weighing ``PRIOR_GAMES`` as if played before the season's first game. ``den``
    names the precomputed pre-game weight sum of the games where ``value`` exists (``sw_all``:
    every final game; ``sw_box``: final games with box scores), shared by many values.
    """
    window = (
        "OVER (PARTITION BY team_id, season ORDER BY start_epoch, event_id "
        "ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)"
    )
    num = f"coalesce(sum(w * ({value})) {window}, 0)"
    weight = f"coalesce({den}, 0)"
    if prior is not None:
        num += f" + CASE WHEN {prior} IS NULL THEN 0 ELSE {PRIOR_GAMES} * {prior} END"
        weight += f" + CASE WHEN {prior} IS NULL THEN 0 ELSE {PRIOR_GAMES} END"
    return f"({num}) / nullif({weight}, 0)"


def base_sql(lo: int) -> str:
    """``tg``: one row per (event, team) of seasons ≥ lo-2 with per-game values (NULL unless final);
    ``t_cross``: per (event, team) of seasons ≥ lo, the mean margin of the team's previous five
    games (any season; non-final ones count as rows but not in the mean) and its rest days
    (since its last finished game, capped at 30).

    Possessions per team = mean of both teams' ``FGA − ORB + TOV + 0.475·FTA`` (box score
    estimate, Kubatko et al. 2007), only when both box scores exist and it lies in [45, 110].
    """
    values = ",\n".join(
        f"CASE WHEN final {'' if name in _POINTS_VALUES else 'AND poss IS NOT NULL'} "
        f"THEN {expr.format(poss=f'({POSS_BASE} + {POSS_PER_POINT} * (pts + opp_pts))')} END "
        f"AS g_{name}"
        for name, expr in _GAME_VALUES.items()
    )
    return f"""
-- the two features that look back across seasons (last five games, rest days), over every
-- season: a team's previous games may lie any number of seasons back (non-D1 teams)
CREATE OR REPLACE TEMP TABLE t_cross AS
WITH g AS (
    SELECT event_id, season, game_date, home_team_id, away_team_id,
           {START_EPOCH} AS start_epoch, {is_final_sql("g")} AS final,
           home_score - away_score AS margin
    FROM core.games g
), s AS (
    SELECT event_id, season, game_date, start_epoch, final, home_team_id AS team_id,
           CASE WHEN final THEN margin END AS g_margin FROM g
    UNION ALL
    SELECT event_id, season, game_date, start_epoch, final, away_team_id,
           CASE WHEN final THEN -margin END FROM g
)
SELECT event_id, team_id,
    avg(g_margin) OVER (PARTITION BY team_id ORDER BY start_epoch, event_id
                        ROWS BETWEEN 5 PRECEDING AND 1 PRECEDING) AS pre_margin_last5,
    least(date_diff('day', last_value(CASE WHEN final THEN game_date END IGNORE NULLS) OVER (
        PARTITION BY team_id ORDER BY start_epoch, event_id
        ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING), game_date), 30)::DOUBLE
        AS pre_rest_days
FROM s
QUALIFY season >= {lo};

CREATE OR REPLACE TEMP TABLE tg AS
WITH g AS (
    SELECT event_id, season, game_date, coalesce(season_type, 2) AS season_type,
           {START_EPOCH} AS start_epoch, {is_final_sql("g")} AS final,
           coalesce(neutral_site, false) AS neutral, home_team_id, away_team_id,
           home_score, away_score
    FROM core.games g WHERE season >= {lo - 2}
), s AS (
    SELECT event_id, season, game_date, season_type, start_epoch, final, home_team_id AS team_id,
           away_team_id AS opp_id, CASE WHEN neutral THEN 0 ELSE 1 END AS venue,
           home_score AS pts, away_score AS opp_pts, true AS is_home_side FROM g
    UNION ALL
    SELECT event_id, season, game_date, season_type, start_epoch, final, away_team_id,
           home_team_id, CASE WHEN neutral THEN 0 ELSE -1 END, away_score, home_score, false FROM g
), b AS (
    SELECT s.*, t.fgm, t.fga, t.tpm, t.tpa, t.fta, t.orb, t.drb, t.tov,
           o.fgm AS o_fgm, o.fga AS o_fga, o.tpm AS o_tpm, o.orb AS o_orb, o.drb AS o_drb,
           o.tov AS o_tov,
           (t.fga - t.orb + t.tov + 0.475 * t.fta + o.fga - o.orb + o.tov + 0.475 * o.fta) / 2.0
               AS raw_poss
    FROM s
    LEFT JOIN core.team_game_stats t ON t.event_id = s.event_id AND t.team_id = s.team_id
    LEFT JOIN core.team_game_stats o ON o.event_id = s.event_id AND o.team_id = s.opp_id
), v AS (
    SELECT * EXCLUDE (raw_poss),
           CASE WHEN final AND raw_poss BETWEEN 45 AND 110 THEN raw_poss END AS poss
    FROM b
), x AS (
    SELECT *, {values},
       CASE WHEN final THEN exp({_LAMBDA} * count(CASE WHEN final THEN 1 END) OVER (
           PARTITION BY team_id, season ORDER BY start_epoch, event_id
           ROWS BETWEEN UNBOUNDED PRECEDING AND CURRENT ROW)) END AS w
    FROM v
)
SELECT *, sum(w) OVER pre AS sw_all,
       sum(CASE WHEN poss IS NOT NULL THEN w END) OVER pre AS sw_box
FROM x
WINDOW pre AS (PARTITION BY team_id, season ORDER BY start_epoch, event_id
               ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
"""


def team_sql(lo: int, elo: str, ls: str) -> str:
    """Team layer: pre-game team features into ``features.stage_team_game_features``.

    Raw ratings are exponentially weighted in-season means with a regressed previous-season
    prior; adjusted ratings correct each game for the opponent's pre-game rating and venue,
    in two passes (the second pass uses the opponents' adjusted ratings). ``elo`` names the
    relation holding every game's pre-game Elo ratings (``features.elo_game`` layout), ``ls``
    the relation of pre-game least-squares ratings (event_id, team_id, ls_rating; see
    :mod:`hoopcast_features.ls_rating`).
    """
    names = list(_GAME_VALUES)
    prior_cols = ",\n".join(
        f"{_league_mean(n)} + {1 - PRIOR_REGRESSION} * (avg(g_{n}) - {_league_mean(n)}) AS p_{n}"
        for n in names
    )
    raw_pre = ",\n".join(
        f"{_ew('g_' + n, 'p.p_' + n, 'sw_all' if n in _POINTS_VALUES else 'sw_box')} AS pre_{n}"
        for n in names
    )
    half = HOME_EFFICIENCY_EDGE / 2.0
    lg = LEAGUE_EFFICIENCY

    # the adjustment chain carries only the columns it needs (copying the wide rows of `tr`
    # through every step cost more than the arithmetic)
    keep = "a.event_id, a.team_id, a.opp_id, a.season, a.start_epoch, a.final, a.venue, a.w, "
    keep += "a.sw_all, a.g_off_rtg, a.g_def_rtg"

    def adjust(src: str, off: str, deff: str, extra: str = "") -> str:
        return f"""
    SELECT {keep}{extra},
        CASE WHEN a.final THEN a.g_off_rtg - (coalesce(o.{deff}, {UNRATED_DEF}) - {lg})
             - a.venue * {half} END AS ga_off,
        CASE WHEN a.final THEN a.g_def_rtg - (coalesce(o.{off}, {UNRATED_OFF}) - {lg})
             + a.venue * {half} END AS ga_def
    FROM {src} a LEFT JOIN {src} o ON o.event_id = a.event_id AND o.team_id = a.opp_id"""

    return f"""
CREATE OR REPLACE TEMP TABLE tr AS
WITH prior_raw AS (
    SELECT team_id, season + 1 AS season, {prior_cols}
    FROM tg WHERE final GROUP BY team_id, season HAVING count(*) >= 5
)
SELECT tg.*, {raw_pre}
FROM tg LEFT JOIN prior_raw p USING (team_id, season)
WHERE tg.season >= {lo - 1};

CREATE OR REPLACE TEMP TABLE a1 AS
{adjust("tr", "pre_off_rtg", "pre_def_rtg")};

CREATE OR REPLACE TEMP TABLE r1 AS
WITH prior_adj AS (
    SELECT team_id, season + 1 AS season,
        {lg} + {1 - PRIOR_REGRESSION} * (avg(ga_off) - {lg}) AS p_adj_off,
        {lg} + {1 - PRIOR_REGRESSION} * (avg(ga_def) - {lg}) AS p_adj_def
    FROM a1 WHERE final GROUP BY team_id, season HAVING count(*) >= 5
)
SELECT a1.* EXCLUDE (ga_off, ga_def), p.p_adj_off, p.p_adj_def,
    {_ew("ga_off", "p.p_adj_off")} AS adj1_off,
    {_ew("ga_def", "p.p_adj_def")} AS adj1_def
FROM a1 LEFT JOIN prior_adj p USING (team_id, season)
WHERE a1.season >= {lo};

CREATE OR REPLACE TEMP TABLE a2 AS
{adjust("r1", "adj1_off", "adj1_def", ", a.p_adj_off, a.p_adj_def")};

CREATE OR REPLACE TEMP TABLE ta AS
WITH adj AS (
    SELECT event_id, team_id,
        {_ew("ga_off", "p_adj_off")} AS pre_adj_off,
        {_ew("ga_def", "p_adj_def")} AS pre_adj_def
    FROM a2
)
SELECT tr.*, adj.pre_adj_off, adj.pre_adj_def FROM tr JOIN adj USING (event_id, team_id);

CREATE OR REPLACE TABLE features.stage_team_game_features AS
WITH opp AS (
    SELECT a.event_id, a.team_id,
        o.pre_adj_off - o.pre_adj_def AS opp_adj_net,
        CASE WHEN a.is_home_side THEN e.away_elo_pre ELSE e.home_elo_pre END AS opp_elo,
        CASE WHEN a.is_home_side THEN e.home_elo_pre ELSE e.away_elo_pre END AS elo
    FROM ta a
    LEFT JOIN ta o ON o.event_id = a.event_id AND o.team_id = a.opp_id
    LEFT JOIN {elo} e ON e.event_id = a.event_id AND e.season >= {lo}
), x AS (
    SELECT ta.*, opp.elo, opp.opp_elo, opp.opp_adj_net, lsr.ls_rating, xs.pre_margin_last5,
        xs.pre_rest_days,
        CASE WHEN ta.final THEN opp.opp_elo END AS g_opp_elo,
        CASE WHEN ta.final THEN opp.opp_adj_net END AS g_opp_adj_net
    FROM ta JOIN opp USING (event_id, team_id)
    LEFT JOIN {ls} lsr ON lsr.event_id = ta.event_id AND lsr.team_id = ta.team_id
    LEFT JOIN t_cross xs ON xs.event_id = ta.event_id AND xs.team_id = ta.team_id
), feat AS (
SELECT event_id, team_id, opp_id AS opponent_id, season, game_date, start_epoch,
    CASE WHEN venue = 1 THEN 'home' WHEN venue = -1 THEN 'away' ELSE 'neutral' END AS venue,
    is_home_side, final,
    elo AS f_elo, ls_rating AS f_ls_rating,
    pre_off_rtg AS f_off_rtg, pre_def_rtg AS f_def_rtg, pre_off_rtg - pre_def_rtg AS f_net_rtg,
    pre_adj_off AS f_adj_off, pre_adj_def AS f_adj_def, pre_adj_off - pre_adj_def AS f_adj_net,
    pre_pace AS f_pace, pre_margin AS f_margin, pre_win AS f_win_pct,
    pre_efg AS f_efg, pre_opp_efg AS f_opp_efg, pre_tov_rate AS f_tov_rate,
    pre_opp_tov_rate AS f_opp_tov_rate, pre_orb_pct AS f_orb_pct, pre_drb_pct AS f_drb_pct,
    pre_ft_rate AS f_ft_rate, pre_three_rate AS f_three_rate,
    avg(g_opp_elo) OVER w_season AS f_sos_elo,
    avg(g_opp_adj_net) OVER w_season AS f_sos_adj_net,
    pre_margin_last5 AS f_margin_last5,
    coalesce(count(CASE WHEN final THEN 1 END) OVER w_season, 0)::DOUBLE AS f_games_played,
    coalesce(count(poss) OVER w_season, 0)::DOUBLE AS f_box_games,
    pre_rest_days AS f_rest_days
FROM x
WINDOW w_season AS (PARTITION BY team_id, season ORDER BY start_epoch, event_id
                    ROWS BETWEEN UNBOUNDED PRECEDING AND 1 PRECEDING)
)
SELECT event_id, team_id, opponent_id, season, game_date, start_epoch, venue, is_home_side,
    final, round(COLUMNS('^f_'), {DIGITS})
FROM feat
WHERE season >= {lo}
"""


def _league_mean(name: str) -> str:
    """SQL for the league mean a prior of value ``name`` regresses toward (that season's mean)."""
    return f"avg(avg(g_{name})) OVER (PARTITION BY season)"


def player_sql(lo: int, team: str) -> str:
    """Player layer: into ``features.stage_player_game_features``, one row per team-game.

    From ``core.player_game_stats`` (only games with player box scores):

    * ``f_minutes_continuity``: share of the team's minutes in its last game with player box
      scores played by players who also played in the game with box scores before that;
    * ``f_top_scorer_played``: 1 if the team's season-to-date top scorer (points, through its
      last game with player box scores) played in that last game, else 0;
    * ``f_player_games``: number of the team's earlier games with player box scores this season.

    All NULL (``f_player_games`` 0) where the team has no earlier player box score.
    """
    return f"""
CREATE OR REPLACE TABLE features.stage_player_game_features AS
WITH pg AS (
    SELECT p.event_id, p.team_id, p.player_id, coalesce(p.minutes, 0) AS minutes,
           coalesce(p.points, 0) AS points,
           coalesce(p.minutes, 0) > 0 AND NOT coalesce(p.did_not_play, false) AS played,
           g.season, {START_EPOCH} AS start_epoch
    FROM core.player_game_stats p JOIN core.games g USING (event_id)
    WHERE g.season >= {lo} AND g.completed
), tgames AS (
    SELECT DISTINCT team_id, season, event_id, start_epoch FROM pg
), seq AS (
    SELECT *, lag(event_id) OVER (PARTITION BY team_id, season
                                  ORDER BY start_epoch, event_id) AS prev_event_id,
           row_number() OVER (PARTITION BY team_id, season ORDER BY start_epoch, event_id)
               AS n_games
    FROM tgames
), cont AS (
    SELECT s.team_id, s.event_id,
        sum(CASE WHEN q.player_id IS NOT NULL THEN p.minutes ELSE 0 END)
            / nullif(sum(p.minutes), 0) AS continuity
    FROM seq s JOIN pg p ON p.event_id = s.event_id AND p.team_id = s.team_id AND p.played
    LEFT JOIN pg q ON q.event_id = s.prev_event_id AND q.team_id = s.team_id
        AND q.player_id = p.player_id AND q.played
    WHERE s.prev_event_id IS NOT NULL
    GROUP BY s.team_id, s.event_id
), totals AS (
    SELECT s.team_id, s.event_id, p.player_id, sum(p.points) AS pts_to_date
    FROM seq s JOIN seq e ON e.team_id = s.team_id AND e.season = s.season
        AND e.n_games <= s.n_games
    JOIN pg p ON p.event_id = e.event_id AND p.team_id = e.team_id
    GROUP BY s.team_id, s.event_id, p.player_id
), top AS (
    SELECT team_id, event_id, arg_max(player_id, pts_to_date) AS top_player
    FROM totals GROUP BY team_id, event_id
), per_game AS (
    SELECT s.team_id, s.season, s.event_id, s.start_epoch, s.n_games, c.continuity,
        CASE WHEN bool_or(p.played) THEN 1.0 ELSE 0.0 END AS top_played
    FROM seq s LEFT JOIN cont c USING (team_id, event_id)
    JOIN top t USING (team_id, event_id)
    LEFT JOIN pg p ON p.event_id = s.event_id AND p.team_id = s.team_id
        AND p.player_id = t.top_player
    GROUP BY ALL
)
SELECT t.event_id, t.team_id, t.season,
    round(pgm.continuity, {DIGITS}) AS f_minutes_continuity, pgm.top_played AS f_top_scorer_played,
    coalesce(pgm.n_games, 0)::DOUBLE AS f_player_games
FROM {team} t
ASOF LEFT JOIN per_game pgm
    ON pgm.team_id = t.team_id AND pgm.season = t.season AND t.start_epoch > pgm.start_epoch
WHERE t.season >= {lo}
"""


TEAM_FEATURES = (
    "elo",
    "ls_rating",
    "off_rtg",
    "def_rtg",
    "net_rtg",
    "adj_off",
    "adj_def",
    "adj_net",
    "pace",
    "margin",
    "win_pct",
    "efg",
    "opp_efg",
    "tov_rate",
    "opp_tov_rate",
    "orb_pct",
    "drb_pct",
    "ft_rate",
    "three_rate",
    "sos_elo",
    "sos_adj_net",
    "margin_last5",
    "games_played",
    "box_games",
    "rest_days",
)
"""Team-layer features (``f_<name>``) that the game layer carries per side."""

DIFF_FEATURES = (
    "elo",
    "ls_rating",
    "adj_off",
    "adj_def",
    "adj_net",
    "net_rtg",
    "margin",
    "win_pct",
    "sos_elo",
    "sos_adj_net",
    "margin_last5",
    "rest_days",
    "efg",
    "opp_efg",
    "tov_rate",
    "orb_pct",
)
"""Features that also get a home-minus-away difference ``f_diff_<name>``."""

PLAYER_FEATURES = ("minutes_continuity", "top_scorer_played", "player_games")


def game_sql(lo: int, team: str, player: str, elo: str, team_seasons: str) -> str:
    """Game layer: one row per core.games event into ``features.stage_game_features``.

    Context, labels, ``elo_home_prob`` and, per side, the team and player features
    (``f_home_*``, ``f_away_*``), home-minus-away differences (``f_diff_*``) and the expected
    margin from adjusted efficiencies: ``f_exp_margin = (net_home − net_away)·pace/100 + venue
    edge``, with ``pace = pace_home + pace_away − league pace``. D1 flags (``is_d1_game``,
    ``f_*_is_d1``) are each team's membership in the game's season from ``team_seasons``
    (:mod:`hoopcast_features.team_seasons`). ``quality_flags`` is NULL here; the build fills
    it from the ``flag`` quality checks.
    """
    sides = []
    for side in ("home", "away"):
        short = side[0]
        sides += [f"{short}.f_{n} AS f_{side}_{n}" for n in TEAM_FEATURES]
        sides += [f"{short}p.f_{n} AS f_{side}_{n}" for n in PLAYER_FEATURES]
    diffs = [f"h.f_{n} - a.f_{n} AS f_diff_{n}" for n in DIFF_FEATURES]
    cols = ",\n    ".join(sides + diffs)
    fb = PACE_FALLBACK
    pace = f"coalesce(h.f_pace, {fb}) + coalesce(a.f_pace, {fb}) - {fb}"
    return f"""
CREATE OR REPLACE TABLE features.stage_game_features AS
SELECT event_id, season, game_date, start_time_utc, home_team_id, away_team_id, neutral_site,
    status, completed, is_d1_game, home_win, home_margin, elo_home_prob,
    NULL::VARCHAR AS quality_flags, round(COLUMNS('^f_'), {DIGITS})
FROM (
SELECT g.event_id, g.season, g.game_date, g.start_time_utc, g.home_team_id, g.away_team_id,
    coalesce(g.neutral_site, false) AS neutral_site, g.status, g.completed,
    coalesce(th.is_d1 AND ta.is_d1, false) AS is_d1_game,
    CASE WHEN h.final THEN g.home_score > g.away_score END AS home_win,
    CASE WHEN h.final THEN g.home_score - g.away_score END::INTEGER AS home_margin,
    e.elo_home_prob,
    e.elo_home_prob AS f_elo_prob,
    CASE WHEN coalesce(g.neutral_site, false) THEN 1.0 ELSE 0.0 END AS f_neutral_site,
    CASE WHEN coalesce(g.conference_competition, false) THEN 1.0 ELSE 0.0 END
        AS f_conference_game,
    CASE WHEN coalesce(g.season_type, 2) = 3 THEN 1.0 ELSE 0.0 END AS f_postseason,
    date_diff('day', make_date(g.season - 1, 11, 1), g.game_date)::DOUBLE AS f_season_day,
    CASE WHEN coalesce(th.is_d1, false) THEN 1.0 ELSE 0.0 END AS f_home_is_d1,
    CASE WHEN coalesce(ta.is_d1, false) THEN 1.0 ELSE 0.0 END AS f_away_is_d1,
    ((h.f_adj_off + a.f_adj_def) - (a.f_adj_off + h.f_adj_def)) * ({pace}) / 100.0
        + CASE WHEN coalesce(g.neutral_site, false) THEN 0.0
               ELSE {HOME_EFFICIENCY_EDGE} * ({pace}) / 100.0 END AS f_exp_margin,
    ((h.f_adj_off + a.f_adj_def) + (a.f_adj_off + h.f_adj_def)) * ({pace}) / 100.0
        AS f_exp_total,
    {cols}
FROM core.games g
-- `season >= lo` on every joined relation: pushed down into the views of published + staged
-- rows, so an incremental build reads only the seasons it rebuilds
JOIN {team} h ON h.event_id = g.event_id AND h.team_id = g.home_team_id AND h.season >= {lo}
JOIN {team} a ON a.event_id = g.event_id AND a.team_id = g.away_team_id AND a.season >= {lo}
LEFT JOIN {player} hp
    ON hp.event_id = g.event_id AND hp.team_id = g.home_team_id AND hp.season >= {lo}
LEFT JOIN {player} ap
    ON ap.event_id = g.event_id AND ap.team_id = g.away_team_id AND ap.season >= {lo}
LEFT JOIN {elo} e ON e.event_id = g.event_id AND e.season >= {lo}
LEFT JOIN {team_seasons} th ON th.team_id = g.home_team_id AND th.season = g.season
LEFT JOIN {team_seasons} ta ON ta.team_id = g.away_team_id AND ta.season = g.season
WHERE g.season >= {lo}
)
"""
