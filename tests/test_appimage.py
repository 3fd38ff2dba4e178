"""The Linux bundle as one file: packaging/appimage/build-appimage turns build.spec's bundle
into an AppImage that starts without FUSE (--appimage-extract-and-run), passes its self-test,
carries a valid menu entry and icon, and installs a menu entry that starts the AppImage itself
rather than the temporary folder it runs from.
"""

import os
import subprocess
from pathlib import Path

import pytest

from webhook_desk import __version__

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def appimage(bundle, tmp_path_factory) -> Path:
    target = tmp_path_factory.mktemp("appimage") / "webhook-desk-x86_64.AppImage"
    build = subprocess.run(
        ["bash", str(ROOT / "packaging" / "appimage" / "build-appimage"), str(bundle.parent)]
        + [str(target)],
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert build.returncode == 0, build.stderr[-3000:]
    return target


def _run(appimage: Path, *argv: str, tmp_path: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen", "XDG_DATA_HOME": str(tmp_path / "data")}
    return subprocess.run(
        [str(appimage), "--appimage-extract-and-run", *argv],
        capture_output=True,
        text=True,
        timeout=180,
        env=env,
        cwd=tmp_path,
        stdin=subprocess.DEVNULL,
    )


def test_the_appimage_is_one_program_that_prints_its_version(appimage, tmp_path):
    header = appimage.read_bytes()[:11]
    assert header[:4] == b"\x7fELF" and header[8:11] == b"AI\x02"  # a type-2 AppImage
    result = _run(appimage, "--version", tmp_path=tmp_path)
    assert (result.returncode, result.stdout.strip()) == (0, f"webhook-desk {__version__}")


def test_the_appimage_passes_its_self_test_without_fuse(appimage, tmp_path):
    db = f"sqlite:///{tmp_path / 'appimage.sqlite3'}"
    result = _run(appimage, "--db", db, "--self-test", tmp_path=tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout


def test_the_appimage_carries_a_valid_menu_entry_and_its_icon(appimage, tmp_path):
    subprocess.run(
        [str(appimage), "--appimage-extract"], cwd=tmp_path, capture_output=True, check=True
    )
    appdir = tmp_path / "squashfs-root"
    entry = appdir / "webhook-desk.desktop"
    assert "Exec=webhook-desk\n" in entry.read_text() and "Icon=webhook-desk\n" in entry.read_text()
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert (valid.returncode, valid.stdout + valid.stderr) == (0, "")
    assert (appdir / ".DirIcon").read_text().lstrip().startswith("<svg")
    assert os.access(appdir / "AppRun", os.X_OK)


def test_the_menu_entry_it_installs_starts_the_appimage(appimage, tmp_path):
    result = _run(appimage, "--install-desktop-entry", tmp_path=tmp_path)
    assert result.returncode == 0, result.stderr
    entry = tmp_path / "data" / "applications" / "webhook-desk.desktop"
    assert f"Exec={appimage}\n" in entry.read_text()
    valid = subprocess.run(["desktop-file-validate", str(entry)], capture_output=True, text=True)
    assert (valid.returncode, valid.stdout + valid.stderr) == (0, "")
