"""Start-up costs only what is asked for (issue 15): `--version` and every `VERB --help` load no
database, HTTP or Qt layer, a database already at its newest schema opens without Alembic, and
`history` with a filter shape run before reads without SQLAlchemy, printing the same bytes.
Import checks run in a fresh interpreter and look at its sys.modules."""

from __future__ import annotations

import contextlib
import io
import json
import os
import shutil
import subprocess
import sys
import uuid
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy.dialects import sqlite
from test_client_certificates import TestCA

from webhook_desk.certificates import ClientCertificateFiles
from webhook_desk.cli import main, verbs
from webhook_desk.cli.common import print_json
from webhook_desk.cli.history import filters_from
from webhook_desk.db import Database, statement_cache
from webhook_desk.db.migrate import alembic_config, current_revision, head_revision, upgrade
from webhook_desk.db.models import Delivery, Registration, SecretVersion, UTCDateTime
from webhook_desk.db.revision import script_head
from webhook_desk.history import first_page, queries
from webhook_desk.history.sort_order import NEWEST_FIRST, parse_sort
from webhook_desk.secrets import SecretStore
from webhook_desk.services import registration_list, registrations
from webhook_desk.services.registration_rows import cached_tab_rows
from webhook_desk.services.registrations import RegistrationInput, TlsChange

ROOT = Path(__file__).resolve().parents[1]
HEAVY = ("sqlalchemy", "alembic", "aiohttp", "requests", "PySide6")

# Runs each argv (a JSON list of lists) in turn through the `webhook-desk` entry point and
# prints, after each, the heavy packages imported so far.
CHILD = """
import json, sys
from webhook_desk.__main__ import main
heavy = json.loads(sys.argv[2])
for argv in json.loads(sys.argv[1]):
    try:
        main(argv)
    except SystemExit:
        pass
    loaded = sorted(name for name in heavy if name in sys.modules)
    print(json.dumps([argv, loaded]), file=sys.stderr)
"""


def loaded_after(
    argvs: list[list[str]], heavy=HEAVY, data: Path | None = None
) -> list[tuple[list[str], list[str]]]:
    """`data`: the data folder (XDG_DATA_HOME) the child keeps its statement cache in."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    if data is not None:
        env["XDG_DATA_HOME"] = str(data)
    result = subprocess.run(
        [sys.executable, "-c", CHILD, json.dumps(argvs), json.dumps(heavy)],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        stdin=subprocess.DEVNULL,
    )
    lines = [line for line in result.stderr.splitlines() if line.startswith("[[")]
    assert len(lines) == len(argvs), result.stderr
    return [tuple(json.loads(line)) for line in lines]


def every_help_request() -> list[list[str]]:
    """`VERB --help` for every verb and sub-verb the grammar has, found from the parser."""
    found = []

    def walk(parser, path):
        for action in parser._actions:
            if isinstance(action.choices, dict):  # the verbs below this parser
                for name, sub in action.choices.items():
                    found.append([*path, name, "--help"])
                    walk(sub, [*path, name])

    walk(verbs.parser(), [])
    return found


def test_version_and_every_verbs_help_load_no_database_http_or_qt_layer():
    requests = [["--version"], ["--help"], *every_help_request()]
    assert ["history", "--help"] in requests and ["registrations", "add", "--help"] in requests
    first_heavy = next((pair for pair in loaded_after(requests) if pair[1]), None)
    assert first_heavy is None, f"{first_heavy[0]} imported {first_heavy[1]}"


def test_a_database_at_head_opens_without_alembic_and_lists_without_http_qt_or_jsonschema(tmp_path):
    url = f"sqlite:///{tmp_path / 'at-head.sqlite3'}"
    Database.open(url).dispose()
    argvs = [["--db", url, verb, *rest] for verb, *rest in (["history"], ["inbox"], ["audit"])]
    for argv, loaded in loaded_after(
        argvs, ("alembic", "aiohttp", "requests", "PySide6", "jsonschema")
    ):
        assert loaded == [], f"{argv} imported {loaded}"


def test_a_database_one_revision_behind_is_still_upgraded_when_opened(tmp_path):
    url = f"sqlite:///{tmp_path / 'behind.sqlite3'}"
    behind = Database(url)
    previous = ScriptDirectory.from_config(alembic_config()).get_revision(script_head())
    upgrade(behind.engine, previous.down_revision)
    assert current_revision(behind.engine) == previous.down_revision
    [(_, loaded)] = loaded_after([["--db", url, "history", "--json"]], ("alembic",))
    assert loaded == ["alembic"]
    assert current_revision(behind.engine) == head_revision() == script_head()
    behind.dispose()


START = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def own_cache(tmp_path, monkeypatch) -> Path:
    """The statement cache in this test's own data folder, read afresh."""
    data = tmp_path / "data"
    monkeypatch.setenv("XDG_DATA_HOME", str(data))
    statement_cache._entries.cache_clear()
    yield data
    statement_cache._entries.cache_clear()


@pytest.fixture
def varied(own_cache, tmp_path) -> str:
    """A database at head with deliveries of every kind a filter tells apart; its URL."""
    url = f"sqlite:///{tmp_path / 'varied.sqlite3'}"
    db = Database.open(url)
    with db.session() as session:
        session.add(Registration(name="CP study 8", url="https://hooks.example.org/cp"))
        session.flush()
        for n, (study, status, code) in enumerate(
            [("8", "succeeded", 200), ("8", "failed", 503), ("189", "failed", 404)] * 4
            + [("8", "pending", None), ("189", "succeeded", 204)]
        ):
            sent = START + timedelta(minutes=n, microseconds=n * 1001 % 7)
            session.add(
                Delivery(
                    uuid=str(uuid.uuid4()),
                    registration_id=1 if n % 3 == 0 else None,
                    target_url="https://hooks.example.org/cp",
                    event_code="upload" if n % 2 else "device.assigned",
                    payload=json.dumps({"studyId": study, "note": f"word{n} completed" * (n % 2)}),
                    study_id=study,
                    subject_id=f"S{n % 4}",
                    status=status,
                    response_code=code,
                    is_validation=n == 5,
                    erased_at=sent if n == 7 else None,
                    created_at=START
                    + timedelta(
                        minutes=n // 2, microseconds=n // 2 % 2 * 250
                    ),  # pairs share a time
                    last_sent_at=None if status == "pending" else sent,
                    next_attempt_at=sent + timedelta(hours=1),
                )
            )
    db.dispose()
    return url


FILTERS = [
    [],
    ["--study", "8"],
    ["--subject", "S1", "--event", "upload"],
    ["--registration", "1"],
    ["--status", "failed", "--limit", "3"],
    ["--include-codes", "2xx,404"],
    ["--exclude-codes", "5xx"],
    ["--since", "2026-03-01T09:02:00.000250+00:00", "--until", "2026-03-01T11:05:00+02:00"],
    ["--until", "2026-03-01"],  # a date alone: that whole local day
    ["--text", "completed", "--status", "failed"],
    ["--study", "8", "--status", "pending", "--limit", "1"],
    ["--sort", "code", "--limit", "5"],  # NULL codes first
    ["--sort", "last-sent:desc", "--status", "failed"],
]


def printed(rows: list[dict]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        print_json(rows)
    return out.getvalue()


def cli_history(url: str, argv: list[str]) -> str:
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        assert main(["--db", url, "history", "--json", *argv]) == 0
    return out.getvalue()


@pytest.mark.parametrize("argv", FILTERS, ids=" ".join)
def test_history_prints_the_same_bytes_from_the_cached_statement_as_from_the_orm(varied, argv):
    args = verbs.parser().parse_args(["history", *argv])
    filters, sort = filters_from(args), parse_sort(args.sort) if args.sort else NEWEST_FIRST
    db = Database.open(varied)
    with db.session() as session:
        page = queries.list_deliveries(session, filters, args.limit, sort=sort)
        orm = printed([queries.as_dict(d) for d in page.rows])
    db.dispose()
    assert json.loads(orm), "the filter should find something"
    assert first_page.cached(varied, filters, args.limit, args.sort) is None  # not compiled yet
    assert cli_history(varied, argv) == orm  # compiles the statement and keeps it
    cached = first_page.cached(varied, filters, args.limit, args.sort)
    assert cached is not None and printed(cached) == orm
    assert cli_history(varied, argv) == orm


def test_history_json_with_a_cached_shape_imports_no_sqlalchemy(varied, own_cache):
    for filters in (["--limit", "5"], ["--text", "completed", "--status", "failed"]):
        argv = ["--db", varied, "history", "--json", *filters]
        [(_, first)] = loaded_after([argv], data=own_cache)
        [(_, again)] = loaded_after([argv], data=own_cache)
        assert "sqlalchemy" in first  # the first run compiled the statement
        assert again == [], f"{filters} imported {again} with its statement cached"


def test_a_changed_query_source_invalidates_the_cached_statement(varied, own_cache, tmp_path):
    copy = tmp_path / "copy"
    shutil.copytree(
        ROOT / "webhook_desk", copy / "webhook_desk", ignore=shutil.ignore_patterns("__pycache__")
    )
    env = {**os.environ, "PYTHONPATH": str(copy), "XDG_DATA_HOME": str(own_cache)}

    def erased() -> list:
        argv = ["-m", "webhook_desk", "--db", varied, "history", "--json", "--limit", "2"]
        out = subprocess.run(
            [sys.executable, *argv], env=env, cwd=copy, capture_output=True, text=True, check=True
        )
        return [(row["erased_at"], row["created_at"]) for row in json.loads(out.stdout)]

    assert erased() == erased() == [(None, "2026-03-01T09:06:00+00:00")] * 2  # then cached
    queries_py = copy / "webhook_desk" / "history" / "queries.py"
    edited = [
        'JSON_COLUMNS = {**ROW_COLUMNS, "erased_at": Delivery.created_at}'
        if line.startswith("JSON_COLUMNS =")
        else line
        for line in queries_py.read_text(encoding="utf-8").splitlines()
    ]
    queries_py.write_text("\n".join(edited) + "\n", encoding="utf-8")
    # The edited statement runs, not the one kept before the edit.
    assert erased() == [("2026-03-01T09:06:00+00:00", "2026-03-01T09:06:00+00:00")] * 2


@pytest.mark.parametrize(
    "value",
    [
        datetime(2026, 3, 1, 9, 0, tzinfo=UTC),
        datetime(2026, 3, 1, 9, 0, 7, 250, tzinfo=UTC),
        datetime(2026, 3, 1, 11, 0, 7, 999999, tzinfo=timezone(timedelta(hours=2))),
        datetime(2026, 12, 31, 23, 59, 59, tzinfo=timezone(timedelta(hours=-5))),
        datetime(2026, 3, 1, 9, 0, 1, 5),  # naive: taken as UTC, as UTCDateTime does
    ],
)
def test_cached_statements_store_times_as_sqlalchemy_does(value):
    dialect = sqlite.dialect()
    stores = UTCDateTime().dialect_impl(dialect).bind_processor(dialect)
    assert statement_cache.sqlite_value(value) == stores(value)


WINDOW_CHILD = """
import json, sys
from PySide6.QtCore import QSettings, Qt
QSettings.setDefaultFormat(QSettings.Format.IniFormat)
QSettings.setPath(QSettings.Format.IniFormat, QSettings.Scope.UserScope, sys.argv[2])
from webhook_desk.ui.app import make_application, open_window
app = make_application()
window = open_window(sys.argv[1], deferred=True)
heavy = ("sqlalchemy", "alembic", "aiohttp", "requests", "keyring", "PySide6.QtCharts")
heavy += ("cryptography",)
model = window.registrations_tab.model
loaded = sorted(m for m in heavy if m in sys.modules)  # before anything below imports more
first = model.index(0, 0)
warned = model.data(first, Qt.ItemDataRole.DecorationRole) is not None
tip = model.data(first, Qt.ItemDataRole.ToolTipRole)
print(json.dumps([model.rowCount(), loaded, warned, tip]))
"""


def painted(url: str, own_cache: Path, tmp_path: Path) -> list:
    """The window's first paint in a fresh interpreter: [rows, heavy packages imported, whether
    the first row has a warning sign, its tooltip]."""
    env = {**os.environ, "PYTHONPATH": str(ROOT), "XDG_DATA_HOME": str(own_cache)}
    env["QT_QPA_PLATFORM"] = "offscreen"
    out = subprocess.run(
        [sys.executable, "-c", WINDOW_CHILD, url, str(tmp_path / "settings")],
        env=env,
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    ).stdout
    return json.loads(out)


def test_the_window_paints_its_registrations_before_importing_sqlalchemy(own_cache, tmp_path):
    url = f"sqlite:///{tmp_path / 'window.sqlite3'}"
    db = Database.open(url)
    with db.session() as session:
        for n in range(3):
            session.add(Registration(name=f"Study {n}", url=f"https://hooks.example.org/{n}"))
        session.flush()
        registration_list.tab_rows(session)  # a previous start kept its statements
    db.dispose()
    assert painted(url, own_cache, tmp_path) == [3, [], False, None]


def test_a_certificate_expiring_soon_is_warned_of_at_first_paint_without_cryptography(
    own_cache, tmp_path
):
    """The expiry is kept with the certificate when it is saved: the paint compares dates."""
    url = f"sqlite:///{tmp_path / 'window.sqlite3'}"
    soon = TestCA().issue("soon desk", days=10).write(tmp_path, "soon")
    db = Database.open(url)
    with db.session() as session:
        data = RegistrationInput(url="https://hooks.example.org/tls", auth_type="none")
        registrations.add(
            session, SecretStore(), data, tls=TlsChange(ClientCertificateFiles(*soon))
        )
        registration_list.tab_rows(session)  # a previous start kept its statements
    db.dispose()
    day = f"{datetime.now(UTC) + timedelta(days=10):%Y-%m-%d}"
    warning = f"The client certificate (CN=soon desk) expires on {day}, in 10 days."
    assert painted(url, own_cache, tmp_path) == [1, [], True, warning]


def test_the_registrations_read_ahead_are_the_rows_the_orm_gives(varied):
    db = Database.open(varied)
    with db.session() as session:
        session.add(Registration(name="Gone", url="https://old.example.org", status="archived"))
        for version, expires, revoked in ((1, START, None), (2, None, None), (3, None, START)):
            session.add(
                SecretVersion(
                    registration_id=1,
                    kind="hmac",
                    version=version,
                    fingerprint="ab12cd34" if version > 1 else None,
                    created_at=START + timedelta(microseconds=version),
                    expires_at=expires,
                    revoked_at=revoked,
                )
            )
        session.flush()
        for archived in (False, True):
            orm = [
                {**registrations.as_dict(r), "secrets": registrations.secret_summary(r)}
                for r in registrations.list_all(session, include_archived=archived)
            ]
            assert registration_list.tab_rows(session, archived) == orm
    for archived, expected in ((False, 1), (True, 2)):
        rows = cached_tab_rows(varied, archived)
        assert rows is not None and len(rows) == expected
        assert rows == orm if archived else rows == orm[:1]
    db.dispose()


def test_a_bundle_without_its_sources_still_keeps_statements(monkeypatch, tmp_path):
    """A PyInstaller bundle carries compiled modules only: no source to checksum, but its
    code changes only with the bundle, so the executable stands for it."""
    executable = tmp_path / "webhook-desk"
    executable.write_bytes(b"bundle")
    monkeypatch.setattr(statement_cache, "PACKAGE", tmp_path / "no-sources")
    statement_cache.source_key.cache_clear()
    try:
        assert statement_cache.source_key() is None  # a checkout missing its sources
        monkeypatch.setattr(sys, "frozen", True, raising=False)
        monkeypatch.setattr(sys, "executable", str(executable))
        statement_cache.source_key.cache_clear()
        key = statement_cache.source_key()
        assert key is not None and str(executable.stat().st_mtime_ns) in key
    finally:
        statement_cache.source_key.cache_clear()
