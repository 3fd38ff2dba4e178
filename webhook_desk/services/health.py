"""Health of the installation: database reachable at the newest schema, keyring usable, and
what will soon stop deliveries (registrations about to be disabled, certificates expiring)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, text
from sqlalchemy.engine import make_url

from webhook_desk import certificate_expiry
from webhook_desk.db import Database
from webhook_desk.db.migrate import current_revision, head_revision
from webhook_desk.db.models import Registration
from webhook_desk.engine.streaks import on_the_way_to_disabling
from webhook_desk.errors import UserError
from webhook_desk.secrets import SecretStore
from webhook_desk.vocabulary import RegistrationStatus


def check(db_url: str, store: SecretStore | None = None) -> dict:
    """A report of what works; never raises for a broken part, it says what is wrong instead."""
    store = store or SecretStore()
    report: dict[str, Any] = {
        "database": _database(db_url),
        "keyring": _keyring(store),
        "warnings": [],
    }
    if report["database"]["ok"]:
        report["warnings"] = _warnings(db_url)
    report["ok"] = report["database"]["ok"] and report["keyring"]["ok"]
    return report


def _database(db_url: str) -> dict:
    shown = make_url(db_url).render_as_string(hide_password=True)
    try:
        db = Database.open(db_url)
        with db.engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        revision = current_revision(db.engine)
        db.dispose()
    except UserError as error:
        return {"ok": False, "url": shown, "error": str(error)}
    head = head_revision()
    return {
        "ok": revision == head,
        "url": shown,
        "backend": make_url(db_url).get_backend_name(),
        "revision": revision,
        "head": head,
    }


def _warnings(db_url: str) -> list[str]:
    """Registrations failing long enough that they will soon be disabled, and those whose
    client certificate or trusted CA expires within 30 days or has expired."""
    db = Database(db_url)
    try:
        with db.session() as session:
            soon_disabled = [w["message"] for w in on_the_way_to_disabling(session)]
            return soon_disabled + _certificate_warnings(session)
    finally:
        db.dispose()


def _certificate_warnings(session) -> list[str]:
    with_tls = select(Registration).where(
        Registration.status != RegistrationStatus.ARCHIVED,
        Registration.certificate_facts.is_not(None),
    )
    return [
        f"Registration {reg.id} ({reg.name}): {sentence}"
        for reg in session.scalars(with_tls.order_by(Registration.id))
        for sentence in certificate_expiry.warnings(reg.certificate_facts)
    ]


def _keyring(store: SecretStore) -> dict:
    reason = store.unusable_reason()
    works = reason is None and store.works()
    result = {"ok": works, "backend": store.backend}
    if not works:
        result["error"] = reason or f"The keyring {store.backend} failed a store/read test."
    return result
