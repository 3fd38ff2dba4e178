"""What a hostile run found ended in tracebacks: a file that is no database, a database from a
newer release, an absurd retry wait, a full disk. Each is one sentence now."""

import resource
import signal
import sqlite3
import subprocess
import sys

import pytest

CLI = [sys.executable, "-m", "webhook_desk.cli"]


def _one_line(result) -> str:
    assert result.code == 1
    assert "Traceback" not in result.err
    assert len(result.err.strip().splitlines()) == 1
    return result.err.strip()


def test_a_db_option_naming_a_file_that_is_no_database_is_one_sentence(cli, tmp_path):
    notes = tmp_path / "notes.txt"
    notes.write_text("shopping list\n" * 100)
    err = _one_line(cli("registrations", "list", db=f"sqlite:///{notes}"))
    assert "is not a webhook-desk database" in err
    assert notes.read_text() == "shopping list\n" * 100


def _from_the_future(sqlite_db) -> str:
    path = sqlite_db.engine.url.database
    sqlite_db.dispose()
    with sqlite3.connect(path) as connection:
        connection.execute("UPDATE alembic_version SET version_num = '0099_from_the_future'")
    return f"sqlite:///{path}"


def test_a_database_from_a_newer_release_is_refused_untouched(cli, sqlite_db):
    url = _from_the_future(sqlite_db)
    err = _one_line(cli("registrations", "list", db=url))
    assert "This database was written by a newer webhook-desk" in err
    assert "0099_from_the_future" in err
    with sqlite3.connect(url.removeprefix("sqlite:///")) as connection:
        assert connection.execute("SELECT version_num FROM alembic_version").fetchall() == [
            ("0099_from_the_future",)
        ]


def test_health_json_says_the_database_is_from_a_newer_release(cli, sqlite_db):
    result = cli("health", "--json", db=_from_the_future(sqlite_db))
    assert result.code != 0
    database = result.json()["database"]
    assert database["ok"] is False
    assert database["error"].startswith("This database was written by a newer webhook-desk")


@pytest.mark.parametrize(
    "argv",
    [
        ["registrations", "add", "--url", "https://x.org/h", "--retry-schedule", "99999999999d"],
        ["deliver", "--until-idle", "--retry-schedule", "5s,99999999999d"],
    ],
)
def test_an_absurd_retry_wait_is_one_sentence(cli, memory_keyring, argv):
    err = _one_line(cli(*argv))
    assert "'99999999999d' is too long a retry wait; the longest is 30d." in err


def _with_file_size_limit(argv: list[str], limit: int) -> subprocess.CompletedProcess:
    """Run the CLI where no file may grow past `limit` bytes: writes fail as on a full disk."""

    def limited():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG instead of being killed
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    return subprocess.run(
        [*CLI, *argv], preexec_fn=limited, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize("fmt", ["csv", "xlsx", "ndjson", "v3"])
def test_an_export_onto_a_full_disk_is_one_sentence_and_leaves_no_file(
    cli, sqlite_db, memory_keyring, tmp_path, fmt
):
    cli("demo", "--deliveries", "1500")
    out = tmp_path / "export" / f"history.{fmt}"
    out.parent.mkdir()
    done = _with_file_size_limit(
        ["--db", sqlite_db.url, "export", "--format", fmt, "--output", str(out)], 64_000
    )
    assert done.returncode == 1
    assert done.stderr.strip() == f"webhook-desk: Cannot write {out}: File too large."
    assert list(out.parent.iterdir()) == []


def test_a_database_that_fills_the_disk_is_not_called_unopenable(cli, sqlite_db, memory_keyring):
    cli("registrations", "list")  # created and migrated: it opens
    done = _with_file_size_limit(["--db", sqlite_db.url, "demo", "--deliveries", "3000"], 400_000)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert "Cannot open the database" not in done.stderr
    assert "could not be read or written (disk I/O error)" in done.stderr
