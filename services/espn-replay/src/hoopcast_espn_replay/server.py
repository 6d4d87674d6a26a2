"""Run the replay server: in a background thread (:func:`running_server`), as a subprocess of
the real CLI (:func:`replay_process`, for tests and benches of the CLI) or in the foreground
(:func:`serve`, used by the CLI). Both background forms wait with :func:`wait_until_healthy`.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO

import httpx
import uvicorn
from hoopcast_common.settings import project_root

from hoopcast_espn_replay.app import ReplayState, create_app
from hoopcast_espn_replay.clock import clock_from
from hoopcast_espn_replay.data import load_replay_data
from hoopcast_espn_replay.faults import FaultInjector
from hoopcast_espn_replay.inputs import DataPaths

log = logging.getLogger(__name__)

DEFAULT_PORT = 8765
#: Seconds a "delay" fault holds an answer back: longer than the ingestion's default
#: per-request timeout (ESPN_TIMEOUT_S = 20 s), so the client times out.
DEFAULT_FAULT_DELAY_S = 30.0


#: The health path: 200 once the data is loaded and the server accepts requests.
HEALTH_PATH = "/__replay/health"


def default_data_dir() -> Path:
    """The project's ``data/`` folder (``data/`` of the checkout, ``/app/data`` in images)."""
    return project_root() / "data"


def wait_until_healthy(
    base_url: str,
    alive: Callable[[], bool],
    timeout_s: float,
    describe_exit: Callable[[], str] = lambda: "",
) -> None:
    """Poll ``{base_url}/__replay/health`` every 50 ms until it answers 200.

    Args:
        base_url: ``http://HOST:PORT`` of the server being started.
        alive: False once the server has died (thread ended, process exited): stop waiting.
        timeout_s: seconds to wait at most.
        describe_exit: text appended to the error when the server died (e.g. its stderr).

    Raises:
        RuntimeError: the server died or did not answer within ``timeout_s`` seconds.
    """
    deadline = time.monotonic() + timeout_s
    while True:
        try:
            if httpx.get(f"{base_url}{HEALTH_PATH}", timeout=2.0).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        if not alive():
            raise RuntimeError(f"replay server on {base_url} stopped: {describe_exit()}")
        if time.monotonic() > deadline:
            raise RuntimeError(f"replay server on {base_url} did not start in {timeout_s} s")
        time.sleep(0.05)


def build_state(
    now: dt.date | dt.datetime,
    paths: DataPaths | None = None,
    faults: float = 0.0,
    seed: int = 0,
    fault_delay_s: float = DEFAULT_FAULT_DELAY_S,
) -> ReplayState:
    """Load the data (cached per paths) and wrap it with the clock and fault injector.

    ``now`` is the replay clock: an aware moment, or a date meaning the end of that game day
    (:func:`~.clock.clock_from`).

    Raises:
        BadInputError: an input file is missing or malformed, ``faults`` is not in 0..1, or
            ``now`` is a naive datetime.
    """
    from hoopcast_common.errors import BadInputError

    if not 0.0 <= faults <= 1.0:
        raise BadInputError(f"--faults {faults}: the fault rate must be between 0 and 1")
    if fault_delay_s < 0:
        raise BadInputError(f"--fault-delay {fault_delay_s}: must be at least 0 seconds")
    data = load_replay_data(paths or DataPaths.under(default_data_dir()))
    return ReplayState(
        data=data,
        now=clock_from(now),
        faults=FaultInjector(rate=faults, seed=seed, delay_s=fault_delay_s),
    )


@contextmanager
def running_server(
    now: dt.date | dt.datetime,
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

    ``now`` is the replay clock (see :func:`build_state`); it can be moved while the server
    runs (``POST /__replay/clock``). ``port=0`` picks a free port. The base URL
    (``http://HOST:PORT``, scheme + host only, as
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
    try:
        wait_until_healthy(base_url, thread.is_alive, startup_timeout_s)
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


@dataclass(frozen=True)
class ReplayProcess:
    """A replay server started by :func:`replay_process`: its base URL and its process."""

    base_url: str
    process: subprocess.Popen[str]


def _free_port(host: str) -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


@contextmanager
def replay_process(
    now: dt.date | dt.datetime,
    *args: str,
    host: str = "127.0.0.1",
    env: Mapping[str, str] | None = None,
    stderr: int | IO[str] | None = subprocess.DEVNULL,
    startup_timeout_s: float = 180.0,
) -> Iterator[ReplayProcess]:
    """Run the real CLI ``hoopcast-espn-replay --now NOW --host HOST --port P *args`` (NOW:
    the date, or the aware moment in ISO-8601) as a
    subprocess on a free port; yield it once ``/__replay/health`` answers; terminate it (and
    wait up to 30 s) when the block exits.

    The console script is the one beside the running interpreter (the project's venv), run
    from the project root (:func:`hoopcast_common.settings.project_root`) with ``env``
    (default: this process's environment) and stdout discarded. With
    ``stderr=subprocess.PIPE`` the error raised when the server dies names its stderr.

    Raises:
        RuntimeError: the server exited or did not answer within ``startup_timeout_s`` s.
    """
    port = _free_port(host)
    exe = Path(sys.executable).with_name("hoopcast-espn-replay")
    command = [str(exe), "--now", now.isoformat(), "--host", host, "--port", str(port), *args]
    proc = subprocess.Popen(
        command,
        cwd=project_root(),
        env=dict(os.environ if env is None else env),
        stdout=subprocess.DEVNULL,
        stderr=stderr,
        text=True,
    )

    def describe_exit() -> str:
        output = proc.stderr.read()[-3000:] if proc.stderr else ""
        return f"exit {proc.poll()} {output}".strip()

    try:
        base_url = f"http://{host}:{port}"
        wait_until_healthy(base_url, lambda: proc.poll() is None, startup_timeout_s, describe_exit)
        yield ReplayProcess(base_url=base_url, process=proc)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
