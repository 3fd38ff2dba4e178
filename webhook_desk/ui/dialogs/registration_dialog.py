"""Add or edit a registration: a form that checks itself as you type.

Save stays disabled while the form breaks a rule, and the first broken rule is shown in
words under the form. A saved secret is never shown again: in edit mode the secret fields
start empty and a value typed there replaces the stored one.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMessageBox,
    QSizePolicy,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.services import registration_rules, registrations
from webhook_desk.services.registration_rules import AUTH_TYPES
from webhook_desk.services.registrations import RegistrationInput
from webhook_desk.ui import hosted_actions
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.dialogs.tls_section import TlsSection
from webhook_desk.ui.hosted_actions import run_on_module
from webhook_desk.ui.jobs import run_job
from webhook_desk.ui.widgets.grow_to_fit import grow_to_fit
from webhook_desk.vocabulary import AuthType, EventStatus

ACTIVE = EventStatus.ACTIVE
AUTH_LABELS = {
    AuthType.NONE: "None",
    AuthType.BASIC: "Basic (username and password)",
    AuthType.HMAC: "Keyed hash (HMAC-SHA256 signature)",
    AuthType.STANDARD_WEBHOOKS: "Standard Webhooks signature",
    AuthType.OAUTH2: "OAuth2 client credentials",
}
# A study is a CentrePoint registration, an organisation an ECG module subscription.
OWNER_MODULES = ("centrepoint", "ecg")


def _line(placeholder: str = "", secret: bool = False) -> QLineEdit:
    field = QLineEdit()
    field.setPlaceholderText(placeholder)
    if secret:
        field.setEchoMode(QLineEdit.EchoMode.Password)
    return field


class RegistrationDialog(QDialog):
    """`saved(reg_id, generated_secret_or_empty)` after the service accepted the form."""

    saved = Signal(int, str)

    def __init__(
        self,
        context: AppContext,
        events: list[registration_rules.EventChoice],
        existing: dict | None = None,
        parent=None,
        modules: list[str] | None = None,
    ):
        """`modules`: the connected ECG modules a new organisation's subscription can be
        made on first."""
        super().__init__(parent)
        self.context = context
        self.existing = existing
        self.modules = [] if existing else list(modules or ())
        self.setWindowTitle("Edit registration" if existing else "Add registration")
        self.setMinimumWidth(560)
        self._build_fields(events)
        for module in self.modules:
            self.where.addItem(f"On the ECG module at {module}", module)
        self._build_credentials()
        self.tls = TlsSection(existing)
        self.error_label = QLabel()
        self.error_label.setStyleSheet(text_style("error"))
        self.error_label.setWordWrap(True)
        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Save | QDialogButtonBox.StandardButton.Cancel
        )
        self.save_button = self.buttons.button(QDialogButtonBox.StandardButton.Save)
        self.buttons.accepted.connect(self.submit)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addLayout(self.form)
        layout.addWidget(self.credentials)
        layout.addWidget(self.tls)
        layout.addWidget(self.reason)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self._owner_changed()
        if existing:
            self._fill(existing)
        for field in self.findChildren(QLineEdit):
            field.textChanged.connect(self.check)
        self.development.toggled.connect(self.check)
        self.auth_type.currentIndexChanged.connect(self._auth_changed)
        self.events_list.itemChanged.connect(self.check)
        self._auth_changed()
        if self.hosted:
            self._only_what_the_module_edits()
        self.unchanged = self._form_state()

    @property
    def hosted(self) -> bool:
        """Editing a mirror of an ECG module subscription: saved on the module first."""
        return (self.existing or {}).get("source") == "ecg"

    def _only_what_the_module_edits(self) -> None:
        self.setWindowTitle("Edit hosted ECG subscription")
        for field in (self.name, self.owner_kind, self.owner_id, self.retry_schedule):
            field.setEnabled(False)
        self.auth_type.setEnabled(False)
        self.credentials.setEnabled(False)
        self.tls.setEnabled(False)  # the module has no client certificates
        self.reason.setPlaceholderText(
            "Reason for the audit trail (optional); saved on the module first"
        )

    # --- building -----------------------------------------------------------------------

    def _build_fields(self, events: list[registration_rules.EventChoice]) -> None:
        self.name = _line("e.g. Sleep lab data hub")
        self.owner_kind = QComboBox()
        self.owner_kind.addItems(["Study", "Organisation"])
        self.owner_id = _line("study id, e.g. 1064")
        self.owner_kind.currentIndexChanged.connect(self._owner_changed)
        owner = QHBoxLayout()
        owner.addWidget(self.owner_kind)
        owner.addWidget(self.owner_id, 1)
        self.url = _line("https://example.org/webhooks")
        self.development = QCheckBox("Development (allows plain http, e.g. a local receiver)")
        self.events_list = QListWidget()
        self.events_list.setMinimumHeight(140)
        self.all_events = events
        self.event_version = QComboBox()
        self.event_version.addItems(["v1", "v2"])
        self.auth_type = QComboBox()
        for name in AUTH_TYPES:
            self.auth_type.addItem(AUTH_LABELS[AuthType(name)], name)
        self.retry_schedule = _line("default: 5s,5m,30m,2h,5h,10h,10h; or centrepoint")
        self.reason = _line("Reason for the audit trail (optional)")
        self.form = QFormLayout()
        self.form.addRow("Name", self.name)
        self.form.addRow("Owner", owner)
        self.where = QComboBox()  # for an organisation: here only, or a connected ECG module
        self.where.addItem("Here only (a local registration)", None)
        self.where.setToolTip(
            "On a connected ECG module the subscription is made there first and mirrored here; "
            "the module chooses its signing secret (HMAC), shown once"
        )
        self.form.addRow("Create", self.where)
        self.form.addRow("Target URL", self.url)
        self.form.addRow("", self.development)
        self.form.addRow("Events", self.events_list)
        self.form.addRow("Event version", self.event_version)
        self.form.addRow("Retry schedule", self.retry_schedule)
        self.form.addRow("Authentication", self.auth_type)

    def _build_credentials(self) -> None:
        keep = "saved — leave empty to keep it" if self.existing else ""
        self.username = _line("username")
        self.password = _line(keep or "password", secret=True)
        self.hmac_secret = _line(keep or "leave empty to generate one", secret=True)
        self.whsec_secret = _line(keep or "whsec_… — leave empty to generate one", secret=True)
        self.token_url = _line("https://auth.example.org/oauth2/token")
        self.client_id = _line("client id")
        self.client_secret = _line(keep or "client secret", secret=True)
        self.scope = _line("scope (optional)")
        self.credentials = QStackedWidget()
        self.pages = {}
        for name, rows in (
            (AuthType.NONE, []),
            (AuthType.BASIC, [("Username", self.username), ("Password", self.password)]),
            (AuthType.HMAC, [("Secret key", self.hmac_secret)]),
            (AuthType.STANDARD_WEBHOOKS, [("Signing secret", self.whsec_secret)]),
            (
                AuthType.OAUTH2,
                [
                    ("Token URL", self.token_url),
                    ("Client id", self.client_id),
                    ("Client secret", self.client_secret),
                    ("Scope", self.scope),
                ],
            ),
        ):
            page = QWidget()
            form = QFormLayout(page)
            form.setContentsMargins(0, 0, 0, 0)
            for label, field in rows:
                form.addRow(label, field)
            self.pages[name] = self.credentials.addWidget(page)

    def _fill(self, row: dict) -> None:
        self.name.setText(row["name"])
        if row.get("organization_id"):
            self.owner_kind.setCurrentIndex(1)
            self.owner_id.setText(row["organization_id"])
        else:
            self.owner_id.setText(row.get("study_id") or "")
        self.event_version.setCurrentText(row.get("event_version") or "v1")
        self.url.setText(row["url"])
        self.development.setChecked(row["is_development"])
        chosen = set(row["events"])
        for i in range(self.events_list.count()):
            item = self.events_list.item(i)
            if item.data(Qt.ItemDataRole.UserRole) in chosen:
                item.setCheckState(Qt.CheckState.Checked)
        self.auth_type.setCurrentIndex(AUTH_TYPES.index(row["auth_type"]))
        self.retry_schedule.setText(row.get("retry_schedule") or "")
        self.username.setText(row.get("username") or "")
        self.token_url.setText(row.get("token_url") or "")
        self.client_id.setText(row.get("client_id") or "")
        self.scope.setText(row.get("oauth_scope") or "")

    def _owner_changed(self) -> None:
        """Offer only the events of the owner's platform: CentrePoint for a study, ECG for an
        organisation (whose subscription picks one event version for all its events)."""
        study = self.owner_kind.currentIndex() == 0
        self.owner_id.setPlaceholderText("study id, e.g. 1064" if study else "organisation id")
        module = OWNER_MODULES[self.owner_kind.currentIndex()]
        # The list holds only the platform's events: a hidden item can still be reached with
        # the keyboard (End, Space) and ticked without the user seeing it.
        chosen = set(self.chosen_events())
        self.events_list.clear()
        kept = set((self.existing or {}).get("events", ()))
        for event in self.all_events:
            if event.module != module or not (event.status == ACTIVE or event.code in kept):
                continue
            item = QListWidgetItem(f"{event.code}  —  {event.name}")
            item.setData(Qt.ItemDataRole.UserRole, event.code)
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            checked = event.code in chosen
            item.setCheckState(Qt.CheckState.Checked if checked else Qt.CheckState.Unchecked)
            self.events_list.addItem(item)
        self.event_version.setEnabled(not study)
        if study:
            self.event_version.setCurrentText("v1")
        self.form.setRowVisible(self.where, bool(self.modules) and not study)

    def _auth_changed(self) -> None:
        current = self.pages[self.auth_type.currentData()]
        self.credentials.setCurrentIndex(current)
        # A stack is as tall as its tallest page (OAuth2's four rows); size it to the page
        # shown, so a one-field page leaves no gap above the reason.
        for index in range(self.credentials.count()):
            ignored = QSizePolicy.Policy.Ignored
            policy = QSizePolicy.Policy.Preferred if index == current else ignored
            self.credentials.widget(index).setSizePolicy(policy, policy)
        self.credentials.adjustSize()
        self.check()

    # --- checking -----------------------------------------------------------------------

    def chosen_events(self) -> list[str]:
        items = (self.events_list.item(i) for i in range(self.events_list.count()))
        return [
            i.data(Qt.ItemDataRole.UserRole)
            for i in items
            if i.checkState() == Qt.CheckState.Checked
        ]

    def secret(self) -> str | None:
        field = {
            AuthType.BASIC: self.password,
            AuthType.HMAC: self.hmac_secret,
            AuthType.STANDARD_WEBHOOKS: self.whsec_secret,
            AuthType.OAUTH2: self.client_secret,
        }
        chosen = field.get(self.auth_type.currentData())
        return (chosen.text() or None) if chosen else None

    def problem(self) -> str | None:
        """The first rule the form breaks, as the sentence the user reads; None when fine."""
        data, existing = self.form_input(), self.existing or {}
        found = registration_rules.problems(
            data,
            self.all_events,
            self.secret(),
            stored_auth=existing.get("auth_type"),
            kept_events=existing.get("events", ()),
        )
        found += self.tls.problems()
        if not self.owner_id.text().strip():  # which box is empty: the form's own question
            url_ok = not registration_rules.url_problems(data.url, data.is_development)
            found.insert(
                0 if url_ok else 1, f"Enter the {self.owner_kind.currentText().lower()} id."
            )
        return found[0] if found else None

    def check(self) -> None:
        problem = self.problem()
        self.error_label.setText(problem or "")
        self.save_button.setEnabled(problem is None)

    # --- saving -------------------------------------------------------------------------

    def form_input(self) -> RegistrationInput:
        auth = self.auth_type.currentData()
        owner = self.owner_id.text().strip()
        study = self.owner_kind.currentIndex() == 0
        oauth = auth == AuthType.OAUTH2
        return RegistrationInput(
            url=self.url.text().strip(),
            events=self.chosen_events(),
            name=self.name.text().strip(),
            study_id=owner if study else None,
            organization_id=None if study else owner,
            auth_type=auth,
            username=self.username.text().strip() or None if auth == AuthType.BASIC else None,
            token_url=self.token_url.text().strip() or None if oauth else None,
            client_id=self.client_id.text().strip() or None if oauth else None,
            oauth_scope=self.scope.text().strip() or None if oauth else None,
            is_development=self.development.isChecked(),
            event_version=self.event_version.currentText(),
            retry_schedule=self.retry_schedule.text().strip() or None,
        )

    def submit(self) -> None:
        if self.problem():
            return
        self.save_button.setEnabled(False)
        data, secret, reason = self.form_input(), self.secret(), self.reason.text().strip() or None
        db, store, existing, tls = (
            self.context.db,
            self.context.store,
            self.existing,
            self.tls.change(),
        )

        if self.hosted:
            self._save_on_module(data, reason)
            return
        module = self.where.currentData() if data.organization_id else None
        if module:  # a new subscription made on the ECG module first, then mirrored here
            run_job(
                lambda: hosted_actions.create_on_module(db, store, module, data, reason),
                self._saved,
                self._refused,
            )
            return

        def save() -> tuple[int, str]:
            with db.session() as session:
                if existing:
                    changes = dict(data.__dict__)
                    reg = registrations.update(
                        session, store, existing["id"], changes, secret=secret, reason=reason
                    )
                    if tls:
                        registrations.set_tls(session, store, reg.id, tls, reason)
                    return reg.id, ""
                reg, generated = registrations.add(
                    session, store, data, secret=secret, reason=reason, tls=tls
                )
                session.flush()
                return reg.id, generated or ""

        run_job(save, self._saved, self._refused)

    def _save_on_module(self, data: RegistrationInput, reason: str | None) -> None:
        """The fields the module edits that changed, sent to it; the mirror from its answer.
        A conflict with the module's newer copy is put to the user."""
        existing = self.existing or {}
        reg_id = existing["id"]

        def edit(writes) -> None:
            from webhook_desk.platform import ecg_writes

            wanted = {name: getattr(data, name) for name in ecg_writes.EDITABLE}
            changes = ecg_writes.changed(existing, wanted)
            if changes:
                writes.edit(reg_id, changes, reason)

        def sent(_result) -> None:
            self._saved((reg_id, ""))

        run_on_module(self, self.context, reg_id, edit, sent, self._refused, reason, self._refused)

    # --- closing ------------------------------------------------------------------------

    def _form_state(self) -> tuple:
        return self.form_input(), self.secret(), self.tls.change(), self.reason.text()

    def reject(self) -> None:
        """Escape, Cancel or the window's close button: ask before throwing typing away."""
        if self._form_state() == self.unchanged:
            super().reject()
            return
        self.discard_box = QMessageBox(
            QMessageBox.Icon.Question,
            self.windowTitle(),
            "Discard what you typed in this form?",
            parent=self,
        )
        discard = self.discard_box.addButton("Discard", QMessageBox.ButtonRole.DestructiveRole)
        keep = self.discard_box.addButton("Keep editing", QMessageBox.ButtonRole.RejectRole)
        self.discard_box.setDefaultButton(keep)
        self.discard_box.setEscapeButton(keep)
        discard.clicked.connect(lambda: QDialog.reject(self))
        self.discard_box.open()

    def _saved(self, result: tuple[int, str]) -> None:
        self.accept()
        self.saved.emit(*result)

    def _refused(self, sentence: str) -> None:
        self.error_label.setText(sentence)
        grow_to_fit(self)  # a long sentence needs more lines than the label has
        self.save_button.setEnabled(True)
