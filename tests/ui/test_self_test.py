"""`--self-test`: the real window opens offscreen, checks its parts, and says so line by line."""

from webhook_desk.ui.app import run_gui


def test_self_test_checks_database_catalog_keyring_and_every_tab(
    sqlite_db, memory_keyring, qapp, capsys
):
    code = run_gui(sqlite_db.url, self_test=True)
    lines = capsys.readouterr().out.splitlines()
    assert code == 0, lines
    assert [line.split(":")[0] for line in lines[:-1]] == [
        "ok   database",
        "ok   catalog",
        "ok   keyring",
        "ok   tab Registrations",
        "ok   tab Events",
        "ok   tab History",
        "ok   tab Receiver",
    ]
    assert lines[-1] == "self-test passed"


def test_self_test_fails_plainly_on_a_database_it_cannot_open(qapp, capsys):
    code = run_gui("no database here", self_test=True)
    assert code == 1
    err = capsys.readouterr().err
    assert err.startswith("webhook-desk: self-test failed: ")
    assert "Traceback" not in err
