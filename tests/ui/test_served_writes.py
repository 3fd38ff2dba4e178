"""Writes made over `serve` show up in the window, and what the window shows is what serve
answers: the GUI and the API are faces of the same services and database."""

from datetime import timedelta

import pytest
import requests

from webhook_desk.api import tokens
from webhook_desk.api.server import ApiServer


@pytest.fixture
def served(context):
    key = "gui-test-signing-key-" * 2
    with ApiServer(context.db, key) as api:
        session = requests.Session()
        session.headers["Authorization"] = (
            f"Bearer {tokens.issue(key, 'gui-test', timedelta(hours=1))}"
        )
        session.base = api.url
        yield session
        session.close()


def _tree_codes(tab) -> list[tuple[str, str]]:
    parents = [tab.tree.topLevelItem(i) for i in range(tab.tree.topLevelItemCount())]
    return [
        (p.child(j).text(0), p.child(j).text(2)) for p in parents for j in range(p.childCount())
    ]


def test_a_subscription_made_over_http_appears_in_the_registrations_table(window, qtbot, served):
    made = served.post(
        served.base + "/api/organizations/org-7/webhook-subscriptions",
        json={"postUri": "https://example.org/hook", "events": ["phone.logs.created"],
              "isDevelopment": False},
        timeout=10,
    )  # fmt: skip
    assert made.status_code == 201, made.text
    tab = window.registrations_tab
    tab.refresh()
    qtbot.waitUntil(lambda: tab.proxy.rowCount() == 1)
    row = [tab.proxy.index(0, c).data() for c in range(tab.proxy.columnCount())]
    assert "https://example.org/hook" in row and "hmac" in row


def test_an_event_made_and_archived_over_http_shows_in_the_events_tab(window, qtbot, served):
    base = served.base + "/api/webhook-categories"
    category = served.post(base, json={"name": "Glucose", "code": "glucose"}, timeout=10).json()
    event = served.post(
        f"{base}/{category['id']}/webhook-events",
        json={"name": "Reading", "code": "glucose.reading", "version": "v1"},
        timeout=10,
    ).json()
    served.post(f"{base}/{category['id']}/webhook-events/{event['id']}/archive", timeout=10)
    tab = window.events_tab
    tab.refresh()
    qtbot.waitUntil(lambda: ("glucose.reading", "archived") in _tree_codes(tab))
    tab.select_event("glucose.reading")
    assert tab.current_event().name == "Reading"


def test_a_category_made_in_the_events_tab_is_served(window, qtbot, served):
    from PySide6.QtCore import Qt

    tab = window.events_tab
    qtbot.waitUntil(lambda: tab.tree.topLevelItemCount() > 0)
    tab.catalog_actions.new_category.trigger()
    dialog = tab.catalog_actions.dialog
    qtbot.keyClicks(dialog.fields["code"], "sleep")
    qtbot.keyClicks(dialog.fields["name"], "Sleep")
    qtbot.mouseClick(dialog.save_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible())
    listed = served.get(served.base + "/api/webhook-categories?take=100", timeout=10).json()
    assert {"code": "sleep", "name": "Sleep"}.items() <= next(
        c for c in listed if c["code"] == "sleep"
    ).items()
