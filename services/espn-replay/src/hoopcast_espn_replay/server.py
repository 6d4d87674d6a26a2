"""Run the replay server: in a background thread (:func:`running_server`) or in the
foreground (:func:`serve`, used by the CLI)."""

from __future__ import annotations

import datetime as dt
import logging
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import uvicorn
from hoopcast_common.settings import project_root

from hoopcast_espn_replay.app import ReplayState, create_app
from hoopcast_espn_replay.data import DataPaths, load_replay_data
from hoopcast_espn_replay.faults import FaultInjector

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
#: Seconds a "delay" fault holds an answer back: longer than the ingestion's default
#: per-request timeout (ESPN_TIMEOUT_S = 20 s), so the client times out.
DEFAULT_FAULT_DELAY_S = 30.0


def default_data_dir() -> Path:
    """The project's ``data/`` folder (``data/`` of the checkout, ``/app/data`` in images)."""
    return project_root() / "data"


def build_state(
    now: dt.date,
    paths: DataPaths | None = None,
    faults: float = 0.0,
    seed: int = 0,
    fault_delay_s: float = DEFAULT_FAULT_DELAY_S,
) -> ReplayState:
    """Load the data (cached per paths) and wrap it with the clock and fault injector.

    Raises:
        BadInputError: an input file is missing or malformed, or ``faults`` is not in 0..1.
    """
    from hoopcast_common.errors import BadInputError

    if not 0.0 <= faults <= 1.0:
        raise BadInputError(f"--faults {faults}: the fault rate must be between 0 and 1")
    if fault_delay_s < 0:
        raise BadInputError(f"--fault-delay {fault_delay_s}: must be at least 0 seconds")
    data = load_replay_data(paths or DataPaths.under(default_data_dir()))
    return ReplayState(
        data=data,
        now=now,
        faults=FaultInjector(rate=faults, seed=seed, delay_s=fault_delay_s),
    )


@contextmanager
def running_server(
    now: dt.date,
    *,
    host: str = "127.0.0.1",
    port: int = 0,
    paths: DataPaths | None = None,
    faults: float = 0.0,
    seed: int = 0,
    fault_delay_s: float = DEFAULT_FAULT_DELAY_S,
    startup_timeout_s: float = 60.0,
) -> Iterator[str]:
    """Run the replay server in a background thread; yield its base URL.

    ``port=0`` picks a free port. The base URL (``http://HOST:PORT``, scheme + host only, as
    ``ESPN_BASE_URL`` wants it) is yielded once ``/__replay/health`` answers; the server stops
    when the block exits.

    Raises:
        BadInputError: bad data paths or fault settings (see :func:`build_state`).
        RuntimeError: the server did not answer within ``startup_timeout_s``.
    """
    state = build_state(now, paths, faults, seed, fault_delay_s)
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    actual_port = sock.getsockname()[1]
    config = uvicorn.Config(
        create_app(state), log_level="warning", access_log=False, lifespan="off"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(
        target=server.run,
        kwargs={"sockets": [sock]},
        name=f"espn-replay:{actual_port}",
        daemon=True,
    )
    thread.start()
    base_url = f"http://{host}:{actual_port}"
    deadline = time.monotonic() + startup_timeout_s
    try:
        while True:
            try:
                if httpx.get(f"{base_url}/__replay/health", timeout=2.0).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline or not thread.is_alive():
                raise RuntimeError(f"replay server on {base_url} did not start")
            time.sleep(0.05)
        yield base_url
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()


def serve(state: ReplayState, host: str, port: int) -> None:
    """Serve ``state`` in the foreground until interrupted (uvicorn, one process)."""
    config = uvicorn.Config(
        create_app(state), host=host, port=port, log_level="info", access_log=False, lifespan="off"
    )
    uvicorn.Server(config).run()
