"""The Receiver tab, as a tester uses it."""

import socket

from PySide6.QtCore import Qt


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
