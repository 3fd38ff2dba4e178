"""Growing a shown dialog when a wrapped message gets longer: Qt sizes a window once, so a
sentence set later (a refusal, a result, progress) was cut off at the dialog's bottom."""

from __future__ import annotations

from PySide6.QtWidgets import QWidget


def grow_to_fit(window: QWidget) -> None:
    """Make `window` at least as tall as its contents need at its current width."""
    layout = window.layout()
    if layout is None:
        return
    layout.activate()
    needed = (
        layout.totalHeightForWidth(window.width())
        if layout.hasHeightForWidth()
        else layout.totalSizeHint().height()
    )
    if needed > window.height():
        window.resize(window.width(), needed)
