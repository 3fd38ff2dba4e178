"""One rule, one sentence: the registration form and the CLI refuse the same input in the
same words, because both ask registration_rules (the service checks it again on save)."""

import pytest
from PySide6.QtCore import Qt

from tests.ui.test_registrations_tab import fill, open_add_dialog
from webhook_desk.services import catalog, firing

# (url, auth, development, retry schedule, the sentence both faces show)
CASES = [
    (
        "https://centrepoint:Winter2024!@hooks.example.org/x",
        "none",
        False,
        "",
        "A URL cannot carry a user name or password (the part before '@'); choose Basic "
        "authentication instead, whose password is kept in the keyring.",
    ),
    (
        "https://hooks.exa mple.org/x",
        "none",
        False,
        "",
        "'https://hooks.exa mple.org/x' has a space or a character that cannot be in a host name.",
    ),
    (
        "http://hooks.example.org/x",
        "none",
        False,
        "",
        "'http://hooks.example.org/x' uses plain http, which only a development registration "
        "may use.",
    ),
    (
        "http://127.0.0.1:8787/x",
        "basic",
        True,
        "",
        "Basic authentication needs a username.",
    ),
    (
        "https://hooks.example.org/x",
        "oauth2",
        False,
        "",
        "OAuth2 client credentials need a token URL and a client id.",
    ),
    (
        "https://hooks.example.org/x",
        "hmac",
        False,
        "5s,soon",
        None,  # parse_schedule's own sentence, whatever its words
    ),
]


@pytest.mark.parametrize(("url", "auth", "development", "schedule", "sentence"), CASES)
def test_form_and_cli_refuse_with_the_same_sentence(
    window, qtbot, cli, database, url, auth, development, schedule, sentence
):
    argv = ["registrations", "add", "--url", url, "--study", "1064", "--events", "upload"]
    argv += ["--auth", auth] + (["--development"] if development else [])
    argv += ["--retry-schedule", schedule] if schedule else []
    result = cli(*argv, db=database, stdin="a-secret\n")
    assert result.code != 0 and result.out == ""
    [line] = result.err.strip().splitlines()

    dialog = open_add_dialog(window, qtbot)
    fill(dialog, qtbot, url=url)
    dialog.development.setChecked(development)
    dialog.auth_type.setCurrentIndex(dialog.auth_type.findData(auth))
    if auth in ("basic", "oauth2"):
        qtbot.keyClicks(dialog.password if auth == "basic" else dialog.client_secret, "a-secret")
    qtbot.keyClicks(dialog.retry_schedule, schedule)

    shown = dialog.error_label.text()
    assert shown and not dialog.save_button.isEnabled()
    assert line.endswith(shown)
    if sentence is not None:
        assert shown == sentence
    assert "Winter2024!" not in line + shown


def test_an_event_of_an_inactive_category_is_not_offered_and_not_saved(window, qtbot, cli):
    with window.context.db.session() as session:
        catalog.set_status(session, "category", "uploads", "deactivate")
    dialog = open_add_dialog(window, qtbot)
    offered = [
        dialog.events_list.item(i).data(Qt.ItemDataRole.UserRole)
        for i in range(dialog.events_list.count())
    ]
    assert "daily_statistics_complete" in offered
    assert "upload" not in offered and "raw_processing_complete" not in offered
    result = cli(
        "registrations",
        "add",
        "--url",
        "https://hooks.example.org/x",
        "--study",
        "1064",
        "--events",
        "upload",
        db=window.context.db,
    )
    assert result.err.strip() == (
        "webhook-desk: The event 'upload' is inactive, so it cannot be subscribed to."
    )


def test_a_payload_over_the_limit_is_refused_even_unvalidated(window, cli, tmp_path):
    big = '{"studyId": 1064, "padding": "' + "x" * (1024 * 1024) + '"}'
    (tmp_path / "big.json").write_text(big)
    result = cli(
        "fire",
        "upload",
        "--url",
        "http://127.0.0.1:9/x",
        "--payload",
        tmp_path / "big.json",
        "--no-validate",
        db=window.context.db,
    )
    assert result.code != 0
    assert "payloads are limited to 1 MB" in result.err
    with window.context.db.session() as session:
        event = catalog.get_event(session, "upload")
        problems, waivable = firing.payload_problems(event, big)
    assert problems == [result.err.strip().removeprefix("webhook-desk: ")] and not waivable
