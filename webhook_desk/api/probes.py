"""The routes that check the server rather than change records: the health check and the
module's two test processors a subscription can be pointed at."""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from webhook_desk.api.calls import Call, Reply


def healthcheck(session: Session, call: Call) -> Reply:
    """200 with the seed's shape while the database answers, 503 when it does not."""
    try:
        session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        down = {"database": {"status": "down", "message": type(exc).__name__}}
        return Reply(503, {"status": "error", "info": {}, "error": down, "details": down})
    up = {"database": {"status": "up"}}
    return Reply(200, {"status": "ok", "info": up, "error": {}, "details": up})


def success_response(session: Session, call: Call) -> Reply:
    return Reply(200, {"value": True})


def failed_response(session: Session, call: Call) -> Reply:
    # A subscription pointed here sees a failed delivery, which is what it is for.
    return Reply(500, {"value": False})
