"""Elo ratings: one of the two features computed in Python instead of SQL (with ls_rating).

Why not SQL: Elo is a sequential recurrence. A game's update depends on both teams' ratings
*after every earlier game*, and those ratings depend on their opponents' histories in turn, so
the state couples all teams in start order. A window function cannot express that (each window
sees only one partition), and a recursive CTE would materialise one row per game per step. So
this module runs one tight pass over ``numpy`` arrays in start order with the state being one
rating per team, and persists every game's pre/post ratings in ``features.elo_game`` so an
incremental build resumes from the stored state instead of replaying all history.

Formula (FiveThirtyEight, "How We Calculate NBA Elo Ratings", 2015, adapted to college
basketball; K, the early-season boost, its half-life and the season regression were re-chosen
by Elo's own log-loss on the validation seasons 2022-23 and 2023-24, mean 0.5525 → 0.5514,
``bench/trainer`` protocol, docs/guides/features.md):

* pre-game home-win probability ``p = 1 / (1 + 10 ** (-(R_home + H - R_away) / 400))`` with home
  advantage ``H`` Elo points (0 at neutral sites);
* update ``R' = R ± K_team · M · (result - p)`` where the margin-of-victory multiplier is
  ``M = (|margin| + 3) ** 0.8 / (7.5 + 0.006 · elo_diff_winner)`` and ``elo_diff_winner`` is the
  winner's rating minus the loser's, including ``H`` (denominator floored at 2 for huge upsets);
  FiveThirtyEight's constants, which the same validation kept (offsets 1–6, exponents 0.6–0.9,
  bases 6–9, slopes 0.003–0.01 were no better);
* early in a season ratings move faster (rosters turn over between seasons): each team's
  ``K_team = K · (1 + B · 0.5 ** (g / h))`` with ``g`` its finished games this season so far,
  boost ``B`` and half-life ``h`` games (this addition is ours, fitted like the rest);
* between seasons each rating regresses toward its class mean: ``R ← (1 - r) · R + r · mean``
  (D1 teams toward 1500, non-D1 toward their start rating), applied at the team's first game
  of a new season, the class being the team's D1 membership in the new season;
* a team seen for the first time starts at 1500 (D1) or ``INIT_NON_D1`` (non-D1 opponents, who
  are far weaker on average), by its D1 membership in that game's season
  (:mod:`hoopcast_features.team_seasons`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

HOME_ADVANTAGE = 85.0
"""Home advantage in Elo points (about 3 points of margin)."""
K_FACTOR = 28.0
"""Elo K-factor (rating points per unit of surprise, before the margin multiplier)."""
EARLY_SEASON_BOOST = 2.0
"""Extra K share at a team's first game of a season (``B``), halving every ``h`` games."""
EARLY_SEASON_HALF_LIFE = 5.0
"""Games in which the early-season K boost halves (``h``)."""
SEASON_REGRESSION = 0.1
"""Share of the distance to the class mean a rating loses between seasons."""
MOV_OFFSET = 3.0
"""Margin-of-victory multiplier: points added to the absolute margin."""
MOV_EXPONENT = 0.8
"""Margin-of-victory multiplier: exponent of the (offset) margin."""
MOV_BASE = 7.5
"""Margin-of-victory multiplier: denominator at an even Elo difference."""
MOV_SLOPE = 0.006
"""Margin-of-victory multiplier: denominator growth per Elo point of the winner's edge
(damps the autocorrelation of favourites winning big)."""
INIT_D1 = 1500.0
"""Start rating (and regression target) of a D1 team."""
INIT_NON_D1 = 1100.0
"""Start rating (and regression target) of a non-D1 team."""


@dataclass
class EloState:
    """Ratings after some prefix of the games, per team id.

    ``rating`` (Elo points), ``last_season`` (season of the team's last finished game) and
    ``games`` (finished games in that season).
    """

    rating: dict[str, float] = field(default_factory=dict)
    last_season: dict[str, int] = field(default_factory=dict)
    games: dict[str, int] = field(default_factory=dict)


@dataclass
class EloResult:
    """Per-game output arrays (length = games passed in, same order) and the final state."""

    home_pre: npt.NDArray[np.float64]
    away_pre: npt.NDArray[np.float64]
    home_prob: npt.NDArray[np.float64]
    home_post: npt.NDArray[np.float64]
    away_post: npt.NDArray[np.float64]
    state: EloState


def win_probability(diff: float) -> float:
    """P(first team wins) for an Elo difference ``diff`` (home advantage already included)."""
    return float(1.0 / (1.0 + 10.0 ** (-diff / 400.0)))


def run_elo(
    home: list[str],
    away: list[str],
    season: npt.NDArray[np.int64],
    completed: npt.NDArray[np.bool_],
    margin: npt.NDArray[np.float64],
    neutral: npt.NDArray[np.bool_],
    home_d1: npt.NDArray[np.bool_],
    away_d1: npt.NDArray[np.bool_],
    state: EloState,
) -> EloResult:
    """Run the Elo recurrence over games already sorted by (start time, event id).

    Args:
        home, away: ESPN team ids per game.
        season: season year per game.
        completed: True for final games with scores (only those update ratings).
        margin: home score minus away score (ignored where not completed).
        neutral: neutral-site flag per game.
        home_d1, away_d1: per game, whether the team is D1 in the game's season (start rating
            and regression target).
        state: ratings before the first game; updated in place and returned.

    Returns:
        EloResult with pre/post ratings (Elo points) and the home-win probability in [0, 1].
    """
    n = len(home)
    home_pre = np.empty(n)
    away_pre = np.empty(n)
    prob = np.empty(n)
    home_post = np.empty(n)
    away_post = np.empty(n)
    rating = state.rating
    last = state.last_season
    played = state.games
    reg = SEASON_REGRESSION
    boost, half = EARLY_SEASON_BOOST, EARLY_SEASON_HALF_LIFE
    mov_offset, mov_exp, mov_base, mov_slope = MOV_OFFSET, MOV_EXPONENT, MOV_BASE, MOV_SLOPE
    seasons = season.tolist()
    done = completed.tolist()
    margins = margin.tolist()
    neutrals = neutral.tolist()
    h_d1 = home_d1.tolist()
    a_d1 = away_d1.tolist()

    def pre(team: str, season_now: int, d1: bool) -> tuple[float, int]:
        base = INIT_D1 if d1 else INIT_NON_D1
        value = rating.get(team)
        if value is None:
            return base, 0
        if season_now > last[team]:
            return (1.0 - reg) * value + reg * base, 0
        return value, played[team]

    for i in range(n):
        h, a, s = home[i], away[i], seasons[i]
        (rh, gh), (ra, ga) = pre(h, s, h_d1[i]), pre(a, s, a_d1[i])
        hca = 0.0 if neutrals[i] else HOME_ADVANTAGE
        diff = rh + hca - ra
        p = 1.0 / (1.0 + 10.0 ** (-diff / 400.0))
        home_pre[i], away_pre[i], prob[i] = rh, ra, p
        if done[i]:
            m = margins[i]
            result = 1.0 if m > 0 else 0.0
            winner_diff = diff if m > 0 else -diff
            mult = (abs(m) + mov_offset) ** mov_exp / max(mov_base + mov_slope * winner_diff, 2.0)
            shift = mult * (result - p)
            rh += K_FACTOR * (1.0 + boost * 0.5 ** (gh / half)) * shift
            ra -= K_FACTOR * (1.0 + boost * 0.5 ** (ga / half)) * shift
            rating[h], rating[a] = rh, ra
            last[h] = last[a] = s
            played[h], played[a] = gh + 1, ga + 1
        home_post[i], away_post[i] = rh, ra
    return EloResult(home_pre, away_pre, prob, home_post, away_post, state)
