"""The window's actions on a hosted ECG subscription: changes sent to the module off the GUI
thread (platform.ecg_writes), a conflict with the module's newer copy put to the user (the
ConflictDialog) rather than only refused, its secret set there, its secret history read from
there, its activity retried, answered or fired there (platform.ecg_activity_writes), and the
ECG catalog changed there (platform.ecg_catalog_writes)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from webhook_desk.errors import InvalidInput
from webhook_desk.services import registrations
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.conflict_dialog import KEEP_MINE, ConflictDialog
from webhook_desk.ui.dialogs.hosted_secret_dialog import HostedSecretDialog
from webhook_desk.ui.jobs import network_pool, run_job
from webhook_desk.vocabulary import AuthType


def run_on_module(
    parent: QWidget,
    context: AppContext,
    reg_id: int,
    work: Callable,
    done: Callable,
    refused: Callable[[str], object],
    reason: str | None = None,
    cancelled: Callable[[str], object] | None = None,
) -> None:
    """`work(writes)` against the module the mirror `reg_id` came from, off the GUI thread;
    then `done(result)` or `refused(sentence)`. A conflict opens the ConflictDialog: what the
    user chooses runs the same way (a further conflict asks again); Cancel hands the
    conflict's sentence to `cancelled` (by default, the status bar)."""
    from webhook_desk.platform import ecg_writes  # requests: not at start-up

    db, store = context.db, context.store

    def change():
        with ecg_writes.connected(db, store, reg_id) as writes:
            try:
                return work(writes)
            except ecg_writes.ModuleConflict as conflict:
                return conflict  # the user chooses, on the GUI thread

    def finished(result) -> None:
        if not isinstance(result, ecg_writes.ModuleConflict):
            done(result)
            return
        dialog = ConflictDialog(result, parent)
        dialog.chosen.connect(lambda choice: resolve(result, choice))
        dialog.rejected.connect(lambda: (cancelled or context.say)(str(result)))
        dialog.open()

    def resolve(conflict, choice: str) -> None:
        def chosen(writes):
            if choice == KEEP_MINE:
                return writes.keep_mine(conflict, reason)
            return writes.take_theirs(reg_id, reason)

        then = done if choice == KEEP_MINE else taken
        run_on_module(parent, context, reg_id, chosen, then, refused, reason, cancelled)

    def taken(result) -> None:
        done(result)
        context.say(
            f"Registration {reg_id} now shows the ECG module's version; yours was not sent."
        )

    run_job(change, finished, refused, network_pool())


def set_secret(tab, row: dict) -> None:
    """The Registrations tab's Rotate secret… on a hosted subscription: the user's secret, or
    one generated here (then shown once), sent to the module first, then kept in the keyring."""
    reg_id, store = row["id"], tab.context.store

    def chosen(typed: str, reason: str) -> None:
        value = typed or registrations.GENERATED[AuthType.HMAC]()

        def sent(version: dict) -> None:
            if not typed:  # a generated secret is shown this once
                tab._show_secret(
                    "Secret set on the ECG module",
                    f"Secret version {version['version']} of registration {reg_id} "
                    f"({version['fingerprint']}); the module signs with it from now on.",
                    value,
                )

        tab._run_on_module(
            reg_id,
            lambda writes: writes.set_secret(reg_id, store, value, reason or None),
            f"Registration {reg_id}: new secret set on the ECG module and kept here.",
            sent,
        )

    tab.secret_dialog = HostedSecretDialog(row["name"], tab)
    tab.secret_dialog.chosen.connect(chosen)
    tab.secret_dialog.open()


def show_module_secrets(tab) -> None:
    """The selected hosted subscription's secret history as the module keeps it, in the
    Registrations tab's detail panel."""
    from webhook_desk.platform import ecg_writes  # requests: not at start-up

    detail = tab.detail
    if detail.row is None:
        return
    reg_id, db, store = detail.row["id"], tab.context.db, tab.context.store
    detail.show_module_secrets("Asking the ECG module…")

    def ask():
        with ecg_writes.connected(db, store, reg_id) as writes:
            return writes.secret_history(reg_id, store)

    def shown(result) -> None:
        if detail.row is not None and detail.row["id"] == reg_id:  # still the one selected
            detail.show_module_secrets(result)

    run_job(ask, shown, shown, network_pool())


def fire_on_module(db, store, reg_ids: list[int], code: str, payload) -> str:
    """The ECG module posts `code` to each of its subscriptions `reg_ids` mirror; what it
    answered. Off the GUI thread."""
    from webhook_desk.platform import ecg_activity_writes as activity  # requests: not at start-up

    answers = []
    for reg_id in reg_ids:
        with db.session() as session:
            hosted = activity.hosted_registration(session, reg_id)
        if hosted is None:  # no longer a mirror (deleted and re-added meanwhile)
            raise InvalidInput(f"Registration {reg_id} is not an ECG module subscription.")
        with activity.connected(db, store, hosted) as writes:
            answers.append(
                module_answer(
                    f"posted {code} to registration {reg_id}", writes.fire(reg_id, code, payload)
                )
            )
    return " ".join(answers)


def delivery_writes(db, store, delivery_id):
    """The module's activity writes when the delivery was pulled from an ECG module; None for
    one of the desk's own. It reads the database: call it off the GUI thread."""
    from webhook_desk.platform import ecg_activity_writes as activity  # requests: not at start-up

    with db.session() as session:
        found = activity.hosted_delivery(session, delivery_id)
    return None if found is None else activity.connected(db, store, found[0])


def module_answer(what: str, done: dict) -> str:
    """What the module answered a change of activity, for the status bar."""
    pulled = done["records_added"]
    return (
        f"The ECG module {what} (its activity {done['activity']}); "
        f"{pulled} new {'record' if pulled == 1 else 'records'} pulled here."
    )


def connected_modules(session) -> list[str]:
    """The ECG modules this desk is connected to (those its mirrors were synced from): where
    the catalog's ECG entries and new subscriptions can be made first."""
    from webhook_desk.platform.ecg_refresh import connected  # requests: not at start-up

    return sorted({origin for origin, _organization in connected(session)})


def catalog_writes(db, store, origins: list[str]):
    """The catalog writes of the one connected ECG module; several are not guessed between."""
    from webhook_desk.platform.ecg_catalog_writes import EcgCatalogWrites
    from webhook_desk.platform.module_writes import module_client

    if len(origins) > 1:
        raise InvalidInput(
            f"Several ECG modules are connected ({', '.join(origins)}); change the catalog of "
            "one with `webhook-desk events ... --api-url URL`. Nothing was changed."
        )
    return EcgCatalogWrites(db, module_client(store, origins[0], "The ECG catalog"))


def create_on_module(db, store, origin: str, data, reason: str | None) -> tuple[int, str]:
    """A new subscription of the form's organisation made on the ECG module at `origin`, then
    mirrored here: its id here, and the secret the module answered (kept in the keyring)."""
    from webhook_desk.platform.ecg_writes import EDITABLE, EcgWrites
    from webhook_desk.platform.module_writes import module_client

    fields = {name: getattr(data, name) for name in EDITABLE}
    with EcgWrites(db, module_client(store, origin, "The new subscription")) as writes:
        row, secret = writes.create(data.organization_id, fields, store, reason)
    return row["id"], secret or ""
