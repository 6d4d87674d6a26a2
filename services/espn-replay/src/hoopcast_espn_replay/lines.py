"""Betting lines of the results file in ESPN's shapes: the summary's ``pickcenter[]`` and the
scoreboard's ``competitions[].odds[]``.

The results file gives one number per game, the closing point spread (``aspread``; see
:func:`~.results.espn_spread`), from SportsBookReviewsOnline through 2022-23 and
ScoresAndOdds since (``data/results/README.md``). It is served as ESPN's ``consensus``
provider. The file has no totals, moneylines or prices, so ``overUnder``, ``moneyLine``,
``spreadOdds`` and win percentages are left out, as ESPN leaves out what a provider lacks
(the recorded consensus entry of summary 330452197 has no ``overUnder`` either).

Shapes:

* ``pickcenter[]`` entry: the recorded consensus entry of ``data/espn/summary/
  summary_330452197.json`` — ``provider {id "1004", name "consensus", priority 0}``,
  ``details`` (``"EIU -6.5"``: the favourite's abbreviation and its spread; ``"EVEN"`` for
  a pick'em), ``spread`` (home team's points, float), ``awayTeamOdds``/``homeTeamOdds``
  ``{favorite, underdog, current.pointSpread {alternateDisplayValue, american}, teamId}``.
* ``odds[]`` entry of a scoreboard competition (no recorded scoreboard carries odds; ESPN's
  documented shape): ``provider``, ``details``, ``spread``, ``awayTeamOdds``/``homeTeamOdds``
  ``{favorite, underdog, team {id, uid, abbreviation, name, displayName[, logo]}}``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hoopcast_espn_replay.model import Game, ReplayData, Team

#: ESPN's consensus line provider, as in the recorded pickcenter.
CONSENSUS = {"id": "1004", "name": "consensus", "priority": 0}
#: ESPN's text for a line of 0 points (pick'em).
EVEN = "EVEN"


def _points(value: float) -> str:
    """A spread as ESPN writes it: ``-6.5``, ``+7``, ``EVEN`` for 0."""
    return f"{value:+g}" if value else EVEN


def details(spread: float, home: Team, away: Team) -> str:
    """``details`` of a line: the favourite's abbreviation and its (negative) spread, e.g.
    ``"EIU -6.5"``; ``"EVEN"`` when ``spread`` (home team's points) is 0."""
    if not spread:
        return EVEN
    favourite = home if spread < 0 else away
    return f"{favourite.abbreviation} {-abs(spread):g}"


def _sides(spread: float) -> dict[str, tuple[bool, bool, float]]:
    """side → (favorite, underdog, that side's points)."""
    return {
        "home": (spread < 0, spread > 0, spread),
        "away": (spread > 0, spread < 0, -spread if spread else 0.0),
    }


def _consensus(
    game: Game, data: ReplayData, side_odds: Callable[[Team, float], dict[str, Any]]
) -> dict[str, Any] | None:
    """The consensus entry of a game's line (None without a line): ``provider``, ``details``,
    ``spread``, then ``awayTeamOdds`` and ``homeTeamOdds`` (ESPN: away first), each
    ``{favorite, underdog}`` followed by ``side_odds(team, that side's points)``."""
    if game.spread is None:
        return None
    home, away = data.teams[game.home_id], data.teams[game.away_id]
    entry: dict[str, Any] = {
        "provider": dict(CONSENSUS),
        "details": details(game.spread, home, away),
        "spread": float(game.spread),
    }
    sides = _sides(game.spread)
    for side, team in (("away", away), ("home", home)):
        favorite, underdog, points = sides[side]
        entry[f"{side}TeamOdds"] = {
            "favorite": favorite,
            "underdog": underdog,
            **side_odds(team, points),
        }
    return entry


def _pickcenter_side(team: Team, points: float) -> dict[str, Any]:
    text = _points(points)
    return {
        "current": {"pointSpread": {"alternateDisplayValue": text, "american": text}},
        "teamId": team.id,
    }


def pickcenter(game: Game, data: ReplayData) -> list[dict[str, Any]]:
    """The summary's ``pickcenter``: one consensus entry when the game has a line, else
    ``[]`` (as ESPN answers for games without lines)."""
    entry = _consensus(game, data, _pickcenter_side)
    return [entry] if entry is not None else []


def _odds_side(team: Team, _points: float) -> dict[str, Any]:
    body = team.espn_fields("id", "uid", "abbreviation", "name", "displayName")
    if team.logo:
        body["logo"] = team.logo
    return {"team": body}


def scoreboard_odds(game: Game, data: ReplayData) -> list[dict[str, Any]] | None:
    """A scoreboard competition's ``odds``: one consensus entry, or None (key left out, as
    ESPN does) when the game has no line."""
    entry = _consensus(game, data, _odds_side)
    return [entry] if entry is not None else None
