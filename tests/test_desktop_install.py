"""Installed like a desktop application: the menu entry and icon a Linux desktop shows, and a
base install without the PostgreSQL driver that says how to add it."""

from __future__ import annotations

import shlex
import subprocess
import sys
from pathlib import Path

from webhook_desk.cli import main
from webhook_desk.desktop_entry import desktop_entry
from webhook_desk.settings import resources_dir


def validate(entry: Path) -> subprocess.CompletedProcess:
    return subprocess.run(
        ["desktop-file-validate", str(entry)], capture_output=True, text=True, timeout=30
    )


def test_the_menu_entry_and_icon_go_to_xdg_data_home_and_validate(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    assert main(["--install-desktop-entry"]) == 0

    entry = tmp_path / "data" / "applications" / "webhook-desk.desktop"
    icon = tmp_path / "data" / "icons" / "hicolor" / "scalable" / "apps" / "webhook-desk.svg"
    assert capsys.readouterr().out.strip() == (
        f"Installed the menu entry {entry} and its icon {icon}."
    )
    result = validate(entry)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    assert icon.read_bytes() == (resources_dir() / "icons" / "app.svg").read_bytes()
    fields = dict(line.split("=", 1) for line in entry.read_text().splitlines()[1:])
    assert (fields["Name"], fields["Icon"], fields["StartupWMClass"]) == (
        "Webhook Desk",
        "webhook-desk",
        "webhook-desk",
    )
    # What the menu runs is this installation: with --version it answers as the CLI does.
    started = subprocess.run(
        [*shlex.split(fields["Exec"]), "--version"], capture_output=True, text=True, timeout=60
    )
    assert started.stdout.startswith("webhook-desk "), started.stderr


def test_a_program_path_with_spaces_and_dollars_is_quoted_as_the_spec_says(tmp_path):
    entry = tmp_path / "webhook-desk.desktop"
    entry.write_text(desktop_entry(["/opt/my apps/$HOME/webhook-desk", "100%"]))
    result = validate(entry)
    assert (result.returncode, result.stdout + result.stderr) == (0, "")
    assert 'Exec="/opt/my apps/\\\\$HOME/webhook-desk" 100%%\n' in entry.read_text()


def test_an_unwritable_data_folder_is_one_sentence(tmp_path, monkeypatch, capsys):
    blocker = tmp_path / "a-file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_DATA_HOME", str(blocker))
    assert main(["--install-desktop-entry"]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"webhook-desk: Cannot install the menu entry under {blocker}: ")
    assert err.count("\n") == 1 and "Traceback" not in err


def test_postgresql_without_psycopg_says_which_extra_to_install(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "psycopg", None)  # as in a base install: no driver
    url = "postgresql+psycopg://someone@127.0.0.1:1/desk"
    assert main(["--db", url, "registrations", "list"]) == 1
    assert capsys.readouterr().err == (
        "webhook-desk: PostgreSQL needs the psycopg driver, which is not installed: "
        "install webhook-desk[postgres] and use a postgresql+psycopg:// URL.\n"
    )
