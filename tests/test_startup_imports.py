"""Start-up costs only what is asked for (issue 15): `--version` and every `VERB --help` load no
database, HTTP or Qt layer, and a database already at its newest schema opens without Alembic.
Each check runs in a fresh interpreter and looks at its sys.modules."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from alembic.script import ScriptDirectory

from webhook_desk.cli import verbs
from webhook_desk.db import Database
from webhook_desk.db.migrate import alembic_config, current_revision, head_revision, upgrade
from webhook_desk.db.revision import script_head

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


def loaded_after(argvs: list[list[str]], heavy=HEAVY) -> list[tuple[list[str], list[str]]]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
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
