"""Bench of the offline ESPN replay server: start-up time and request throughput.

Usage (from the project root)::

    uv run python bench/espn-replay/bench_replay.py [--season 2025] [--concurrency 16]

Prints figures, asserts nothing:

* ``startup_s``: wall time from launching the real CLI (``hoopcast-espn-replay``) as a
  subprocess until ``/__replay/health`` answers (process start, imports, data load, bind);
* ``load_s``: the data load alone, as the server reports it (``/__replay/stats``);
* a whole season collected the way the ingestion does it: every scoreboard date of the
  season (``dates=YYYYMMDD&groups=50&limit=500``) then every final event's ``/summary``, with
  ``--concurrency`` requests in flight (httpx.AsyncClient): requests, seconds, requests/s,
  p50/p95 latency in ms.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import json
import statistics
import time
from pathlib import Path

import httpx
from hoopcast_espn_replay.server import replay_process

API = "/apis/site/v2/sports/basketball/mens-college-basketball"


def _cpu_seconds(pid: int) -> float:
    """User + system CPU seconds of process ``pid`` (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    import os

    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def _collect(base: str, season: int, concurrency: int) -> dict[str, float]:
    latencies: list[float] = []
    sem = asyncio.Semaphore(concurrency)
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)
    async with httpx.AsyncClient(base_url=base, timeout=60, limits=limits) as client:

        async def get(path: str, params: dict[str, str]) -> httpx.Response:
            async with sem:
                t = time.perf_counter()
                r = await client.get(path, params=params)
                latencies.append(time.perf_counter() - t)
                r.raise_for_status()
                return r

        t0 = time.perf_counter()
        start, end = dt.date(season - 1, 11, 1), dt.date(season, 4, 10)
        days = [start + dt.timedelta(days=i) for i in range((end - start).days + 1)]
        boards = await asyncio.gather(
            *(
                get(f"{API}/scoreboard", {"dates": f"{d:%Y%m%d}", "groups": "50", "limit": "500"})
                for d in days
            )
        )
        events = [
            e["id"] for r in boards for e in r.json()["events"] if e["status"]["type"]["completed"]
        ]
        await asyncio.gather(*(get(f"{API}/summary", {"event": e}) for e in events))
        seconds = time.perf_counter() - t0
    ms = sorted(x * 1000 for x in latencies)
    return {
        "scoreboards": len(days),
        "summaries": len(events),
        "requests": len(ms),
        "seconds": round(seconds, 2),
        "requests_per_s": round(len(ms) / seconds, 1),
        "p50_ms": round(statistics.median(ms), 2),
        "p95_ms": round(ms[int(0.95 * (len(ms) - 1))], 2),
    }


def main() -> None:
    """Run the bench and print one JSON object of figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--season", type=int, default=2025)
    parser.add_argument("--concurrency", type=int, default=16)
    parser.add_argument("--now", default="2026-02-07")
    args = parser.parse_args()
    t0 = time.perf_counter()
    with replay_process(dt.date.fromisoformat(args.now)) as server:
        startup = time.perf_counter() - t0
        base, pid = server.base_url, server.process.pid
        stats = httpx.get(f"{base}/__replay/stats").json()
        cpu0 = _cpu_seconds(pid)
        figures = asyncio.run(_collect(base, args.season, args.concurrency))
        figures["server_cpu_s"] = round(_cpu_seconds(pid) - cpu0, 2)
        figures["server_cpu_ms_per_request"] = round(
            1000 * figures["server_cpu_s"] / figures["requests"], 3
        )
    print(
        json.dumps(
            {
                "startup_s": round(startup, 2),
                "load_s": stats["load_seconds"],
                "games": stats["games"],
                "season": args.season,
                "concurrency": args.concurrency,
                **figures,
            }
        )
    )


if __name__ == "__main__":
    main()
