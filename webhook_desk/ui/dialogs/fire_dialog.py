"""Fire an event: edit the payload (checked live against the event's schema), pick where it
goes (registrations, or an ad-hoc URL with the built-in receiver by default), choose a count.

Firing only writes the deliveries (the outbox); the engine sends them.
"""

from __future__ import annotations

import json

from PySide6.QtCore import Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QRadioButton,
    QSpinBox,
    QSplitter,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.db.models import EventType
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.settings import receiver_default_url
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.hosted_actions import fire_on_module
from webhook_desk.ui.icons import icon
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.json_editor import JsonEditor

THROWAWAY, UNSIGNED = "throwaway", "unsigned"
CHECK_DELAY_MS = 150  # check the payload once typing pauses, not on every key
MAX_SHOWN_PROBLEMS = 6


class FireDialog(QDialog):
    """`fired(count)` once the deliveries are queued."""

    fired = Signal(int)

    def __init__(
        self,
        context: AppContext,
        event: EventType,
        targets: list[dict],
        parent=None,
        signers: list[dict] | None = None,
    ):
        super().__init__(parent)
        self.context = context
        self.event_type = event
        self.setWindowTitle(f"Fire {event.code} {event.version}")
        self.resize(900, 620)
        self.editor = JsonEditor()
        self.samples = QComboBox()
        for sample in event.samples:
            self.samples.addItem(sample.name)
        self.samples.currentTextChanged.connect(self.load_sample)
        self.problems = QLabel()
        self.problems.setWordWrap(True)
        self.problems.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.skip_schema = QCheckBox("Send even if it breaks the schema")
        self.skip_schema.toggled.connect(self.check)
        self.timer = QTimer(self, singleShot=True, interval=CHECK_DELAY_MS)
        self.timer.timeout.connect(self.check)
        self.editor.textChanged.connect(self.timer.start)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Cancel)
        self.fire_button = self.buttons.addButton("Fire", QDialogButtonBox.ButtonRole.AcceptRole)
        self.fire_button.setIcon(icon("fire"))
        self.buttons.accepted.connect(self.fire)
        self.buttons.rejected.connect(self.reject)
        splitter = QSplitter()
        splitter.addWidget(self._payload_panel())
        splitter.addWidget(self._target_panel(targets, signers or []))
        splitter.setSizes([560, 340])
        layout = QVBoxLayout(self)
        layout.addWidget(splitter, 1)
        layout.addWidget(self.buttons)
        self._restore_choices()
        self.load_sample(self.samples.currentText())

    def _payload_panel(self) -> QWidget:
        panel = QWidget()
        top = QHBoxLayout()
        top.addWidget(QLabel("Sample"))
        top.addWidget(self.samples, 1)
        layout = QVBoxLayout(panel)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addLayout(top)
        layout.addWidget(self.editor, 1)
        layout.addWidget(self.problems)
        layout.addWidget(self.skip_schema)
        return panel

    def _target_panel(self, targets: list[dict], signers: list[dict]) -> QWidget:
        box = QGroupBox("Send to")
        self.to_url = QRadioButton("A URL")
        self.to_registrations = QRadioButton("Registrations")
        self.url = QLineEdit(receiver_default_url())
        self.registrations = QListWidget()
        self.hosted = {t["id"] for t in targets if t.get("source") == "ecg"}
        for target in targets:
            self.registrations.addItem(_target_item(target))
        self.to_url.setChecked(True)
        self.to_registrations.setEnabled(bool(targets))
        self.count = QSpinBox()
        self.count.setRange(1, firing.MAX_COUNT)
        self.count.setGroupSeparatorShown(True)
        # Unsigned requests read as "missing" at a receiver; by default sign with the
        # throwaway secret the built-in receiver knows, or as a chosen registration does.
        self.sign_with = QComboBox()
        self.sign_with.addItem("The throwaway secret the built-in receiver knows", THROWAWAY)
        for signer in signers:
            self.sign_with.addItem(
                f"{signer['name']}'s secret ({signer['auth_type']})", signer["id"]
            )
        self.sign_with.addItem("Unsigned", UNSIGNED)
        for signal in (
            self.to_url.toggled,
            self.url.textChanged,
            self.count.valueChanged,
            self.registrations.itemChanged,
        ):
            signal.connect(self.check)
        self.to_url.toggled.connect(self._target_kind_changed)
        form = QFormLayout()
        form.addRow("Count", self.count)
        layout = QVBoxLayout(box)
        layout.addWidget(self.to_url)
        layout.addWidget(self.url)
        layout.addWidget(QLabel("Signed with"))
        layout.addWidget(self.sign_with)
        layout.addWidget(self.to_registrations)
        layout.addWidget(self.registrations, 1)
        layout.addLayout(form)
        self._target_kind_changed()
        return box

    def _target_kind_changed(self) -> None:
        self.url.setEnabled(self.to_url.isChecked())
        self.sign_with.setEnabled(self.to_url.isChecked())  # a registration signs its own way
        self.registrations.setEnabled(self.to_registrations.isChecked())

    def load_sample(self, name: str) -> None:
        if not name:
            return
        payload = catalog.sample_payload(self.event_type, name)
        self.editor.setPlainText(json.dumps(payload, indent=2, ensure_ascii=False))
        self.check()

    # --- checking -----------------------------------------------------------------------

    def chosen_registrations(self) -> list[int]:
        items = (self.registrations.item(i) for i in range(self.registrations.count()))
        return [
            i.data(Qt.ItemDataRole.UserRole)
            for i in items
            if i.checkState() == Qt.CheckState.Checked
        ]

    def payload_problems(self) -> tuple[list[str], bool]:
        """The payload's problems and whether they are schema problems (which can be waived)."""
        return firing.payload_problems(self.event_type, self.editor.toPlainText())

    def target_problem(self) -> str | None:
        if self.to_url.isChecked():
            return next(iter(firing.url_problems(self.url.text().strip())), None)
        chosen = self.chosen_registrations()
        if not chosen:
            return "Choose at least one registration."
        if self.hosted.intersection(chosen):
            return firing.hosted_fire_problem(self.count.value(), not self.skip_schema.isChecked())
        return None

    def check(self) -> None:
        problems, waivable = self.payload_problems()
        target = self.target_problem()
        shown = problems[:MAX_SHOWN_PROBLEMS]
        if len(problems) > MAX_SHOWN_PROBLEMS:
            shown.append(f"… and {len(problems) - MAX_SHOWN_PROBLEMS} more.")
        lines = shown + ([target] if target else [])
        self.problems.setStyleSheet(text_style("error" if lines else "ok"))
        self.problems.setText("\n".join(lines) if lines else "The payload matches the schema.")
        blocked = bool(target) or (
            bool(problems) and not (waivable and self.skip_schema.isChecked())
        )
        self.fire_button.setEnabled(not blocked)

    # --- firing -------------------------------------------------------------------------

    def fire(self) -> None:
        self.check()
        if not self.fire_button.isEnabled():
            return
        self.fire_button.setEnabled(False)
        db, code = self.context.db, self.event_type.code
        payload = json.loads(self.editor.toPlainText())
        count, validate = self.count.value(), not self.skip_schema.isChecked()
        url = self.url.text().strip() if self.to_url.isChecked() else None
        targets = [None] if url else self.chosen_registrations()
        signing = self.signing() if url else {}
        store, receiver = self.context.store, self.context.receiver
        self._remember_choices()

        def work() -> tuple[int, str]:
            hosted = sorted(self.hosted.intersection(targets))
            if hosted:  # the ECG module posts it to its subscriptions; nothing is queued here
                return len(hosted), fire_on_module(db, store, hosted, code, payload)
            if signing.get("sign_throwaway"):
                store.throwaway_hmac(create=True)  # the first time: made, then the receiver
                if receiver is not None and receiver.is_running:  # learns it before it lands
                    receiver.refresh_secrets()
            with db.session() as session:
                fired = 0
                for reg_id in targets:
                    fired += len(
                        firing.fire(
                            session,
                            code,
                            to_registration=reg_id,
                            url=url,
                            payload=payload,
                            count=count,
                            validate=validate,
                            **signing,
                        )
                    )
                return fired, f"Queued {fired:,} {code} deliveries."

        run_job(work, self._fired, self._refused)

    def signing(self) -> dict:
        """How an ad-hoc delivery is signed, as firing.fire's arguments."""
        choice = self.sign_with.currentData()
        if choice == THROWAWAY:
            return {"sign_throwaway": True}
        return {} if choice == UNSIGNED else {"sign_as": choice}

    # --- remembering --------------------------------------------------------------------

    def _restore_choices(self) -> None:
        """Where the last fire went, how many, how signed: testers fire the same way often."""
        settings = self.context.settings
        if settings is None:
            return
        self.url.setText(str(settings.value("fire/url", self.url.text())))
        self.count.setValue(int(settings.value("fire/count", 1)))
        sign = self.sign_with.findData(_stored(settings.value("fire/sign_with", THROWAWAY)))
        self.sign_with.setCurrentIndex(max(sign, 0))
        chosen = {int(i) for i in str(settings.value("fire/registrations", "")).split(",") if i}
        for i in range(self.registrations.count()):
            item = self.registrations.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in chosen:
                item.setCheckState(Qt.CheckState.Checked)
        to_registrations = settings.value("fire/target") == "registrations"
        if to_registrations and self.to_registrations.isEnabled():
            self.to_registrations.setChecked(True)

    def _remember_choices(self) -> None:
        settings = self.context.settings
        if settings is None:
            return
        settings.setValue("fire/target", "url" if self.to_url.isChecked() else "registrations")
        settings.setValue("fire/url", self.url.text().strip())
        settings.setValue("fire/count", self.count.value())
        settings.setValue("fire/sign_with", str(self.sign_with.currentData()))
        settings.setValue("fire/registrations", ",".join(map(str, self.chosen_registrations())))

    def _fired(self, result: tuple[int, str]) -> None:
        count, sentence = result
        self.context.deliveries_changed.emit()
        self.context.say(sentence)
        self.accept()
        self.fired.emit(count)

    def _refused(self, sentence: str) -> None:
        self.problems.setStyleSheet(text_style("error"))
        self.problems.setText(sentence)
        self.fire_button.setEnabled(True)


def _target_item(target: dict) -> QListWidgetItem:
    """A registration to tick; a mirror the platform does not let fire is shown, not offered."""
    source = target.get("source", "local")
    where = {"ecg": " — posted by the ECG module"}.get(source, "")
    item = QListWidgetItem(f"{target['name']}  ({target['url']}){where}")
    item.setData(Qt.ItemDataRole.UserRole, target["id"])
    refusal = registrations.mirror_refusal(source, "fire")
    if refusal:
        item.setFlags(item.flags() & ~Qt.ItemFlag.ItemIsEnabled)
        item.setToolTip(refusal)
        return item
    item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
    item.setCheckState(Qt.CheckState.Unchecked)
    return item


def _stored(value) -> str | int:
    """A signing choice as QSettings gives it back (text): a registration id as a number."""
    text = str(value)
    return int(text) if text.isdigit() else text
