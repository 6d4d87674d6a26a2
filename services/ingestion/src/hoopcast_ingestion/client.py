"""The one HTTP client of ESPN's site API: retries, backoff, adaptive rate limit, concurrency.

ESPN's public site API (``https://site.api.espn.com/apis/site/v2/sports/basketball/
mens-college-basketball/...``) is unauthenticated and rate limited without a published quota:
it answers 429 (sometimes with ``Retry-After``), 5xx, slow responses and occasionally an empty
``202 Accepted`` while a response is being built. :class:`EspnClient` therefore

* retries 429, 5xx, transport errors/timeouts and empty 202 with exponential backoff and
  jitter (tenacity), waiting at least ``Retry-After`` seconds when the server sends it;
* paces requests with a rate limiter (asynciolimiter's ``Limiter``, whose ``rate`` is public
  and may change while requests wait) whose rate halves on a 429/5xx/202 (at most once per
  second) and grows back additively on success, up to ``ESPN_MAX_RATE_PER_S`` (AIMD);
* bounds the number of requests in flight (``ESPN_MAX_CONCURRENCY``);
* counts requests and retries for the run summary;
* raises :class:`~hoopcast_common.errors.UpstreamUnavailableError` (exit 3) once a request
  has failed ``ESPN_MAX_ATTEMPTS`` times.

Other statuses (200, 404, other 4xx) are returned to the caller, which stores them in
``raw.responses`` and decides (a roster 404 means "no roster").
"""

from __future__ import annotations

import asyncio
import datetime as dt
import email.utils
import logging
import random
import time
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

import httpx
from asynciolimiter import Limiter
from hoopcast_common.errors import BadInputError, ConfigError, UpstreamUnavailableError
from hoopcast_common.settings import Settings
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    RetryError,
    retry_if_exception_type,
    stop_after_attempt,
)

log = logging.getLogger(__name__)

DEFAULT_BASE_URL = "https://site.api.espn.com"
API_PREFIX = "/apis/site/v2/sports/basketball/mens-college-basketball"
USER_AGENT = "hoopcast-ingestion/0.1 (+https://github.com/hoopcast)"


@dataclass(frozen=True)
class ClientConfig:
    """Settings of :class:`EspnClient` (env profile names in brackets).

    Attributes:
        base_url: scheme and host only [ESPN_BASE_URL], e.g. ``https://site.api.espn.com``.
        max_concurrency: requests in flight at most [ESPN_MAX_CONCURRENCY].
        rate_per_s: starting request rate, requests/s [ESPN_RATE_PER_S].
        max_rate_per_s: cap the rate grows back to after slow-downs [ESPN_MAX_RATE_PER_S].
        min_rate_per_s: floor of the adaptive rate [ESPN_MIN_RATE_PER_S].
        timeout_s: per-request timeout, seconds [ESPN_TIMEOUT_S].
        max_attempts: attempts per request before giving up (exit 3) [ESPN_MAX_ATTEMPTS].
        backoff_initial_s / backoff_max_s: exponential backoff start and cap, seconds
            [ESPN_BACKOFF_INITIAL_S, ESPN_BACKOFF_MAX_S]; jitter adds up to ``backoff_initial_s``.
        retry_after_max_s: longest ``Retry-After`` honoured, seconds [ESPN_RETRY_AFTER_MAX_S].
    """

    base_url: str = DEFAULT_BASE_URL
    max_concurrency: int = 8
    rate_per_s: float = 5.0
    max_rate_per_s: float = 10.0
    min_rate_per_s: float = 0.5
    timeout_s: float = 20.0
    max_attempts: int = 6
    backoff_initial_s: float = 0.5
    backoff_max_s: float = 30.0
    retry_after_max_s: float = 120.0

    @classmethod
    def from_settings(cls, settings: Settings) -> ClientConfig:
        """Read the ``ESPN_*`` settings of an env profile.

        Raises:
            ConfigError: a value is malformed, not positive, or ESPN_BASE_URL is not
                ``scheme://host[:port]``.
        """
        base_url = (settings.get("ESPN_BASE_URL") or DEFAULT_BASE_URL).rstrip("/")
        parsed = httpx.URL(base_url)
        if (
            parsed.scheme not in ("http", "https")
            or not parsed.host
            or parsed.path not in ("", "/")
        ):
            raise ConfigError(
                f"setting ESPN_BASE_URL={base_url!r} (from "
                f"{settings.sources.get('ESPN_BASE_URL', 'default')}) must be scheme and host "
                "only, e.g. https://site.api.espn.com (the client appends ESPN's paths)"
            )
        config = cls(
            base_url=base_url,
            max_concurrency=settings.get_int("ESPN_MAX_CONCURRENCY", cls.max_concurrency),
            rate_per_s=settings.get_float("ESPN_RATE_PER_S", cls.rate_per_s),
            max_rate_per_s=settings.get_float("ESPN_MAX_RATE_PER_S", cls.max_rate_per_s),
            min_rate_per_s=settings.get_float("ESPN_MIN_RATE_PER_S", cls.min_rate_per_s),
            timeout_s=settings.get_float("ESPN_TIMEOUT_S", cls.timeout_s),
            max_attempts=settings.get_int("ESPN_MAX_ATTEMPTS", cls.max_attempts),
            backoff_initial_s=settings.get_float("ESPN_BACKOFF_INITIAL_S", cls.backoff_initial_s),
            backoff_max_s=settings.get_float("ESPN_BACKOFF_MAX_S", cls.backoff_max_s),
            retry_after_max_s=settings.get_float("ESPN_RETRY_AFTER_MAX_S", cls.retry_after_max_s),
        )
        for name, value in (
            ("ESPN_MAX_CONCURRENCY", config.max_concurrency),
            ("ESPN_RATE_PER_S", config.rate_per_s),
            ("ESPN_MAX_RATE_PER_S", config.max_rate_per_s),
            ("ESPN_MIN_RATE_PER_S", config.min_rate_per_s),
            ("ESPN_TIMEOUT_S", config.timeout_s),
            ("ESPN_MAX_ATTEMPTS", config.max_attempts),
        ):
            if value <= 0:
                raise ConfigError(f"setting {name}={value} must be positive")
        if config.max_rate_per_s < config.rate_per_s:
            raise ConfigError(
                f"setting ESPN_MAX_RATE_PER_S={config.max_rate_per_s} is below "
                f"ESPN_RATE_PER_S={config.rate_per_s}"
            )
        return config


@dataclass(frozen=True)
class Request:
    """One API request: ``endpoint`` (teams | scoreboard | summary | summary_pregame |
    roster: the collector's label, stored in ``raw.responses.endpoint``), the key it is
    stored under in ``raw.responses`` (a date ``YYYYMMDD``, event id, team id or ``all``),
    the path below :data:`API_PREFIX` and the query parameters."""

    endpoint: str
    request_key: str
    path: str
    params: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Fetched:
    """A response as received: HTTP ``status``, ``body`` text (possibly empty or not JSON),
    the full ``url`` with query string and ``fetched_at`` (UTC)."""

    request: Request
    url: str
    status: int
    body: str
    fetched_at: dt.datetime


class RetryableResponse(Exception):
    """A 429/5xx/empty-202 answer worth retrying; ``retry_after`` in seconds when sent."""

    def __init__(self, url: str, status: int, retry_after: float | None) -> None:
        super().__init__(f"HTTP {status} from {url}")
        self.url = url
        self.status = status
        self.retry_after = retry_after


def parse_retry_after(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a ``Retry-After`` header (delta-seconds or HTTP date, RFC 9110
    §10.2.3); None when absent or unparseable; never negative."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=dt.UTC)
    current = time.time() if now is None else now
    return max(0.0, when.timestamp() - current)


#: Requests a late wake-up of the limiter may let through at once to catch up (asynciolimiter's
#: ``max_burst``); the limiter never bursts after an idle spell.
LIMITER_MAX_BURST = 5


class _BackoffWait:
    """tenacity wait: exponential backoff with jitter, at least the server's Retry-After."""

    def __init__(self, config: ClientConfig) -> None:
        self.config = config

    def __call__(self, state: RetryCallState) -> float:
        cfg = self.config
        exp = cfg.backoff_initial_s * 2 ** (state.attempt_number - 1)
        wait = min(cfg.backoff_max_s, exp) + random.uniform(0, cfg.backoff_initial_s)
        exc = state.outcome.exception() if state.outcome else None
        if isinstance(exc, RetryableResponse) and exc.retry_after is not None:
            wait = max(wait, min(exc.retry_after, cfg.retry_after_max_s))
        return float(wait)


class EspnClient:
    """Async client of ESPN's men's college basketball site API (one per run).

    Use as ``async with EspnClient(config) as client: ...``. Counters ``requests`` (HTTP
    requests sent, including retries), ``retries`` and ``throttled`` (429/5xx/202 answers) and
    the current adaptive ``rate_per_s`` (and the lowest it fell to, ``min_rate_seen``) are
    public for the run summary. ``clock`` stamps each response's ``fetched_at`` (aware, UTC):
    the run's moment on the pipeline's clock (:func:`hoopcast_common.clock.running_clock`),
    the wall clock when None.
    """

    def __init__(
        self,
        config: ClientConfig,
        transport: httpx.AsyncBaseTransport | None = None,
        clock: Callable[[], dt.datetime] | None = None,
    ):
        self.config = config
        self.clock = clock or (lambda: dt.datetime.now(dt.UTC))
        self.requests = 0
        self.retries = 0
        self.throttled = 0
        self.rate_per_s = config.rate_per_s
        self.min_rate_seen = config.rate_per_s
        # Paces attempts at ``rate_per_s``; its public ``rate`` is changed in place, so
        # requests already waiting follow a slow-down from the limiter's next wake-up on.
        self._limiter = Limiter(self.rate_per_s, max_burst=LIMITER_MAX_BURST)
        self._last_slowdown = float("-inf")
        self._semaphore = asyncio.Semaphore(config.max_concurrency)
        limits = httpx.Limits(
            max_connections=config.max_concurrency,
            max_keepalive_connections=config.max_concurrency,
        )
        self._http = httpx.AsyncClient(
            base_url=config.base_url,
            timeout=httpx.Timeout(config.timeout_s),
            limits=limits,
            headers={"User-Agent": USER_AGENT, "Accept": "application/json"},
            transport=transport,
        )

    async def __aenter__(self) -> EspnClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close the connection pool (and cancel requests still waiting on the limiter)."""
        self._limiter.close()
        await self._http.aclose()

    def _set_rate(self, rate: float) -> None:
        cfg = self.config
        self.rate_per_s = min(cfg.max_rate_per_s, max(cfg.min_rate_per_s, rate))
        self._limiter.rate = self.rate_per_s

    def _slow_down(self) -> None:
        # Multiplicative decrease at most once per second: a burst of 429s from requests that
        # were in flight together is one congestion signal, not many.
        now = time.monotonic()
        if now - self._last_slowdown < 1.0:
            return
        self._last_slowdown = now
        self._set_rate(self.rate_per_s / 2)
        self.min_rate_seen = min(self.min_rate_seen, self.rate_per_s)

    def _speed_up(self) -> None:
        if self.rate_per_s < self.config.max_rate_per_s:
            self._set_rate(self.rate_per_s + max(0.5, self.config.max_rate_per_s / 50))

    def url_of(self, request: Request) -> str:
        """Full URL of ``request`` (base URL + API prefix + path + sorted query string)."""
        query = f"?{urlencode(sorted(request.params.items()))}" if request.params else ""
        return f"{self.config.base_url}{API_PREFIX}/{request.path}{query}"

    def _count_retry(self, state: RetryCallState) -> None:
        self.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.info("retrying after %s (attempt %d)", exc, state.attempt_number)

    async def _attempt(self, request: Request, url: str) -> Fetched:
        await self._limiter.wait()
        self.requests += 1
        fetched_at = self.clock()
        response = await self._http.get(f"{API_PREFIX}/{request.path}", params=request.params)
        status = response.status_code
        body = response.text
        if status == 429 or status >= 500 or (status == 202 and not body.strip()):
            self.throttled += 1
            self._slow_down()
            raise RetryableResponse(
                url, status, parse_retry_after(response.headers.get("Retry-After"))
            )
        self._speed_up()
        return Fetched(request=request, url=url, status=status, body=body, fetched_at=fetched_at)

    async def fetch(self, request: Request) -> Fetched:
        """GET one request with retries.

        Returns:
            the final response (200, 404 or another non-retryable status).

        Raises:
            UpstreamUnavailableError: still 429/5xx/202/timeouts/connection errors after
                ``max_attempts`` attempts; the message names the URL and the last failure.
        """
        url = self.url_of(request)
        try:
            async for attempt in AsyncRetrying(
                stop=stop_after_attempt(self.config.max_attempts),
                wait=_BackoffWait(self.config),
                retry=retry_if_exception_type((RetryableResponse, httpx.TransportError)),
                before_sleep=self._count_retry,
                reraise=True,
            ):
                with attempt:
                    # The concurrency slot is held per attempt, not while backing off.
                    async with self._semaphore:
                        return await self._attempt(request, url)
        except (RetryableResponse, httpx.TransportError) as exc:
            raise UpstreamUnavailableError(
                f"ESPN unreachable: GET {url} failed {self.config.max_attempts} times, "
                f"last: {type(exc).__name__}: {exc}"
            ) from exc
        except httpx.InvalidURL as exc:  # pragma: no cover - config validated earlier
            raise BadInputError(f"ESPN_BASE_URL gives an invalid URL {url}: {exc}") from exc
        except RetryError as exc:  # pragma: no cover - reraise=True never wraps
            raise UpstreamUnavailableError(f"ESPN unreachable: GET {url}: {exc}") from exc
        raise AssertionError("unreachable")  # pragma: no cover

    async def fetch_many(self, requests: Iterable[Request]) -> AsyncIterator[Fetched]:
        """Fetch ``requests`` concurrently and yield responses as they complete.

        At most ``2 × max_concurrency`` requests are scheduled at a time (the rest are taken
        from ``requests`` lazily), so memory stays flat for a 16-season backfill.

        Raises:
            UpstreamUnavailableError: as :meth:`fetch`; pending requests are cancelled.
        """
        source = iter(requests)
        window = 2 * self.config.max_concurrency
        pending: set[asyncio.Future[Fetched]] = set()
        try:
            while True:
                for request in source:
                    pending.add(asyncio.ensure_future(self.fetch(request)))
                    if len(pending) >= window:
                        break
                if not pending:
                    return
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                for task in done:
                    yield task.result()
        finally:
            for task in pending:
                task.cancel()
            if pending:
                await asyncio.gather(*pending, return_exceptions=True)

    def stats(self) -> dict[str, Any]:
        """Counters for the run summary: requests, retries, throttled, final rate."""
        return {
            "requests": self.requests,
            "retries": self.retries,
            "throttled": self.throttled,
            "rate_per_s": round(self.rate_per_s, 2),
            "lowest_rate_per_s": round(self.min_rate_seen, 2),
        }
