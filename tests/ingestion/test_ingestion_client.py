"""EspnClient over real HTTP: retries, backoff, Retry-After, adaptive rate, exit-3 errors."""

from __future__ import annotations

import asyncio
import email.utils
import socket
import time
from typing import Any

import pytest
from hoopcast_common.errors import ConfigError, UpstreamUnavailableError
from hoopcast_common.settings import Settings
from hoopcast_ingestion.client import (
    API_PREFIX,
    ClientConfig,
    EspnClient,
    Fetched,
    Request,
    parse_retry_after,
)
from pytest_httpserver import HTTPServer
from werkzeug import Response

FAST = {
    "max_concurrency": 8,
    "rate_per_s": 200.0,
    "max_rate_per_s": 400.0,
    "timeout_s": 1.0,
    "max_attempts": 8,
    "backoff_initial_s": 0.01,
    "backoff_max_s": 0.05,
}


def _scoreboards(days: range) -> list[Request]:
    return [
        Request("scoreboard", f"202412{d:02d}", "scoreboard", {"dates": f"202412{d:02d}"})
        for d in days
    ]


async def _fetch_all(client: EspnClient, requests: list[Request]) -> list[Fetched]:
    return [f async for f in client.fetch_many(requests)]


def test_retries_injected_faults_until_every_request_succeeds(replay_server_factory: Any) -> None:
    requests = _scoreboards(range(1, 31))
    with replay_server_factory(now="2025-01-20", faults=0.4, seed=11, fault_delay_s=2.0) as url:

        async def run() -> tuple[list[Fetched], EspnClient]:
            async with EspnClient(ClientConfig(base_url=url, **FAST)) as client:  # type: ignore[arg-type]
                return await _fetch_all(client, requests), client

        fetched, client = asyncio.run(run())
    assert sorted(f.request.request_key for f in fetched) == sorted(r.request_key for r in requests)
    # Retryable faults never reach the caller; "malformed" is a 200 and does.
    assert {f.status for f in fetched} == {200}
    assert client.retries > 0
    assert client.throttled > 0
    assert client.requests == len(requests) + client.retries
    # Rate adaptation: halved on 429/5xx/202, never below the floor, back up on success.
    assert client.min_rate_seen < FAST["rate_per_s"]
    assert client.min_rate_seen >= client.config.min_rate_per_s


def test_retry_after_is_honoured(httpserver: HTTPServer) -> None:
    path = f"{API_PREFIX}/scoreboard"
    httpserver.expect_ordered_request(path).respond_with_response(
        Response('{"code": 429}', status=429, headers={"Retry-After": "1"})
    )
    httpserver.expect_ordered_request(path).respond_with_data('{"events":[]}')
    base = httpserver.url_for("/").rstrip("/")
    config = ClientConfig(base_url=base, **FAST)  # type: ignore[arg-type]

    async def run() -> tuple[Fetched, float, EspnClient]:
        async with EspnClient(config) as client:
            t0 = time.perf_counter()
            fetched = await client.fetch(Request("scoreboard", "20241201", "scoreboard"))
            return fetched, time.perf_counter() - t0, client

    fetched, elapsed, client = asyncio.run(run())
    assert fetched.status == 200 and fetched.body == '{"events":[]}'
    assert elapsed >= 1.0  # backoff alone would have waited at most ~0.06 s
    assert (client.requests, client.retries, client.throttled) == (2, 1, 1)
    assert client.rate_per_s <= FAST["rate_per_s"]


def test_empty_202_is_retried_and_404_is_returned(httpserver: HTTPServer) -> None:
    path = f"{API_PREFIX}/teams/1/roster"
    httpserver.expect_ordered_request(path).respond_with_data("", status=202)
    httpserver.expect_ordered_request(path).respond_with_data('{"code":404}', status=404)
    config = ClientConfig(base_url=httpserver.url_for("/").rstrip("/"), **FAST)  # type: ignore[arg-type]

    async def run() -> tuple[Fetched, EspnClient]:
        async with EspnClient(config) as client:
            return await client.fetch(Request("roster", "1", "teams/1/roster")), client

    fetched, client = asyncio.run(run())
    assert fetched.status == 404
    assert client.retries == 1


def test_persistent_5xx_raises_upstream_unavailable(httpserver: HTTPServer) -> None:
    httpserver.expect_request(f"{API_PREFIX}/summary").respond_with_data("down", status=503)
    config = ClientConfig(
        base_url=httpserver.url_for("/").rstrip("/"),
        **{**FAST, "max_attempts": 3},  # type: ignore[arg-type]
    )

    async def run() -> EspnClient:
        async with EspnClient(config) as client:
            with pytest.raises(UpstreamUnavailableError, match=r"summary\?event=1.*3 times"):
                await client.fetch(Request("summary", "1", "summary", {"event": "1"}))
            return client

    client = asyncio.run(run())
    assert client.requests == 3 and client.retries == 2


def test_unreachable_host_raises_upstream_unavailable() -> None:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # closed again: nothing listens there
    config = ClientConfig(base_url=f"http://127.0.0.1:{port}", **{**FAST, "max_attempts": 2})  # type: ignore[arg-type]

    async def run() -> None:
        async with EspnClient(config) as client:
            await client.fetch(Request("teams", "page1", "teams"))

    with pytest.raises(UpstreamUnavailableError, match="ConnectError"):
        asyncio.run(run())


def test_parse_retry_after_seconds_and_http_date() -> None:
    assert parse_retry_after("3") == 3.0
    assert parse_retry_after(None) is None
    assert parse_retry_after("soon") is None
    now = time.time()
    later = email.utils.formatdate(now + 30, usegmt=True)
    assert 28 <= (parse_retry_after(later, now=now) or 0) <= 31
    assert parse_retry_after(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0


def test_config_from_settings_rejects_a_base_url_with_a_path() -> None:
    settings = Settings(
        "ingestion",
        "local",
        {"ESPN_BASE_URL": "https://site.api.espn.com/apis/site/v2"},
        {"ESPN_BASE_URL": "env/local/common.env"},
    )
    with pytest.raises(ConfigError, match=r"ESPN_BASE_URL.*scheme and host only"):
        ClientConfig.from_settings(settings)
    ok = ClientConfig.from_settings(
        Settings(
            "ingestion",
            "replay",
            {
                "ESPN_BASE_URL": "http://espn-replay:8765/",
                "ESPN_RATE_PER_S": "7",
                "ESPN_MAX_RATE_PER_S": "9",
            },
        )
    )
    assert (ok.base_url, ok.rate_per_s, ok.max_rate_per_s) == ("http://espn-replay:8765", 7.0, 9.0)


def test_a_slow_down_paces_the_requests_already_waiting(httpserver: HTTPServer) -> None:
    """21 requests wait on the limiter (20/s) when the first answer is a 429: the rate halves
    to 10/s and grows back by 0.5/s per success, so the 20 gaps after it last at least
    sum(1/(10 + 0.5·k), k = 0..19) ≈ 1.39 s, less the first gap already scheduled at the old
    rate (0.05 s instead of 0.1 s). Without the slow-down they would take 20 × 0.05 = 1.0 s."""
    answered: list[float] = []

    def handler(_request: Any) -> Response:
        answered.append(time.perf_counter())
        if len(answered) == 1:
            return Response('{"code": 429}', status=429)
        return Response('{"events":[]}', status=200)

    httpserver.expect_request(f"{API_PREFIX}/scoreboard").respond_with_handler(handler)
    config = ClientConfig(
        base_url=httpserver.url_for("/").rstrip("/"),
        max_concurrency=32,
        rate_per_s=20.0,
        max_rate_per_s=20.0,
        min_rate_per_s=1.0,
        timeout_s=2.0,
        max_attempts=3,
        backoff_initial_s=0.001,
        backoff_max_s=0.002,
    )
    requests = _scoreboards(range(1, 21))

    async def run() -> tuple[list[Fetched], EspnClient]:
        async with EspnClient(config) as client:
            return await _fetch_all(client, requests), client

    fetched, client = asyncio.run(run())
    assert len(fetched) == 20 and {f.status for f in fetched} == {200}
    assert (client.requests, client.throttled, client.min_rate_seen) == (21, 1, 10.0)
    assert answered[-1] - answered[0] >= 1.25
    # ... and the rate grew back to the cap: 10 + 20 successes × 0.5/s.
    assert client.rate_per_s == 20.0
