"""What the engine asks of the service layer above it, as one small interface.

The engine signs with a registration's secrets, records validation verdicts and audits the
registrations it disables, but those are the services' rules. Whoever builds an engine (the
services' `delivery_engine`, which the CLI and the GUI call) passes an implementation in, so
nothing under engine/ imports the services.
"""

from __future__ import annotations

from typing import Any, Protocol

from sqlalchemy.orm import Session

from webhook_desk.db.models import Registration


class Bookkeeping(Protocol):
    def registration(self, session: Session, reg_id: int) -> Registration:
        """The registration with that id; NotFound (a UserError) when there is none."""

    def credential(self, session: Session, reg: Registration, kind: str) -> str:
        """The newest valid secret value of `kind`; a UserError saying what to do when none."""

    def secret_values(self, session: Session, reg: Registration, kind: str) -> list[str]:
        """Every still-valid secret value of `kind`, newest first (empty when none)."""

    def throwaway_secret(self) -> str | None:
        """The throwaway HMAC secret ad-hoc deliveries may ask to be signed with (None when
        there is none yet)."""

    def record_validation(
        self, session: Session, reg: Registration, ok: bool, error: str | None
    ) -> None:
        """Store a handshake's verdict on the registration (and audit a change of state)."""

    def audit(
        self,
        session: Session,
        action: str,
        reg: Registration,
        before: dict[str, Any],
        after: dict[str, Any],
        reason: str,
    ) -> None:
        """Add an audit entry about `reg` to the current unit of work."""
