"""Seeded fault injection: every kind happens, is counted, and repeats for the same seed."""

from __future__ import annotations

from collections import Counter

import httpx
import orjson
from replay_helpers import API


def _outcomes(url: str, n: int = 60) -> list[str]:
    seen: list[str] = []
    with httpx.Client(timeout=0.3) as client:
        for i in range(n):
            target = f"{url}{API}/teams/2752" if i % 2 else f"{url}{API}/summary?event=401715624"
            try:
                r = client.get(target)
            except httpx.TimeoutException:
                seen.append("delay")
                continue
            if r.status_code == 429:
                assert r.headers["Retry-After"] == "1"
                seen.append("429")
            elif r.status_code >= 500:
                assert r.status_code in (500, 502, 503)
                seen.append("5xx")
            elif r.status_code == 202:
                assert r.content == b""
                seen.append("empty_202")
            else:
                assert r.status_code == 200
                try:
                    orjson.loads(r.content)
                    seen.append("ok")
                except orjson.JSONDecodeError:
                    seen.append("malformed")
    return seen


def _stats(url: str) -> dict:  # type: ignore[type-arg]
    return httpx.get(f"{url}/__replay/stats").json()  # type: ignore[no-any-return]


def test_faults_counted_and_deterministic(replay_server_factory) -> None:  # type: ignore[no-untyped-def]
    with replay_server_factory(faults=0.5, seed=7, fault_delay_s=0.6) as url:
        first = _outcomes(url)
        stats = _stats(url)
    counts = Counter(first)
    assert stats["faults"] == {k: counts.get(k, 0) for k in stats["faults"]}
    assert all(counts[k] > 0 for k in ("429", "5xx", "delay", "malformed", "empty_202"))
    assert 0 < counts["ok"] < len(first)
    with replay_server_factory(faults=0.5, seed=7, fault_delay_s=0.6) as url:
        assert _outcomes(url) == first
    with replay_server_factory(faults=0.5, seed=8, fault_delay_s=0.6) as url:
        assert _outcomes(url) != first


def test_no_faults_by_default(replay_server: str) -> None:
    before = _stats(replay_server)["faults"]
    assert set(_outcomes(replay_server, n=10)) == {"ok"}
    assert _stats(replay_server)["faults"] == before == dict.fromkeys(before, 0)
