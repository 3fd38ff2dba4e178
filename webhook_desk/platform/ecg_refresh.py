"""Refreshing every connected ECG module at once (the window's background refresh): each
organisation whose subscriptions are mirrored here is pulled again with the token kept for its
module, and the failed deliveries that are new are counted.

A pull asks only for the activity it lacks, so a refresh with nothing new is a few requests.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from webhook_desk.errors import UserError
from webhook_desk.history import queries
from webhook_desk.history.queries import Filters
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.sync import api_token
from webhook_desk.services import registrations
from webhook_desk.vocabulary import DeliveryStatus

# A background refresh runs again in a few minutes: it gives up sooner than a sync asked for.
TRIES = 3


@dataclass
class RefreshReport:
    organizations: int = 0  # pulled, over all modules
    new_failed: int = 0  # failed deliveries of hosted subscriptions that were not failed before
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
    """Pull every connected organisation again; a module that fails is said, not fatal to
    the others."""
    with db.session() as session:
        pairs = connected(session)
        before = _failed(session)
    report = RefreshReport(organizations=len(pairs))
    for origin, organization in pairs:
        try:
            token, _ = api_token(store, origin, None)
            client = PlatformClient(origin, token, tries=tries)
            try:
                sync_ecg(db, client, organization)
            finally:
                client.close()
        except UserError as error:
            report.problems.append(str(error))
    with db.session() as session:
        report.new_failed = len(_failed(session) - before)
    return report


def _failed(session) -> set[str]:
    """The ids of the hosted subscriptions' failed deliveries."""
    failed = set()
    for reg in registrations.list_all(session, include_archived=True):
        if reg.source == "ecg":
            filters = Filters(registration_id=reg.id, status=DeliveryStatus.FAILED)
            failed.update(row.uuid for row in queries.iter_matching(session, filters))
    return failed
