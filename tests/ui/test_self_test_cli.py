"""`webhook-desk --self-test`: what CI runs on the built bundle, run here on the checkout."""

import os
import subprocess
import sys


def _self_test(tmp_path, *python_options):
    env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
    db = f"sqlite:///{tmp_path / 'st.sqlite3'}"
    return subprocess.run(
        [sys.executable, *python_options, "-m", "webhook_desk", "--db", db, "--self-test"],
        capture_output=True,
        text=True,
        timeout=120,
        env=env,
        stdin=subprocess.DEVNULL,
    )


def test_self_test_opens_the_window_offscreen_and_exits_0(tmp_path):
    result = _self_test(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "self-test passed" in result.stdout
    assert "tab Registrations" in result.stdout


def test_a_slow_first_start_imports_nothing_twice_at_once(tmp_path):
    """Without bytecode (-B: every import compiled, as a fresh install's first start), the
    tabs' first queries and the GUI thread's build of the engine once imported requests at
    the same time, and one got a half-made module (3 starts in 4 failed)."""
    for _ in range(2):
        result = _self_test(tmp_path, "-B")
        assert "Traceback" not in result.stderr, result.stderr
        assert result.returncode == 0, result.stdout + result.stderr


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
