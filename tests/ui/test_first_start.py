"""A first start on an empty database offers the whole loop in one click."""

from PySide6.QtCore import Qt


def test_empty_database_offers_demo_data_and_the_receiver(window, qtbot, context):
    window.context.receiver.port = 0  # any free port for the test
    window.start_services()
    qtbot.waitUntil(lambda: getattr(window, "first_start", None) is not None)
    dialog = window.first_start
    assert "This database is empty." in dialog.findChildren(type(dialog.message))[0].text()
    dialog.deliveries.setValue(500)
    qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
    regs = window.registrations_tab
    qtbot.waitUntil(lambda: regs.model.rowCount() == 5)
    assert window.context.receiver.is_running
    assert window.receiver_tab.url.text() == window.context.receiver.url
    assert window.context.engine.state == "running"


def test_database_with_registrations_opens_without_the_offer(window, qtbot, context, qapp):
    from webhook_desk.services import demo
    from webhook_desk.ui.jobs import wait_for_jobs

    with context.db.session() as session:
        demo.load_demo(session, context.store, deliveries=0)
    window.start_services()
    qtbot.waitUntil(lambda: window.context.engine.state == "running")
    wait_for_jobs()  # the emptiness check has answered...
    qapp.processEvents()  # ...and its answer has reached the window
    assert getattr(window, "first_start", None) is None


def test_closing_mid_delivery_loses_nothing(window, qtbot, context):
    """Slow answers are on the wire when the window closes: each delivery is either recorded
    or back in the queue, none is left leased to a worker that no longer exists."""
    from sqlalchemy import select

    from webhook_desk.db.models import Delivery
    from webhook_desk.services import firing

    receiver = window.receiver_tab
    receiver.mode.setCurrentText("delay")
    receiver.delay_ms.setValue(1500)
    receiver.port.setValue(0)
    qtbot.mouseClick(receiver.start_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: receiver.url.text() != "")
    with context.db.session() as session:
        firing.fire(session, "upload", url=receiver.url.text(), count=40)
    context.engine.start()
    qtbot.waitUntil(lambda: _in_flight(context) > 0, timeout=10_000)
    window.close()
    assert context.engine.state == "stopped"
    assert not context.receiver.is_running
    with context.db.session() as session:
        rows = session.scalars(select(Delivery)).all()
        assert len(rows) == 40
        assert {r.status for r in rows} == {"succeeded", "pending"}
        assert all(r.lease_owner is None for r in rows if r.status == "pending")
        assert all(r.attempt_count == 1 for r in rows if r.status == "succeeded")


def _in_flight(context) -> int:
    from webhook_desk.services import delivery_counts

    with context.db.session() as session:
        return delivery_counts.counts(session).in_flight


def test_demo_loads_even_when_the_receiver_port_is_taken(window, qtbot, context):
    import socket

    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        window.context.receiver.port = taken.getsockname()[1]
        window.offer_demo()
        dialog = window.first_start
        dialog.deliveries.setValue(0)
        qtbot.mouseClick(dialog.load_button, Qt.MouseButton.LeftButton)
        qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=20_000)
    assert not window.context.receiver.is_running
    message = window.statusBar().currentMessage()
    assert message.startswith("Demo data loaded: 5 registrations, 0 deliveries.")
    assert str(window.context.receiver.port) in message
