"""What `pip install .` or `pipx install .` gives a desktop user: the wheel built from the
checkout, installed into a fresh venv without extras, starts, finds its catalog and icons
inside the package, and brings nothing a desktop user does not use.

pip's cache is reused and the venv gets no pip of its own (the suite's pip installs into it),
so the whole module takes about half a minute.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from webhook_desk.db.database import POSTGRES_DRIVER_MISSING

ROOT = Path(__file__).resolve().parent.parent


def _pip(*argv: str) -> None:
    # Away from the checkout: a PYTHONPATH or a working folder holding the checkout's
    # webhook_desk.egg-info would make pip take the package as installed already.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}
    done = subprocess.run(
        [sys.executable, "-m", "pip", "-q", *argv],
        capture_output=True,
        text=True,
        timeout=300,
        env=env,
        cwd=Path(sys.executable).parent,
    )
    assert done.returncode == 0, done.stderr[-3000:]


@pytest.fixture(scope="module")
def venv(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("wheel")
    source = work / "source"
    source.mkdir()
    for name in ("pyproject.toml", "README.md"):
        shutil.copy(ROOT / name, source / name)
    shutil.copytree(
        ROOT / "webhook_desk",
        source / "webhook_desk",
        ignore=shutil.ignore_patterns("__pycache__"),
    )
    _pip("wheel", "--no-deps", "--wheel-dir", str(work / "dist"), str(source))
    (wheel,) = (work / "dist").glob("webhook_desk-*.whl")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(work / "venv")], check=True)
    _pip("--python", str(work / "venv" / "bin" / "python"), "install", "--no-compile", str(wheel))
    return work / "venv"


def _run(venv: Path, tmp_path: Path, *argv: str) -> subprocess.CompletedProcess:
    """The installed command, away from the checkout: no PYTHONPATH, another working folder."""
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WEBHOOK_DESK_DB")}
    return subprocess.run(
        [str(venv / "bin" / argv[0]), *argv[1:]],
        capture_output=True,
        text=True,
        timeout=180,
        cwd=tmp_path,
        env={**env, "QT_QPA_PLATFORM": "offscreen"},
        stdin=subprocess.DEVNULL,
    )


def test_the_installed_command_prints_its_version(venv, tmp_path):
    from webhook_desk import __version__

    result = _run(venv, tmp_path, "webhook-desk", "--version")
    assert (result.returncode, result.stdout.strip()) == (0, f"webhook-desk {__version__}")


def test_health_reports_a_migrated_database_and_the_keyring(venv, tmp_path):
    db = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    result = _run(venv, tmp_path, "webhook-desk", "--db", db, "health", "--json")
    assert result.returncode == 0, result.stderr
    health = json.loads(result.stdout)
    assert health["ok"] and health["keyring"]["ok"]
    assert health["database"]["revision"] == health["database"]["head"]


def test_the_self_test_opens_the_window_with_the_packaged_catalog(venv, tmp_path):
    db = f"sqlite:///{tmp_path / 'desk.sqlite3'}"
    result = _run(venv, tmp_path, "webhook-desk", "--db", db, "--self-test")
    assert result.returncode == 0, result.stdout + result.stderr
    assert "ok   catalog:" in result.stdout and "FAIL" not in result.stdout
    where = _run(
        venv,
        tmp_path,
        "python",
        "-c",
        "from webhook_desk import settings; print(settings.resources_dir())",
    )
    assert Path(where.stdout.strip()).is_relative_to(venv)


def test_the_base_install_has_no_postgres_driver_test_tools_or_bundler(venv, tmp_path):
    probe = "import importlib.util as u; print([m for m in MODULES if u.find_spec(m)])"
    modules = "('psycopg', 'pytest', 'PyInstaller', 'ruff')"
    found = _run(venv, tmp_path, "python", "-c", probe.replace("MODULES", modules))
    assert (found.returncode, found.stdout.strip()) == (0, "[]"), found.stderr
    url = "postgresql+psycopg://someone@127.0.0.1:1/desk"
    refused = _run(venv, tmp_path, "webhook-desk", "--db", url, "registrations", "list")
    assert (refused.returncode, refused.stderr) == (1, f"webhook-desk: {POSTGRES_DRIVER_MISSING}\n")
