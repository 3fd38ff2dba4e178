"""Refreshing every connected ECG module at once (the window's background refresh): each
organisation whose subscriptions are mirrored here is pulled again with the token kept for its
module, and the failed deliveries that are new are counted.

A pull asks only for the activity it lacks, so a refresh with nothing new is a few requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webhook_desk.errors import UserError
from webhook_desk.platform.ecg_sync import Connection, refresh
from webhook_desk.services import registrations

# A background refresh runs again in a few minutes: it gives up sooner than a sync asked for.
TRIES = 3


@dataclass
class RefreshReport:
    organizations: int = 0  # pulled, over all modules
    new_failed: int = 0  # hosted deliveries a new activity left failed
    problems: list[str] = field(default_factory=list)  # one sentence per module that failed


def connected(session) -> list[tuple[str, str]]:
    """(module URL, organisation) of every hosted subscription mirrored here."""
    return sorted(
        {
            (reg.remote_origin, reg.organization_id)
            for reg in registrations.list_all(session, include_archived=True)
            if reg.source == "ecg" and reg.remote_origin and reg.organization_id
        }
    )


def refresh_all(db, store, tries: int = TRIES) -> RefreshReport:
    """Pull what changed in every connected organisation; a module that fails is said, not
    fatal to the others."""
    with db.session() as session:
        pairs = connected(session)
    report = RefreshReport(organizations=len(pairs))
    for origin, organization in pairs:
        try:
            pulled = refresh(db, store, Connection(origin, organization), tries)
        except UserError as error:
            report.problems.append(str(error))
            continue
        report.new_failed += len(pulled.new_failed)
    return report
