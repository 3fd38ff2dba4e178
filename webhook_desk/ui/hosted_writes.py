"""Changes to a hosted ECG subscription from the window: sent to the module off the GUI thread
(platform.ecg_writes), and a conflict with the module's newer copy put to the user (the
ConflictDialog) rather than only refused."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtWidgets import QWidget

from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.conflict_dialog import KEEP_MINE, ConflictDialog
from webhook_desk.ui.jobs import run_job


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
        parent.conflict_dialog = dialog  # kept, so that it stays open (and tests find it)
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

    run_job(change, finished, refused)
