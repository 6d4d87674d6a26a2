"""Digest of a fixed sample of replay responses, to show a change of the server keeps them.

Usage (from the project root)::

    uv run python bench/espn-replay/response_digest.py [--now 2025-01-20] [--strip pickcenter,odds]

Starts the replay server in-process (clock ``--now``, no faults) and fetches over HTTP:

* the full D1 scoreboard (``groups=50&limit=500``) of 12 dates spread over 2011-2026 (final
  and, after the clock, scheduled games) and of the clock's own day without ``dates``;
* the ``/summary`` of every event on those scoreboards;
* ``/teams?limit=500``, ``/teams/{id}`` of 40 teams, Xavier's roster, the recorded summaries
  and the recorded scoreboard's own URL.

Prints one line per endpoint (documents, sha256 of their concatenation) and the sha256 of all.
Each body is parsed and written again with orjson after removing the keys named by
``--strip`` wherever they occur, so a run before and a run after a change that adds only
those keys print the same digests. Asserts nothing.
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
from typing import Any

import httpx
import orjson
from hoopcast_espn_replay.server import running_server

API = "/apis/site/v2/sports/basketball/mens-college-basketball"
DATES = (
    "20110115",
    "20121201",
    "20140311",
    "20160305",
    "20180120",
    "20200307",
    "20221112",
    "20241201",
    "20250111",
    "20250120",
    "20250125",
    "20260207",
)
RECORDED_SUMMARIES = ("401715624", "401706886", "330452197", "290710041")


def _strip(value: Any, keys: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {k: _strip(v, keys) for k, v in value.items() if k not in keys}
    if isinstance(value, list):
        return [_strip(v, keys) for v in value]
    return value


def main() -> None:
    """Fetch the sample and print the digests."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--now", default="2025-01-20", help="replay clock (YYYY-MM-DD)")
    parser.add_argument("--strip", default="", help="comma-separated keys removed before hashing")
    args = parser.parse_args()
    keys = frozenset(k for k in args.strip.split(",") if k)
    digests: dict[str, Any] = {}
    counts: dict[str, int] = {}
    everything = hashlib.sha256()

    def add(endpoint: str, response: httpx.Response) -> Any:
        body = orjson.loads(response.content) if response.content else None
        canonical = str(response.status_code).encode() + orjson.dumps(_strip(body, keys))
        digests.setdefault(endpoint, hashlib.sha256()).update(canonical)
        everything.update(canonical)
        counts[endpoint] = counts.get(endpoint, 0) + 1
        return body

    with (
        running_server(dt.date.fromisoformat(args.now)) as base,
        httpx.Client(base_url=base + API, timeout=60) as client,
    ):
        events: list[str] = []
        for day in DATES:
            board = add(
                "scoreboard",
                client.get("/scoreboard", params={"dates": day, "groups": "50", "limit": "500"}),
            )
            events += [e["id"] for e in board["events"]]
        add("scoreboard", client.get("/scoreboard", params={"groups": "50", "limit": "500"}))
        add("scoreboard_recorded", client.get("/scoreboard", params={"dates": "20241201"}))
        for event in events:
            add("summary", client.get("/summary", params={"event": event}))
        for event in RECORDED_SUMMARIES:
            add("summary_recorded", client.get("/summary", params={"event": event}))
        teams = add("teams", client.get("/teams", params={"limit": "500"}))
        ids = [t["team"]["id"] for t in teams["sports"][0]["leagues"][0]["teams"]]
        for team_id in ids[::9]:
            add("team", client.get(f"/teams/{team_id}"))
        add("roster", client.get("/teams/2752/roster"))
    for endpoint, digest in sorted(digests.items()):
        print(f"{endpoint:20s} {counts[endpoint]:5d} {digest.hexdigest()}")
    print(f"{'all':20s} {sum(counts.values()):5d} {everything.hexdigest()}")


if __name__ == "__main__":
    main()
