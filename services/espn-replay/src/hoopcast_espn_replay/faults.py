"""Seeded fault injection for the replay server.

Each API request gets a deterministic draw from ``random.Random(f"{seed}|{url}|{n}")`` where
``url`` is the path with its query string and ``n`` counts earlier requests of the same URL
(so a retry gets a fresh draw). With probability ``rate`` the request gets one fault, chosen
uniformly among :data:`FAULT_KINDS`. The draws depend only on the seed and on how often each
URL was asked for, never on how concurrent requests interleave, so a client that makes the
same requests sees the same faults on every run.
"""

from __future__ import annotations

import random
import threading
from collections import Counter
from dataclasses import dataclass, field

#: ``429``: Too Many Requests with ``Retry-After``; ``5xx``: 500/502/503 with an ESPN-like
#: error body; ``delay``: the answer comes after ``delay_s`` (longer than a client timeout);
#: ``malformed``: 200 with a truncated JSON body; ``empty_202``: 202 with an empty body.
FAULT_KINDS = ("429", "5xx", "delay", "malformed", "empty_202")


@dataclass
class FaultInjector:
    """Decides, per request, whether and which fault to inject; counts what it did.

    Args:
        rate: probability (0..1) that a request gets a fault.
        seed: RNG seed; same seed + same requests → same faults.
        delay_s: seconds a ``delay`` fault holds the answer back.
        retry_after_s: value of the ``Retry-After`` header of ``429`` answers (seconds).
    """

    rate: float = 0.0
    seed: int = 0
    delay_s: float = 30.0
    retry_after_s: int = 1
    injected: Counter[str] = field(default_factory=Counter)
    _seen: Counter[str] = field(default_factory=Counter)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def draw(self, url: str) -> tuple[str | None, random.Random]:
        """The fault kind for this request of ``url`` (None = answer normally) and the RNG
        for any further choice (e.g. which 5xx code)."""
        with self._lock:
            n = self._seen[url]
            self._seen[url] += 1
        rng = random.Random(f"{self.seed}|{url}|{n}")
        if self.rate <= 0 or rng.random() >= self.rate:
            return None, rng
        kind = FAULT_KINDS[rng.randrange(len(FAULT_KINDS))]
        with self._lock:
            self.injected[kind] += 1
        return kind, rng

    def snapshot(self) -> dict[str, int]:
        """Faults injected so far by kind (every kind present, zeros included)."""
        with self._lock:
            return {kind: self.injected.get(kind, 0) for kind in FAULT_KINDS}
