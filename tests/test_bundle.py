"""The PyInstaller one-folder bundle: built from build.spec, it starts and passes its self-test.

This is what a user gets who never installs Python; it fails when a module, an icon or a
migration is missing from the bundle even though the checkout works.
"""

import os
import subprocess
from pathlib import Path


def _run(program: Path, *argv: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    return subprocess.run(
        [str(program), "--db", f"sqlite:///{tmp_path / 'bundle.sqlite3'}", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_the_bundle_prints_its_version(bundle, tmp_path):
    from webhook_desk import __version__

    result = _run(bundle, "--version", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == f"webhook-desk {__version__}"


def test_the_bundle_passes_its_self_test(bundle, tmp_path):
    result = _run(bundle, "--self-test", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout


def test_the_bundle_lists_the_shipped_catalog(bundle, tmp_path):
    result = _run(bundle, "events", "list", "--json", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    assert "upload" in result.stdout and "vitals.observations.created" in result.stdout


def test_the_bundle_installs_a_menu_entry_that_starts_the_bundle(bundle, tmp_path):
    env = {**os.environ, "XDG_DATA_HOME": str(tmp_path / "data")}
    result = subprocess.run(
        [str(bundle), "--install-desktop-entry"],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
    )
    assert result.returncode == 0, result.stderr
    entry = tmp_path / "data" / "applications" / "webhook-desk.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "webhook-desk.svg"
    assert f"Exec={bundle}\n" in entry.read_text()
    assert icon.read_text().lstrip().startswith("<svg")
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert (valid.returncode, valid.stdout + valid.stderr) == (0, "")
