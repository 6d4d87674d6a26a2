"""Which warehouse the stages write: the embedded DuckDB file (default) or a DuckLake.

The setting ``HOOPCAST_WAREHOUSE`` selects it (docs/DESIGN.md, "Warehouse backends"):

* ``duckdb:///abs/path/hoopcast.duckdb`` (or ``duckdb:relative/path.duckdb``): one DuckDB file.
  Unset, it is the file of ``HOOPCAST_DB`` (``var/hoopcast.duckdb`` locally), as it always was.
* ``ducklake:postgres:dbname=... host=... port=... user=...``: a DuckLake whose catalog is that
  PostgreSQL database (a libpq connection string without the password) and whose data files
  are Parquet under ``HOOPCAST_LAKE_DATA_PATH`` (e.g. ``s3://hoopcast/lake/``), reached with
  ``HOOPCAST_LAKE_S3_ENDPOINT`` (``host:port``), ``HOOPCAST_LAKE_S3_REGION`` (default
  ``us-east-1``), ``HOOPCAST_LAKE_S3_URL_STYLE`` (``path`` or ``vhost``, default ``path``) and
  ``HOOPCAST_LAKE_S3_USE_SSL`` (default true).

Credentials — ``HOOPCAST_LAKE_PG_PASSWORD``, ``HOOPCAST_LAKE_S3_KEY_ID``,
``HOOPCAST_LAKE_S3_SECRET`` — are read by :meth:`~hoopcast_common.settings.Settings.secret`:
from the file named by ``<NAME>_FILE`` or from the process environment, never from an env
file. They reach DuckDB only as in-memory secrets (``CREATE SECRET``), never a connection
string, a log line or an error message.

The DuckDB extensions DuckLake needs (``ducklake``, ``postgres_scanner``, ``httpfs``) come from
the PyPI wheels ``duckdb-extension-*`` pinned with duckdb (:func:`load_extension`), so a lake
opens without internet access.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from importlib import resources
from importlib.metadata import PackageNotFoundError
from pathlib import Path
from typing import Literal

import duckdb

from hoopcast_common.errors import ConfigError, UpstreamUnavailableError

log = logging.getLogger(__name__)

WAREHOUSE_SETTING = "HOOPCAST_WAREHOUSE"
LAKE_ALIAS = "lake"
"""The name the lake is attached under (``ATTACH ... AS lake``; ``USE lake``)."""

_EXTENSION_WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "postgres_scanner": ("duckdb_extension_postgres", "postgres"),
    "httpfs": ("duckdb_extension_httpfs", "httpfs"),
}
"""Extension name → (Python package of its PyPI wheel, file stem inside the wheel)."""


@dataclass(frozen=True)
class S3Store:
    """Where a lake's Parquet files live on an S3-compatible store; the key pair is kept out
    of ``repr``."""

    endpoint: str
    region: str = "us-east-1"
    url_style: str = "path"
    use_ssl: bool = True
    key_id: str | None = field(default=None, repr=False)
    secret: str | None = field(default=None, repr=False)


@dataclass(frozen=True)
class Warehouse:
    """One warehouse: ``kind`` ``duckdb`` (``path`` is the file) or ``ducklake`` (``catalog``
    is the libpq connection string of the PostgreSQL catalog without password, ``data_path``
    the data files' root, ``s3`` the object store when ``data_path`` is ``s3://``).

    ``path`` is also set for a lake: the local folder for models and reports (``HOOPCAST_DB``).
    """

    kind: Literal["duckdb", "ducklake"]
    path: Path
    catalog: str = ""
    data_path: str = ""
    s3: S3Store | None = None
    pg_password: str | None = field(default=None, repr=False)

    @property
    def is_lake(self) -> bool:
        """Whether this is a DuckLake."""
        return self.kind == "ducklake"

    @property
    def catalog_endpoint(self) -> str:
        """``host:port/dbname`` of the lake's PostgreSQL catalog (no user, no password)."""
        params = conninfo_params(self.catalog)
        host = params.get("host", "localhost")
        return f"{host}:{params.get('port', '5432')}/{params.get('dbname', '')}"

    def describe(self) -> str:
        """A safe one-line description for logs and errors (no credentials)."""
        if not self.is_lake:
            return str(self.path)
        store = f" via S3 endpoint {self.s3.endpoint}" if self.s3 else ""
        return f"DuckLake catalog postgres {self.catalog_endpoint}, data {self.data_path}{store}"


_CONNINFO_PAIR = re.compile(r"(\w+)\s*=\s*('(?:[^'\\]|\\.)*'|\S+)")


def conninfo_params(conninfo: str) -> dict[str, str]:
    """The ``key=value`` pairs of a libpq connection string (quotes removed)."""
    return {k: v.strip("'") for k, v in _CONNINFO_PAIR.findall(conninfo)}


def duckdb_warehouse(path: Path | str) -> Warehouse:
    """The DuckDB-file warehouse at ``path``."""
    return Warehouse(kind="duckdb", path=Path(path))


def parse_warehouse(
    raw: str | None,
    *,
    db_path: Path,
    data_path: str | None = None,
    s3: S3Store | None = None,
    pg_password: str | None = None,
) -> Warehouse:
    """Parse the ``HOOPCAST_WAREHOUSE`` value ``raw`` (module docstring); ``db_path`` is the
    ``HOOPCAST_DB`` file, the default warehouse.

    Raises:
        ConfigError: an unknown scheme, a lake without ``HOOPCAST_LAKE_DATA_PATH``, a catalog
            that is not ``postgres:``, or a password inside the connection string.
    """
    if not raw:
        return duckdb_warehouse(db_path)
    if raw.startswith("duckdb:"):
        rest = raw.removeprefix("duckdb:")
        rest = rest[2:] if rest.startswith("//") else rest
        if not rest:
            raise ConfigError(f"{WAREHOUSE_SETTING}={raw!r}: no DuckDB file path after duckdb:")
        path = Path(rest)
        return duckdb_warehouse(path if path.is_absolute() else Path.cwd() / path)
    if raw.startswith("ducklake:"):
        catalog = raw.removeprefix("ducklake:")
        if not catalog.startswith("postgres:"):
            raise ConfigError(
                f"{WAREHOUSE_SETTING}: the DuckLake catalog must be ducklake:postgres:<libpq"
                " connection string>"
            )
        catalog = catalog.removeprefix("postgres:")
        if "password" in conninfo_params(catalog):
            raise ConfigError(
                f"{WAREHOUSE_SETTING}: the connection string holds a password; give it as the"
                " secret HOOPCAST_LAKE_PG_PASSWORD (HOOPCAST_LAKE_PG_PASSWORD_FILE) instead"
            )
        if not data_path:
            raise ConfigError(
                f"{WAREHOUSE_SETTING} is a DuckLake but HOOPCAST_LAKE_DATA_PATH (where its"
                " Parquet files go, e.g. s3://hoopcast/lake/) is not set"
            )
        if data_path.startswith("s3://") and (s3 is None or not s3.endpoint):
            raise ConfigError(
                "HOOPCAST_LAKE_DATA_PATH is on S3 but HOOPCAST_LAKE_S3_ENDPOINT is not set"
            )
        return Warehouse(
            kind="ducklake",
            path=db_path,
            catalog=catalog,
            data_path=data_path,
            s3=s3 if data_path.startswith("s3://") else None,
            pg_password=pg_password,
        )
    raise ConfigError(
        f"{WAREHOUSE_SETTING}={raw!r}: expected duckdb:///path/to/file.duckdb or"
        " ducklake:postgres:dbname=... host=... port=... user=..."
    )


def extension_file(name: str) -> Path | None:
    """The ``.duckdb_extension`` file of extension ``name`` inside its PyPI wheel
    (``duckdb_extension_<x>/extensions/v<duckdb version>/<x>.duckdb_extension``), or None when
    the wheel is not installed or holds no build for this duckdb version."""
    package, stem = _EXTENSION_WHEELS[name]
    try:
        root = resources.files(package)
    except (ModuleNotFoundError, PackageNotFoundError):
        return None
    candidate = root / "extensions" / f"v{duckdb.__version__}" / f"{stem}.duckdb_extension"
    return Path(str(candidate)) if candidate.is_file() else None


def load_extension(conn: duckdb.DuckDBPyConnection, name: str) -> None:
    """Install and load DuckDB extension ``name`` (``ducklake``, ``postgres_scanner`` or
    ``httpfs``) from its PyPI wheel (offline); without the wheel, from DuckDB's own extension
    repository (needs internet access). An extension already installed for this duckdb
    version (DuckDB's extension folder is per version) is only loaded.

    Raises:
        ConfigError: neither the wheel nor the repository could provide it.
    """
    installed = conn.execute(
        "SELECT installed FROM duckdb_extensions() WHERE extension_name = ?", [name]
    ).fetchall()
    path = extension_file(name)
    try:
        if installed and installed[0][0]:
            pass  # in this duckdb version's extension folder already: loading is enough
        elif path is not None:
            conn.execute(f"INSTALL '{path}'")
        else:
            log.info("no wheel for the DuckDB extension %s: installing from its repository", name)
            conn.execute(f"INSTALL {name}")
        conn.execute(f"LOAD {name}")
    except duckdb.Error as exc:
        raise ConfigError(
            f"the DuckDB extension {name} is missing: install duckdb-extension-"
            f"{_EXTENSION_WHEELS[name][1]}=={duckdb.__version__} ({exc})"
        ) from exc


def _quote(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def redact(text: str, warehouse: Warehouse) -> str:
    """``text`` with every credential of ``warehouse`` replaced by ``***``."""
    for secret in (
        warehouse.pg_password,
        warehouse.s3.secret if warehouse.s3 else None,
        warehouse.s3.key_id if warehouse.s3 else None,
    ):
        if secret:
            text = text.replace(secret, "***")
    return text


def attach_lake(conn: duckdb.DuckDBPyConnection, warehouse: Warehouse) -> None:
    """Load the extensions, create the in-memory secrets, ``ATTACH`` the lake as
    :data:`LAKE_ALIAS` with its data path and ``USE`` it, so ``schema.table`` names resolve
    in the lake.

    Raises:
        UpstreamUnavailableError: the PostgreSQL catalog could not be reached or refused the
            login (names ``host:port/dbname``, never the password; exit 3).
        ConfigError: an extension is missing.
    """
    for name in ("ducklake", "postgres_scanner", "httpfs"):
        load_extension(conn, name)
    if warehouse.pg_password is not None:
        conn.execute(
            f"CREATE OR REPLACE SECRET (TYPE postgres, PASSWORD {_quote(warehouse.pg_password)})"
        )
    if warehouse.s3 is not None:
        s3 = warehouse.s3
        parts = [
            "TYPE s3",
            f"ENDPOINT {_quote(s3.endpoint)}",
            f"REGION {_quote(s3.region)}",
            f"URL_STYLE {_quote(s3.url_style)}",
            f"USE_SSL {'true' if s3.use_ssl else 'false'}",
        ]
        if s3.key_id is not None:
            parts.append(f"KEY_ID {_quote(s3.key_id)}")
        if s3.secret is not None:
            parts.append(f"SECRET {_quote(s3.secret)}")
        conn.execute(f"CREATE OR REPLACE SECRET hoopcast_lake_s3 ({', '.join(parts)})")
    try:
        conn.execute(
            f"ATTACH {_quote('ducklake:postgres:' + warehouse.catalog)} AS {LAKE_ALIAS}"
            f" (DATA_PATH {_quote(warehouse.data_path)})"
        )
    except duckdb.Error as exc:
        raise UpstreamUnavailableError(
            f"{WAREHOUSE_SETTING}: cannot attach the DuckLake: PostgreSQL catalog at"
            f" {warehouse.catalog_endpoint} unreachable or refused the login:"
            f" {redact(_first_line(exc), warehouse)}"
        ) from exc
    conn.execute(f"USE {LAKE_ALIAS}")


def _first_line(exc: BaseException) -> str:
    text = str(exc)
    # The extension's message repeats the connection string; keep its reason (the tail).
    if "connection to server" in text:
        text = text[text.index("connection to server") :]
    return " ".join(text.split())[:300]


def is_lake_connection(conn: duckdb.DuckDBPyConnection) -> bool:
    """Whether ``conn``'s current database is a DuckLake (``ATTACH 'ducklake:...'``)."""
    rows = conn.execute(
        "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    ).fetchall()
    return bool(rows) and str(rows[0][0]) == "ducklake"


def storage_unavailable(warehouse: Warehouse, exc: BaseException) -> UpstreamUnavailableError:
    """The exit-3 error for a lake whose object store could not be reached (names the S3
    endpoint and the data path, never the keys)."""
    where = f"S3 endpoint {warehouse.s3.endpoint}" if warehouse.s3 else "the data path"
    return UpstreamUnavailableError(
        f"{WAREHOUSE_SETTING}: the DuckLake's data files at {warehouse.data_path} are"
        f" unreachable ({where}): {redact(' '.join(str(exc).split())[:300], warehouse)}"
    )


@contextmanager
def storage_errors(warehouse: Warehouse) -> Iterator[None]:
    """Turn a DuckDB HTTP failure on a lake's object store into :func:`storage_unavailable`
    (exit 3); other errors, and everything on a DuckDB file, pass unchanged."""
    try:
        yield
    except duckdb.IOException as exc:
        if warehouse.is_lake and "HTTP" in str(exc):
            raise storage_unavailable(warehouse, exc) from exc
        raise
