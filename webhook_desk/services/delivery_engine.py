"""The delivery engine as the front ends get it: wired to the services' rules for secrets,
validation verdicts and the audit trail (engine/bookkeeping.py says why it is passed in)."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from webhook_desk.db.models import Registration
from webhook_desk.engine import validation
from webhook_desk.engine.worker import Engine
from webhook_desk.secrets import SecretStore
from webhook_desk.services import audit, registrations


class ServiceBookkeeping:
    """engine.bookkeeping.Bookkeeping over the registrations service and the keyring."""

    def __init__(self, store: SecretStore):
        self.store = store

    def registration(self, session: Session, reg_id: int) -> Registration:
        return registrations.get(session, reg_id)

    def credential(self, session: Session, reg: Registration, kind: str) -> str:
        return registrations.credential(session, self.store, reg, kind)

    def secret_values(self, session: Session, reg: Registration, kind: str) -> list[str]:
        return [value for _, value in registrations.valid_secrets(session, self.store, reg, kind)]

    def throwaway_secret(self) -> str | None:
        return self.store.throwaway_hmac()

    def record_validation(
        self, session: Session, reg: Registration, ok: bool, error: str | None
    ) -> None:
        registrations.record_validation(session, reg, ok, error)

    def audit(
        self,
        session: Session,
        action: str,
        reg: Registration,
        before: dict[str, Any],
        after: dict[str, Any],
        reason: str,
    ) -> None:
        audit.record(session, action, "registration", reg.id, before, after, reason)


def new_engine(db, store: SecretStore | None = None, **options) -> Engine:
    """An Engine over `db` signing with secrets from `store` (the keyring by default);
    `options` are Engine's (workers, callbacks, timeouts, default_schedule, ...)."""
    return Engine(db, ServiceBookkeeping(store or SecretStore()), **options)


def validate(db, store: SecretStore, reg_id: int, **options) -> validation.ValidationResult:
    """Run a registration's validation handshake now and record the verdict; `options` are
    validation.validate's (sender, tokens)."""
    return validation.validate(db, ServiceBookkeeping(store), reg_id, **options)
