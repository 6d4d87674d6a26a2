"""``hoopcast-simulate``: operate hoopcast day by day on the replay data, as the scheduler would.

For the game days ``--from`` … ``--to`` (US Eastern dates) it

1. starts the offline ESPN replay server (``hoopcast-espn-replay``) on a results file, its
   clock at the first game day's collection time;
2. runs ``hoopcast_pipeline`` for the first game day (the history, the first model, forecasts);
3. for every later game day D moves the replay clock to D's collection time
   (``POST /__replay/clock``) and runs the scheduled DAGs with the logical dates the scheduler
   gives them: ``data_collection``, ``feature_engineering`` and ``prediction`` every day,
   ``model_training`` on Sundays (each DAG's own cron schedule from the stage catalog decides
   its moment; asset-triggered DAGs run right after the DAG that updates their asset);
4. scores the forecasts of record of the window against Elo, the betting line and ESPN's
   predictor (``hoopcast-predictor scorecard``) and prints, as its last stdout line, one JSON
   summary: days run, games, forecasts of record, coverage and the scorecard.

Airflow runs in-process on its own SQLite metadata database (``--airflow-home``), every DAG
run through ``DAG.test`` — the same task code the scheduler runs — with the stage tasks in
local subprocesses (``--runner local``) or containers (``--runner docker``). The warehouse is
``HOOPCAST_DB``; the profile is ``replay``.

Exit codes: 0 every DAG run succeeded; 1 a DAG run failed (the summary names it); 2 bad options.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

import duckdb
import httpx
import typer
from hoopcast_common.dates import date_range, parse_date
from hoopcast_common.games import EASTERN, game_day, is_final_sql

PIPELINE_DAG = "hoopcast_pipeline"
DAILY_DAGS = ("data_collection", "feature_engineering", "model_training", "prediction")
"""The scheduled DAGs in the order the scheduler runs them on one game day."""

SUNDAY = 6


@dataclass
class DayResult:
    """The DAG runs of one simulated game day: dag id → final state, and the wall time."""

    day: dt.date
    states: dict[str, str] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def failed(self) -> list[str]:
        """Ids of the DAG runs that did not succeed."""
        return [dag_id for dag_id, state in self.states.items() if state != "success"]


def _bin(name: str) -> str:
    """A console script of this environment (beside the running Python), else from PATH."""
    local = Path(sys.executable).parent / name
    return str(local) if local.exists() else (shutil.which(name) or name)


def collection_moment(day: dt.date, cron: str) -> dt.datetime:
    """The first moment on ``day`` (a US Eastern game day) at which the daily ``cron`` (UTC,
    ``M H * * *``) fires, as an aware UTC datetime: the logical date the scheduler gives that
    day's run.

    Raises:
        ValueError: ``cron`` is not a daily ``minute hour`` expression.
    """
    minute, hour, *_ = cron.split()
    if not (minute.isdigit() and hour.isdigit()):
        raise ValueError(f"cron {cron!r}: expected a daily 'M H * * *' schedule")
    start = dt.datetime.combine(day, dt.time(0, 0), tzinfo=EASTERN).astimezone(dt.UTC)
    moment = start.replace(hour=int(hour), minute=int(minute), second=0, microsecond=0)
    if moment < start:
        moment += dt.timedelta(days=1)
    if game_day(moment) != day:
        raise ValueError(f"cron {cron!r} does not fire on game day {day} (US Eastern)")
    return moment


@contextmanager
def http_server(
    args: list[str],
    log_path: Path,
    health_url: str,
    what: str,
    timeout_s: float,
    *,
    env: Mapping[str, str] | None = None,
    interval_s: float = 0.5,
    stop_timeout_s: float = 10,
) -> Iterator[subprocess.Popen[bytes]]:
    """Start the server process ``args`` (stdout and stderr to ``log_path``), wait until
    ``health_url`` answers 200 (HTTP GET every ``interval_s`` seconds) and yield the process;
    on exit terminate it (killed after ``stop_timeout_s`` seconds).

    Raises:
        RuntimeError: the process exited, or ``health_url`` did not answer 200 within
            ``timeout_s`` seconds; the message names ``what`` and ``log_path``.
    """
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with log_path.open("wb") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        deadline = time.monotonic() + timeout_s
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"{what} exited with {proc.returncode}: see {log_path}")
            try:
                if httpx.get(health_url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"{what} did not answer within {timeout_s:g} s: see {log_path}")
            time.sleep(interval_s)
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=stop_timeout_s)
        except subprocess.TimeoutExpired:
            proc.kill()


@contextmanager
def replay_server(
    now: dt.datetime, port: int, results: Path | None, log_path: Path
) -> Iterator[str]:
    """Run ``hoopcast-espn-replay`` on 127.0.0.1:``port`` with its clock at ``now`` and yield
    its base URL; the server is stopped on exit.

    Raises:
        RuntimeError: the server exited or did not answer ``/__replay/health`` within 120 s.
    """
    args = [_bin("hoopcast-espn-replay"), "--port", str(port), "--now", now.isoformat()]
    if results is not None:
        args += ["--results", str(results)]
    url = f"http://127.0.0.1:{port}"
    with http_server(args, log_path, f"{url}/__replay/health", "the replay server", 120):
        yield url


def move_clock(url: str, now: dt.datetime) -> None:
    """Set the replay server's clock (``POST /__replay/clock``).

    Raises:
        httpx.HTTPStatusError: the server refused the moment.
    """
    response = httpx.post(f"{url}/__replay/clock", json={"now": now.isoformat()}, timeout=10)
    response.raise_for_status()


def prepare_airflow(airflow_home: Path, dags_folder: Path, runner: str) -> None:
    """Point Airflow at ``airflow_home`` (SQLite) and ``dags_folder``, migrate its metadata
    database and create the warehouse pool. Must run before ``airflow`` is imported."""
    airflow_home.mkdir(parents=True, exist_ok=True)
    os.environ["AIRFLOW_HOME"] = str(airflow_home)
    os.environ["AIRFLOW__CORE__DAGS_FOLDER"] = str(dags_folder)
    os.environ["AIRFLOW__CORE__LOAD_EXAMPLES"] = "False"
    os.environ.setdefault("AIRFLOW__LOGGING__LOGGING_LEVEL", "WARNING")
    os.environ["HOOPCAST_RUNNER"] = runner
    airflow = _bin("airflow")
    subprocess.run([airflow, "db", "migrate"], check=True, capture_output=True)
    subprocess.run(
        [airflow, "pools", "set", "hoopcast_duckdb", "1", "one writer on the DuckDB warehouse"],
        check=True,
        capture_output=True,
    )


def use_host_folder(db_path: Path) -> None:
    """Let the stage containers of ``--runner docker`` work on the simulation's warehouse:
    its folder bind-mounted at ``/data`` (``HOOPCAST_DATA_VOLUME``, made writable for the
    images' group 0) and the host network, so that the replay server on 127.0.0.1 answers.

    Raises:
        typer.BadParameter: the warehouse file is not named as in the containers
            (``/data/hoopcast.duckdb``).
    """
    from hoopcast_airflow.config import CONTAINER_DB

    if db_path.name != Path(CONTAINER_DB).name:
        raise typer.BadParameter(
            f"HOOPCAST_DB={db_path}: --runner docker needs the file named "
            f"{Path(CONTAINER_DB).name} (the containers open {CONTAINER_DB})"
        )
    folder = db_path.parent
    for path in (folder, folder / "models"):
        path.mkdir(parents=True, exist_ok=True)
        path.chmod(path.stat().st_mode | 0o070)
    os.environ["HOOPCAST_DATA_VOLUME"] = str(folder)
    os.environ["HOOPCAST_DOCKER_NETWORK"] = "host"


def progress(message: str) -> None:
    """One progress line on stderr, ``HH:MM:SS simulate: message`` (printed, not logged:
    Airflow reconfigures logging when its DAGs run)."""
    print(f"{time.strftime('%H:%M:%S')} simulate: {message}", file=sys.stderr, flush=True)


def _run_dag(dags: dict[str, Any], dag_id: str, moment: dt.datetime) -> str:
    """Run one DAG run of ``dag_id`` at logical date ``moment`` with ``DAG.test``; its state."""
    run = dags[dag_id].test(logical_date=moment)
    return str(run.state)


def _daily_dags(day: dt.date) -> list[str]:
    """The scheduled DAGs that run on game day ``day`` (training on Sundays only)."""
    return [d for d in DAILY_DAGS if d != "model_training" or day.weekday() == SUNDAY]


def _dag_moment(dag_id: str, day: dt.date, collection: dt.datetime) -> dt.datetime:
    """The logical date of ``dag_id``'s run on game day ``day``: its own daily or weekly cron
    when it has one, else (asset-triggered) the collection moment it follows."""
    from hoopcast_airflow.catalog import DAGS

    cron = DAGS[dag_id].schedule.cron
    if cron is None:
        return collection
    fields = cron.split()
    if fields[4] not in ("*", str((day.weekday() + 1) % 7)):
        return collection
    return collection_moment(day, " ".join([*fields[:2], "*", "*", "*"]))


def summarize(db_path: Path, first: dt.date, last: dt.date) -> dict[str, Any]:
    """Games, forecasts of record and coverage of the window ``[first, last]`` from the
    warehouse: final games between teams with features of the window, how many have a forecast
    of record, and how many of those were made on the game day before tip-off."""
    conn = duckdb.connect(str(db_path), read_only=True)
    try:
        row = conn.execute(
            f"""
            WITH finals AS (
                SELECT g.event_id, g.game_date, g.start_time_utc
                FROM core.games g JOIN features.game_features f USING (event_id)
                WHERE g.game_date BETWEEN ? AND ? AND {is_final_sql("g")} AND f.is_d1_game
            )
            SELECT count(*),
                   count(r.event_id),
                   count(r.event_id) FILTER (
                       WHERE (r.forecast_at AT TIME ZONE 'America/New_York')::DATE = f.game_date
                         AND r.forecast_at < f.start_time_utc)
            FROM finals f LEFT JOIN predictions.forecasts_of_record r USING (event_id)
            """,
            [first, last],
        ).fetchone()
    finally:
        conn.close()
    games, with_record, on_game_day = (int(v) for v in (row or (0, 0, 0)))
    return {
        "games": games,
        "forecasts_of_record": with_record,
        "made_on_game_day": on_game_day,
        "coverage": round(on_game_day / games, 4) if games else None,
    }


def scorecard(first: dt.date, last: dt.date) -> dict[str, Any]:
    """The scorecard of the forecasts of record from ``hoopcast-predictor scorecard`` (rebuilt
    over every final game with a forecast of record; in a simulation's own warehouse those are
    the window's), or an ``error`` entry when the command fails. The weekly rows are in
    ``predictions.scorecard``."""
    proc = subprocess.run(
        [
            _bin("hoopcast-predictor"),
            "scorecard",
            "--as-of",
            (last + dt.timedelta(days=1)).isoformat(),
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    lines = [line for line in proc.stdout.splitlines() if line.startswith("{")]
    if proc.returncode != 0 or not lines:
        return {"error": f"hoopcast-predictor scorecard exited {proc.returncode}"}
    summary: dict[str, Any] = json.loads(lines[-1])
    return {
        "overall": summary.get("scorecard"),
        "line_sigma": summary.get("line_sigma"),
        "games": (summary.get("counts") or {}).get("scorecard_games"),
    }


app = typer.Typer(add_completion=False, help=__doc__.split("\n\n")[0] if __doc__ else None)


@app.command()
def simulate(
    date_from: Annotated[str, typer.Option("--from", help="first game day YYYY-MM-DD")],
    date_to: Annotated[str, typer.Option("--to", help="last game day YYYY-MM-DD")],
    results: Annotated[
        Path | None, typer.Option(help="results CSV in grdavis format (default: the shipped one)")
    ] = None,
    runner: Annotated[str, typer.Option(help="where stage tasks run: local or docker")] = "local",
    port: Annotated[int, typer.Option(help="replay server port on 127.0.0.1")] = 8765,
    airflow_home: Annotated[
        Path | None,
        typer.Option(
            help="AIRFLOW_HOME of the simulation (default: simulate-airflow beside HOOPCAST_DB)"
        ),
    ] = None,
    dags_folder: Annotated[
        Path, typer.Option(help="the DAG files (airflow/dags of the project)")
    ] = Path("airflow/dags"),
) -> None:
    """Operate hoopcast on the replay data for the game days FROM..TO and print a scorecard."""
    first, last = parse_date(date_from, "--from"), parse_date(date_to, "--to")
    if last < first:
        raise typer.BadParameter(f"--to {last} is before --from {first}")
    if runner not in ("local", "docker"):
        raise typer.BadParameter(f"--runner {runner!r}: expected local or docker")
    if not (dags_folder / "hoopcast_pipeline.py").exists():
        raise typer.BadParameter(f"--dags-folder {dags_folder}: no hoopcast DAG files there")
    os.environ.setdefault("HOOPCAST_ENV", "replay")
    # Each DAG run's game day and clock come from its logical date, as on a scheduler: the
    # replay profile's pinned game day (HOOPCAST_AS_OF) would freeze them.
    os.environ["HOOPCAST_AS_OF"] = ""
    db_path = Path(os.environ.get("HOOPCAST_DB") or "var/hoopcast.duckdb").resolve()
    os.environ["HOOPCAST_DB"] = str(db_path)
    home = (airflow_home or db_path.parent / "simulate-airflow").resolve()
    started = time.monotonic()
    progress(f"game days {first} .. {last}, {runner} runner, warehouse {db_path}")
    prepare_airflow(home, dags_folder.resolve(), runner)
    if runner == "docker":  # after AIRFLOW_HOME is set: it imports the Airflow layer
        use_host_folder(db_path)

    from airflow.dag_processing.dagbag import DagBag

    from hoopcast_airflow.catalog import DAGS

    cron = DAGS["data_collection"].schedule.cron or "0 10 * * *"
    bag = DagBag(str(dags_folder.resolve()))
    if bag.import_errors:
        raise typer.BadParameter(f"DAG import errors: {bag.import_errors}")
    days: list[DayResult] = []
    opening = collection_moment(first, cron)
    with replay_server(opening, port, results, db_path.parent / "simulate-replay.log") as url:
        os.environ["ESPN_BASE_URL"] = url
        for day in date_range(first, last):
            moment = collection_moment(day, cron)
            move_clock(url, moment)
            result = DayResult(day)
            tick = time.monotonic()
            plan = [PIPELINE_DAG] if day == first else _daily_dags(day)
            for dag_id in plan:
                when = moment if dag_id == PIPELINE_DAG else _dag_moment(dag_id, day, moment)
                result.states[dag_id] = _run_dag(bag.dags, dag_id, when)
            result.seconds = round(time.monotonic() - tick, 1)
            days.append(result)
            progress(
                f"game day {day}: "
                + ", ".join(f"{k} {v}" for k, v in result.states.items())
                + f" ({result.seconds:.0f} s)"
            )
            if result.failed:
                break
    failed = [f"{r.day}: {', '.join(r.failed)}" for r in days if r.failed]
    progress("scoring the forecasts of record (hoopcast-predictor scorecard)")
    summary: dict[str, Any] = {
        "command": "simulate",
        "from": first.isoformat(),
        "to": last.isoformat(),
        "runner": runner,
        "days_run": len(days),
        "days": [
            {"day": r.day.isoformat(), "seconds": r.seconds, "states": r.states} for r in days
        ],
        "failed": failed,
        **summarize(db_path, first, last),
        "scorecard": scorecard(first, last),
        "duration_s": round(time.monotonic() - started, 1),
        "status": "failed" if failed else "success",
    }
    print(json.dumps(summary, default=str), flush=True)
    raise typer.Exit(1 if failed else 0)


def main() -> None:
    """Console script ``hoopcast-simulate``."""
    app()
