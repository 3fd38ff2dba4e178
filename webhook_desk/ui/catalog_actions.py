"""The Events tab's catalog edits: New/Edit/Delete of categories and events, their statuses,
and their sample payloads, each one call to services/catalog_edits.py or catalog.set_status
(the same calls `serve` and the `events` verbs make)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from webhook_desk.db.models import EventType
from webhook_desk.services import catalog, catalog_edits
from webhook_desk.ui.dialogs.catalog_entry_dialog import CatalogEntryDialog
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.dialogs.reason_dialog import ReasonDialog
from webhook_desk.ui.jobs import run_job

CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2


class CatalogActions:
    """QActions over the tab's selection: an event, or a category row (CATEGORY_ROLE)."""

    def __init__(self, tab):
        self.tab = tab
        self.dialog = None

        def action(text: str, slot) -> QAction:
            made = QAction(text, tab)
            made.triggered.connect(slot)
            return made

        self.new_category = action("New category…", self.open_new_category)
        self.new_event = action("New event…", self.open_new_event)
        self.edit = action("Edit…", self.open_edit)
        self.delete = action("Delete…", self.confirm_delete)
        self.status = {
            name: action(name.capitalize(), lambda _=False, n=name: self.change_status(n))
            for name in catalog.ACTIONS
        }
        self.new_sample = action("New sample…", lambda: self.open_sample(None))
        self.edit_sample = action("Edit sample…", lambda: self.open_sample(self._sample_name()))
        self.delete_sample = action("Delete sample…", self.confirm_delete_sample)

    @property
    def actions(self) -> list[QAction]:
        return [self.new_category, self.new_event, self.edit, self.delete,
                *self.status.values(), self.new_sample, self.edit_sample,
                self.delete_sample]  # fmt: skip

    # --- the selection --------------------------------------------------------------------

    def _category(self):
        item = self.tab.tree.currentItem()
        if item is None:
            return None
        event = self.tab.current_event()
        return event.category if event is not None else item.data(0, CATEGORY_ROLE)

    def selected_category(self) -> str | None:
        category = self._category()
        return category.code if category is not None else None

    def _categories(self) -> list[str]:
        tree = self.tab.tree
        count = tree.topLevelItemCount()
        return [tree.topLevelItem(i).data(0, CATEGORY_ROLE).code for i in range(count)]

    def _sample_name(self) -> str | None:
        return self.tab.samples.currentText() or None

    # --- running a change -----------------------------------------------------------------

    def _changed(self, sentence: str) -> None:
        self.context.say(sentence)
        self.tab.refresh()

    @property
    def context(self):
        return self.tab.context

    def _run(self, change, sentence: str) -> None:
        db = self.context.db

        def work():
            with db.session() as session:
                change(session)

        run_job(work, lambda _: self._changed(sentence), lambda s: show_error(self.tab, s))

    def _open(self, title: str, save, sentence: str) -> CatalogEntryDialog:
        self.dialog = CatalogEntryDialog(
            self.context, title, save, lambda: self._changed(sentence), self.tab
        )
        return self.dialog

    # --- categories and events ------------------------------------------------------------

    def open_new_category(self) -> None:
        dialog = self._open(
            "New category",
            lambda s, v: catalog_edits.create_category(
                s, v["code"], v["name"], v["description"], v["module"]
            ),
            "Category added.",
        )
        dialog.line("code", "Code")
        dialog.line("name", "Name")
        dialog.line("description", "Description")
        dialog.choice("module", "Module", list(catalog_edits.MODULES))
        dialog.open()

    def open_new_event(self) -> None:
        dialog = self._open(
            "New event",
            lambda s, v: catalog_edits.create_event(
                s, v["category"], v["code"], v["version"], v["name"], v["description"],
                v["json_schema"],
            ),
            "Event added.",
        )  # fmt: skip
        category = dialog.choice("category", "Category", self._categories())
        category.setCurrentText(self.selected_category() or "")
        dialog.line("code", "Code")
        dialog.line("version", "Version", "v1")
        dialog.line("name", "Name")
        dialog.line("description", "Description")
        dialog.json("json_schema", "JSON Schema", catalog_edits.DEFAULT_SCHEMA)
        dialog.open()

    def open_edit(self) -> None:
        event = self.tab.current_event()
        if event is not None:
            self._edit_event(event)
        elif self._category() is not None:
            self._edit_category(self._category())

    def _edit_event(self, event: EventType) -> None:
        code, version = event.code, event.version
        dialog = self._open(
            f"Edit {code} {version}",
            lambda s, v: catalog_edits.update_event(s, code, version, v),
            f"Event {code} {version} changed.",
        )
        dialog.line("code", "Code", code)
        dialog.line("version", "Version", version)
        dialog.line("name", "Name", event.name)
        dialog.line("description", "Description", event.description)
        dialog.json("json_schema", "JSON Schema", event.json_schema)
        dialog.open()

    def _edit_category(self, category) -> None:
        code = category.code
        dialog = self._open(
            f"Edit category {code}",
            lambda s, v: catalog_edits.update_category(s, code, v),
            f"Category {code} changed.",
        )
        dialog.line("code", "Code", code)
        dialog.line("name", "Name", category.name)
        dialog.line("description", "Description", category.description)
        dialog.open()

    def confirm_delete(self) -> None:
        event = self.tab.current_event()
        if event is not None:
            code, version = event.code, event.version
            label = f"the event {code} {version} and its samples"
            change = lambda s, r: catalog_edits.delete_event(s, code, version, r)  # noqa: E731
        elif self.selected_category():
            code = self.selected_category()
            label = f"the category {code}"
            change = lambda s, r: catalog_edits.delete_category(s, code, r)  # noqa: E731
        else:
            return
        self._confirm(f"Delete {label}?", lambda r: self._run(lambda s: change(s, r), "Deleted."))

    def _confirm(self, question: str, then) -> None:
        self.dialog = ReasonDialog("Delete", question, "Delete", self.tab)
        self.dialog.confirmed.connect(then)
        self.dialog.open()

    def change_status(self, action: str) -> None:
        event = self.tab.current_event()
        if event is not None:
            target, code, version = "event", event.code, event.version
        elif self.selected_category():
            target, code, version = "category", self.selected_category(), None
        else:
            return
        self._run(
            lambda s: catalog.set_status(s, target, code, action, version=version),
            f"{target.capitalize()} {code}: {action} done.",
        )

    # --- samples --------------------------------------------------------------------------

    def open_sample(self, name: str | None) -> None:
        event = self.tab.current_event()
        if event is None:
            return
        code, version = event.code, event.version
        payload = catalog.sample_payload(event, name) if event.samples else {}
        if name is None:
            save = lambda s, v: catalog_edits.add_sample(  # noqa: E731
                s, code, version, v["name"], v["payload"]
            )
        else:
            save = lambda s, v: catalog_edits.update_sample(  # noqa: E731
                s, code, version, name, v["payload"]
            )
        dialog = self._open(
            f"Sample of {code} {version}", save, f"Sample of {code} {version} saved."
        )
        title = dialog.line("name", "Name", name or "")
        title.setReadOnly(name is not None)
        dialog.json("payload", "Payload", payload)
        dialog.open()

    def confirm_delete_sample(self) -> None:
        event, name = self.tab.current_event(), self._sample_name()
        if event is None or name is None:
            return
        code, version = event.code, event.version
        self._confirm(
            f"Delete the sample {name} of {code} {version}?",
            lambda r: self._run(
                lambda s: catalog_edits.delete_sample(s, code, version, name, r), "Deleted."
            ),
        )
