"""History says when a pending delivery is tried next (the `centrepoint` schedule waits a day)."""

from datetime import UTC, datetime

from sqlalchemy import select

from webhook_desk.db.models import Delivery
from webhook_desk.services import catalog, firing
from webhook_desk.ui.models.history_model import COLUMNS, HistoryModel


def test_history_shows_when_a_pending_delivery_is_tried_next(qtbot, sqlite_db, memory_keyring):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
        firing.fire(session, "upload", url="http://127.0.0.1:9/closed")
        delivery = session.scalars(select(Delivery)).one()
        delivery.next_attempt_at = datetime(2030, 1, 2, 3, 4, tzinfo=UTC)
    model = HistoryModel(sqlite_db)
    model.reload()
    qtbot.waitUntil(lambda: not model.loading and model.rowCount() == 1)
    column = [name for name, _ in COLUMNS].index("Next try")
    shown = model.data(model.index(0, column))
    local = datetime(2030, 1, 2, 3, 4, tzinfo=UTC).astimezone()  # shown in local time
    assert shown == local.strftime("%Y-%m-%d %H:%M:%S")
