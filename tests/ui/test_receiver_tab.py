"""The Receiver tab, as a tester uses it."""

import socket

import requests
from PySide6.QtCore import Qt
from test_delivery_loop import start_receiver


def test_a_port_in_use_is_told_in_the_window_words(window, qtbot):
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen(1)
        port = taken.getsockname()[1]
        receiver = window.receiver_tab
        receiver.port.setValue(port)
        qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    assert receiver.state.text() == (
        f"Port {port} is already in use by another program. Stop that program, "
        "or choose another port in the Port box and start again."
    )
    assert receiver.start_button.text() == "Start"


def test_a_request_the_inbox_cannot_keep_is_answered_503_and_the_tab_says_why(
    window, qtbot, context
):
    url = start_receiver(window, qtbot)
    with context.db.engine.begin() as connection:  # the database stops taking captures
        connection.exec_driver_sql(
            "CREATE TRIGGER full_disk BEFORE INSERT ON received_request "
            "BEGIN SELECT RAISE(ABORT, 'database or disk is full'); END"
        )
    answer = requests.post(url + "hooks", data=b'{"event": "upload"}', timeout=10)
    assert answer.status_code == 503
    tab = window.receiver_tab
    qtbot.waitUntil(lambda: tab.model.rowCount() == 1)
    assert tab.state.text() == (
        "Answering 503: 1 captured requests were not saved, the last because: "
        "(sqlite3.IntegrityError) database or disk is full"
    )
    assert tab.model.rows[0]["status_code"] == 503
