"""The panel beside the registrations table: everything about the selected registration."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from webhook_desk.platform.sender_addresses import SENDER_ADDRESSES, allow_list_text
from webhook_desk.ui.colours import text_style
from webhook_desk.ui.formatting import SHORT_TIME, local_time, owner
from webhook_desk.vocabulary import AuthType

FIELDS = [
    ("Name", lambda r: r["name"]),
    ("Owner", owner),
    ("Target URL", lambda r: r["url"]),
    ("Authentication", lambda r: r["auth_type"] + (f" ({r['username']})" if r["username"] else "")),
    (
        "Status",
        lambda r: r["status"] + (f" — {r['disabled_reason']}" if r["disabled_reason"] else ""),
    ),
    (
        "Validation",
        lambda r: (
            r["validation_state"] + (f" — {r['validation_error']}" if r["validation_error"] else "")
        ),
    ),
    ("Events", lambda r: "\n".join(r["events"]) or "none"),
    ("Development", lambda r: "yes (plain http allowed)" if r["is_development"] else "no"),
    ("Retry schedule", lambda r: r["retry_schedule"] or "default"),
    ("TLS", lambda r: tls_text(r)),
    ("Failure streak", lambda r: str(r["failure_streak"])),
    (
        "Last delivery",
        lambda r: (
            " ".join(filter(None, [local_time(r["last_delivery_at"]), r["last_delivery_status"]]))
            or "none"
        ),
    ),
]


def tls_text(row: dict) -> str:
    """The client certificate it presents and the authorities it trusts."""
    leaf = row.get("client_certificate")
    lines = [certificate_line("Presents", leaf) if leaf else "Presents no client certificate"]
    authorities = row.get("ca_bundle") or []
    lines += [certificate_line("Trusts", ca) for ca in authorities] or ["Trusts the system's CAs"]
    return "\n".join(lines)


def certificate_line(verb: str, facts: dict) -> str:
    """Who, by whom, until when, and the SHA-256 fingerprint eight bytes a line: 95 characters
    with no place to wrap would widen the panel past the window."""
    octets = facts["fingerprint"].split(":")
    fingerprint = ":\n".join(":".join(octets[i : i + 8]) for i in range(0, len(octets), 8))
    return (
        f"{verb} {facts['subject']} (issued by {facts['issuer']}), until "
        f"{facts['not_after'][:10]}\nSHA-256 {fingerprint}"
    )


def warnings(row: dict) -> str:
    """What to do about held-back events, and certificates expiring or expired."""
    return "\n".join(filter(None, [advice(row), *row.get("certificate_warnings", [])]))


def advice(row: dict) -> str:
    """What to do about a registration whose events are held back, or ""."""
    if row["status"] != "enabled":
        return ""
    if row["validation_state"] == "failed":
        return (
            "Its deliveries are held back until it passes validation: fix the endpoint, "
            "then choose Registration ▸ Validate (Ctrl+Shift+V)."
        )
    if row["validation_state"] == "pending":
        return (
            "It is validated before its first delivery; Registration ▸ Validate "
            "(Ctrl+Shift+V) runs the handshake now."
        )
    return ""


def module_secret_line(entry: dict) -> str:
    """One version of a module's secret history; its value only ever by fingerprint."""
    made = local_time(entry["created_at"], SHORT_TIME)
    if entry["revoked_at"]:
        state = f"revoked {local_time(entry['revoked_at'], SHORT_TIME)}"
    elif entry["expires_at"]:
        state = f"until {local_time(entry['expires_at'], SHORT_TIME)}"
    else:
        state = "current"
    fingerprint = entry["fingerprint"] or "value not given out"
    return f"v{entry['version']} · {fingerprint} · made {made} · {state}"


class RegistrationDetail(QWidget):
    def __init__(self, parent=None):
        super().__init__(parent)
        self.values: dict[str, QLabel] = {}
        self.row: dict | None = None
        self.setMinimumWidth(380)
        details = QGroupBox("Registration")
        form = QFormLayout(details)
        for title, _ in FIELDS:
            label = QLabel()
            label.setWordWrap(True)
            label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
            self.values[title] = label
            form.addRow(title, label)
        form.addRow("Sender IPs", self._allow_list())
        self.advice = QLabel()  # what a stuck registration needs, right under its state
        self.advice.setWordWrap(True)
        self.advice.setStyleSheet(text_style("warning"))
        form.addRow(self.advice)
        secrets_box = QGroupBox("Secret versions")
        self.secrets = QLabel()  # one line per version: no wrapping, so it sizes itself
        secrets_layout = QVBoxLayout(secrets_box)
        secrets_layout.addWidget(self.secrets)
        # A hosted subscription's own history is the module's: asked for, not on every click.
        self.module_secrets_button = QPushButton("Show the ECG module's history")
        self.module_secrets_button.setToolTip(
            "Ask the ECG module for this subscription's secret history (versions by fingerprint)"
        )
        self.module_secrets = QLabel()
        self.module_secrets.setWordWrap(True)
        secrets_layout.addWidget(self.module_secrets_button, 0, Qt.AlignmentFlag.AlignLeft)
        secrets_layout.addWidget(self.module_secrets)
        recent_box = QGroupBox("Recent deliveries")
        self.recent = QLabel()
        QVBoxLayout(recent_box).addWidget(self.recent)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(details)
        layout.addWidget(secrets_box)
        layout.addWidget(recent_box)
        layout.addStretch(1)
        self.show_row(None)

    def _allow_list(self) -> QWidget:
        """The addresses CentrePoint sends from, for the endpoint's firewall allow-list, with
        a button copying them one a line."""
        addresses = QLabel(", ".join(SENDER_ADDRESSES))
        addresses.setWordWrap(True)
        addresses.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        addresses.setToolTip("CentrePoint sends webhooks from these addresses: allow them.")
        self.copy_allow_list = QPushButton("Copy")
        self.copy_allow_list.setToolTip("Copy the nine addresses, one a line")
        self.copy_allow_list.clicked.connect(
            lambda: QGuiApplication.clipboard().setText(allow_list_text())
        )
        holder = QWidget()
        row = QHBoxLayout(holder)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(addresses, 1)
        row.addWidget(self.copy_allow_list, 0, Qt.AlignmentFlag.AlignTop)
        return holder

    def show_row(self, row: dict | None) -> None:
        self.row = row
        for title, read in FIELDS:
            self.values[title].setText(read(row) if row else "")
        self.advice.setText(warnings(row) if row else "")
        self.advice.setVisible(bool(self.advice.text()))
        self.secrets.setText(self._secrets_text(row) if row else "Select a registration.")
        self.module_secrets_button.setVisible(row is not None and row.get("source") == "ecg")
        self.module_secrets.setText("")
        self.module_secrets.hide()
        self.recent.setText("")

    def show_module_secrets(self, entries: list[dict] | str) -> None:
        """The module's secret history (service: EcgWrites.secret_history), or why not."""
        if isinstance(entries, str):
            text = entries
        else:
            text = "\n".join(module_secret_line(e) for e in reversed(entries)) or "None."
            text = f"On the ECG module:\n{text}"
        self.module_secrets.setText(text)
        self.module_secrets.show()

    def _secrets_text(self, row: dict) -> str:
        versions = row.get("secrets") or []
        if not versions:
            return (
                "No secret (no authentication)." if row["auth_type"] == AuthType.NONE else "None."
            )
        lines = []
        for v in reversed(versions):
            state = "valid" if v["valid"] else "expired"
            until = (
                f", until {local_time(v['expires_at'])}" if v["expires_at"] and v["valid"] else ""
            )
            lines.append(f"v{v['version']} {v['kind']} · {v['fingerprint']} · {state}{until}")
        return "\n".join(lines)

    def show_recent(self, deliveries: list[dict]) -> None:
        if not deliveries:
            self.recent.setText("None yet.")
            return
        self.recent.setText(
            "\n".join(
                f"{local_time(d['created_at'], SHORT_TIME)}  {d['event']}  {d['status']}"
                f"{'  ' + str(d['response_code']) if d['response_code'] else ''}"
                for d in deliveries
            )
        )
