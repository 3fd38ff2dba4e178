"""The platform's sending addresses (the docs' firewall allow-list): a coordinator copies them
from the registration detail, and the receiver marks requests that come from one of them."""

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication

from webhook_desk.services import registrations
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.ui.models.requests_model import COLUMNS, RequestsModel

NINE = [
    "13.82.60.74",
    "40.114.106.25",
    "40.114.109.196",
    "40.87.40.14",
    "40.87.44.79",
    "40.87.47.202",
    "40.87.41.144",
    "40.87.47.137",
    "13.68.136.18",
]


def test_the_registration_detail_copies_the_nine_sender_addresses(window, context, qtbot):
    data = RegistrationInput(url="https://hooks.example.org/cp", study_id="1064", name="Lab")
    with context.db.session() as session:
        registrations.add(session, context.store, data)
    tab = window.registrations_tab
    tab.refresh()
    qtbot.waitUntil(lambda: tab.proxy.rowCount() == 1)
    tab.table.selectRow(0)
    detail = tab.detail
    assert detail.copy_allow_list.isVisible()
    QGuiApplication.clipboard().clear()
    qtbot.mouseClick(detail.copy_allow_list, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text().splitlines() == NINE


def test_the_receiver_marks_requests_from_a_platform_address(qapp):
    row = {
        "received_at": "2026-01-01T00:00:00+00:00",
        "method": "POST",
        "path": "/hooks",
        "event": "upload",
        "status_code": 200,
        "signature": "unchecked",
        "secret_version": None,
        "duplicate": False,
        "delivery_id": "d-1",
    }
    model = RequestsModel()
    model.set_rows([{**row, "remote_addr": "40.87.47.137"}, {**row, "remote_addr": "127.0.0.1"}])
    remote = [name for name, _ in COLUMNS].index("Remote")
    shown = [model.data(model.index(r, remote)) for r in range(2)]
    assert shown == ["40.87.47.137 (CentrePoint sender)", "127.0.0.1"]
