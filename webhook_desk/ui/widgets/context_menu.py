"""A right-click (or Menu key) menu over a list, table or tree: the same actions as the
toolbar and the window's menu, on the row under the pointer."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QAction
from PySide6.QtWidgets import QAbstractItemView, QMenu


def fill_menu(menu: QMenu, actions: Iterable[QAction | None]) -> QMenu:
    """Add `actions` to `menu`; None draws a separator."""
    for action in actions:
        if action is None:
            menu.addSeparator()
        else:
            menu.addAction(action)
    return menu


def attach_context_menu(view: QAbstractItemView, actions: Iterable[QAction | None]) -> QMenu:
    """Give `view` a context menu of `actions` (None draws a separator); returns the menu."""
    menu = fill_menu(QMenu(view), actions)

    def show(position: QPoint) -> None:
        index = view.indexAt(position)
        if index.isValid():  # the menu acts on the row it was opened on
            view.setCurrentIndex(index)
        menu.popup(view.viewport().mapToGlobal(position))

    view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
    view.customContextMenuRequested.connect(show)
    return menu
