"""Shared fixtures: real databases (SQLite file, throwaway PostgreSQL 15), keyrings, the CLI.

Qt must be told to render offscreen before anything imports it, or it aborts the process
on a machine without a display.
"""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import contextlib  # noqa: E402
import io  # noqa: E402
import json  # noqa: E402
import shutil  # noqa: E402
import socket  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import uuid  # noqa: E402
from dataclasses import dataclass  # noqa: E402
from pathlib import Path  # noqa: E402

import keyring  # noqa: E402
import keyring.errors  # noqa: E402
import pytest  # noqa: E402
from keyring.backend import KeyringBackend  # noqa: E402

from webhook_desk.services.startup import open_database  # noqa: E402
from webhook_desk.settings import KEYRING_SERVICE  # noqa: E402


def _newest_pg_bin() -> Path:
    """Debian 12 ships PostgreSQL 15, newer Ubuntu 16+: take the newest installed."""
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin"), key=lambda p: int(p.parent.name))
    return found[-1] if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = Path(os.environ.get("WEBHOOK_DESK_PG_BIN") or _newest_pg_bin())
PG_START_ATTEMPTS = 3


# --- no skips ------------------------------------------------------------------------------


def _fail_if_skipped(report):
    if report.skipped and not hasattr(report, "wasxfail"):
        reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else report.longrepr
        report.outcome = "failed"
        report.longrepr = f"skipped tests count as failures in this suite: {reason}"
    return report


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    """A skipped test proves nothing, so here it fails: a missing tool must be installed."""
    return _fail_if_skipped((yield))


@pytest.hookimpl(wrapper=True)
def pytest_make_collect_report(collector):
    """The same for a whole module skipped while it is collected."""
    return _fail_if_skipped((yield))


# --- SQLite -------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def bundle(tmp_path_factory) -> Path:
    """build.spec's one-folder bundle, built once for the bundle and AppImage tests."""
    out = tmp_path_factory.mktemp("bundle")
    root = Path(__file__).resolve().parent.parent
    work = ["--distpath", str(out / "dist"), "--workpath", str(out / "work")]
    build = subprocess.run(
        [sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN", *work]
        + [str(root / "build.spec")],
        capture_output=True,
        text=True,
        timeout=900,
        cwd=root,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return out / "dist" / "webhook-desk" / "webhook-desk"


@pytest.fixture
def sqlite_db(tmp_path):
    """A migrated Database in a fresh SQLite file."""
    db = open_database(f"sqlite:///{tmp_path / 'webhook_desk.sqlite3'}")
    yield db
    db.dispose()


# --- PostgreSQL ---------------------------------------------------------------------------


@dataclass
class PgCluster:
    """A running throwaway cluster: trust auth, user postgres, on 127.0.0.1:port."""

    port: int
    directory: Path

    def url(self, database: str = "postgres") -> str:
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/{database}"

    def admin(self):
        import psycopg

        return psycopg.connect(
            host="127.0.0.1", port=self.port, user="postgres", dbname="postgres", autocommit=True
        )


def _as_postgres(command: list[str], cwd: Path) -> subprocess.CompletedProcess:
    """Run a server binary as user postgres: PostgreSQL refuses to run as root."""
    if os.geteuid() == 0:
        command = ["runuser", "-u", "postgres", "--", *command]
    return subprocess.run(command, cwd=cwd, capture_output=True, text=True, timeout=120)


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _owned_by_postgres(path: Path) -> None:
    if os.geteuid() == 0:
        shutil.chown(path, user="postgres", group="postgres")


def _start_cluster(directory: Path) -> PgCluster:
    data, sockets, log = directory / "data", directory / "sockets", directory / "server.log"
    sockets.mkdir()
    _owned_by_postgres(sockets)
    initdb = _as_postgres(
        [str(PG_BIN / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8"],
        cwd=directory,
    )
    if initdb.returncode != 0:
        pytest.fail(f"initdb failed, PostgreSQL tests cannot run:\n{initdb.stderr}", pytrace=False)
    for _attempt in range(PG_START_ATTEMPTS):
        # Another process may take the port between probing and binding: try a new one.
        port = _free_port()
        options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
        started = _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(data), "-l", str(log), "-o", options, "-w", "start"],
            cwd=directory,
        )
        if started.returncode == 0:
            return PgCluster(port=port, directory=directory)
    server_log = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    pytest.fail(f"PostgreSQL did not start:\n{started.stderr}\n{server_log}", pytrace=False)


@pytest.fixture(scope="session")
def pg_cluster():
    """A PostgreSQL 15 cluster for the whole run; a test that needs it fails if it cannot start."""
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL 15 is not installed ({PG_BIN}); run .ci/setup.", pytrace=False)
    directory = Path(tempfile.mkdtemp(prefix="webhook-desk-pg-"))
    _owned_by_postgres(directory)
    try:
        cluster = _start_cluster(directory)
        yield cluster
        _as_postgres(
            [str(PG_BIN / "pg_ctl"), "-D", str(directory / "data"), "-m", "fast", "stop"],
            cwd=directory,
        )
    finally:
        shutil.rmtree(directory, ignore_errors=True)


@pytest.fixture
def pg_db(pg_cluster):
    """A migrated Database on a fresh database of the throwaway cluster, dropped after."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    with pg_cluster.admin() as admin:
        admin.execute(f'CREATE DATABASE "{name}"')
    db = open_database(pg_cluster.url(name))
    yield db
    db.dispose()
    with pg_cluster.admin() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def any_db(request):
    """The same test on SQLite and on PostgreSQL."""
    return request.getfixturevalue("sqlite_db" if request.param == "sqlite" else "pg_db")


# --- keyrings -----------------------------------------------------------------------------


class MemoryKeyring(KeyringBackend):
    """Secrets in a dict: for unit tests that are not about the OS keyring."""

    priority = 1

    def __init__(self):
        super().__init__()
        self.values: dict[tuple[str, str], str] = {}

    def get_password(self, service, username):
        return self.values.get((service, username))

    def set_password(self, service, username, password):
        self.values[(service, username)] = password

    def delete_password(self, service, username):
        if self.values.pop((service, username), None) is None:
            raise keyring.errors.PasswordDeleteError(f"no secret {username} in {service}")


# Every KeyringBackend subclass registers itself as a candidate default; left registered,
# this one would make keyring pick a ChainerBackend over the real Secret Service.
KeyringBackend._classes.discard(MemoryKeyring)


@pytest.fixture
def memory_keyring():
    previous = keyring.get_keyring()
    backend = MemoryKeyring()
    keyring.set_keyring(backend)
    yield backend
    keyring.set_keyring(previous)


@pytest.fixture
def catalog_db(sqlite_db, memory_keyring):
    """A SQLite database with the event catalog loaded and an in-memory keyring."""
    from webhook_desk.services.catalog import sync_catalog

    with sqlite_db.session() as session:
        sync_catalog(session)
    return sqlite_db


@pytest.fixture
def built_in_receiver(catalog_db):
    """The built-in receiver serving on a free port of 127.0.0.1 over `catalog_db`."""
    from receiver_client import start

    running = start(catalog_db)
    yield running
    running.stop()


def _secret_service_items(backend) -> dict[str, object]:
    collection = backend.get_preferred_collection()
    return {item.item_path: item for item in collection.search_items({"service": KEYRING_SERVICE})}


@pytest.fixture
def secret_service():
    """The real Secret Service (gnome-keyring on D-Bus); what the test stores is deleted after."""
    backend = keyring.get_keyring()
    assert type(backend).__module__ == "keyring.backends.SecretService", (
        f"the keyring backend is {type(backend).__module__}.{type(backend).__name__}, not "
        "SecretService: run the tests through .ci/test, which starts gnome-keyring"
    )
    before = set(_secret_service_items(backend))
    yield backend
    for path, item in _secret_service_items(backend).items():
        if path not in before:
            item.delete()


# --- the command line ---------------------------------------------------------------------


@dataclass
class CliResult:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


@pytest.fixture
def cli(request, monkeypatch):
    """Run `webhook-desk --db URL ARGV...` in-process; the default database is sqlite_db."""
    from webhook_desk.cli import main

    def run(*argv, db=None, stdin=None) -> CliResult:
        if db is None:
            db = request.getfixturevalue("sqlite_db")
        url = db if isinstance(db, str) else db.url
        monkeypatch.setattr(sys, "stdin", io.StringIO(stdin or ""))
        out, err = io.StringIO(), io.StringIO()
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(["--db", url, *[str(a) for a in argv]])
            except SystemExit as exit_:  # argparse: --help, --version, usage errors
                code = 0 if exit_.code is None else exit_.code if isinstance(exit_.code, int) else 1
        return CliResult(code=code, out=out.getvalue(), err=err.getvalue())

    return run
