"""`webhook-desk --self-test`: what CI runs on the built bundle, run here on the checkout."""

import os
import subprocess
import sys


def test_self_test_opens_the_window_offscreen_and_exits_0(tmp_path):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "webhook_desk",
            "--db",
            f"sqlite:///{tmp_path / 'st.sqlite3'}",
            "--self-test",
        ],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    assert "tab Registrations" in result.stdout


def test_a_database_path_under_a_file_is_one_sentence(tmp_path):
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "webhook_desk",
            "--db",
            f"sqlite:///{blocker / 'x.sqlite3'}",
            "registrations",
            "list",
        ],
        capture_output=True,
        text=True,
        timeout=60,
        stdin=subprocess.DEVNULL,
    )
    assert result.returncode == 1
    assert result.stderr.startswith("webhook-desk: Cannot create the folder")
    assert "Traceback" not in result.stderr
