"""The Events tab's catalog edits: New/Edit/Delete of categories and events, their statuses,
and their sample payloads, each one call to services/catalog_edits.py or catalog.set_status
(the same calls `serve` and the `events` verbs make). While an ECG module is connected, New,
Edit and Delete of an ECG module's entry go to the module first (ecg_catalog_writes)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QAction

from webhook_desk.db.models import EventType
from webhook_desk.services import catalog, catalog_edits
from webhook_desk.ui import hosted_actions
from webhook_desk.ui.dialogs.catalog_entry_dialog import CatalogEntryDialog
from webhook_desk.ui.dialogs.message import show_error
from webhook_desk.ui.dialogs.reason_dialog import ReasonDialog
from webhook_desk.ui.jobs import run_job, run_query

CATEGORY_ROLE = Qt.ItemDataRole.UserRole + 2


class CatalogActions:
    """QActions over the tab's selection: an event, or a category row (CATEGORY_ROLE)."""

    def __init__(self, tab):
        self.tab = tab
        self.dialog = None
        self.origins: list[str] = []  # the connected ECG modules (refresh_module)
        tab.context.registrations_changed.connect(self.refresh_module)  # e.g. after Connect…
        self.refresh_module()

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
        return list(self._category_modules())

    def _category_modules(self) -> dict[str, str]:
        """Each category's code, and the module it belongs to."""
        tree = self.tab.tree
        found = (
            tree.topLevelItem(i).data(0, CATEGORY_ROLE) for i in range(tree.topLevelItemCount())
        )
        return {category.code: category.module for category in found}

    def _sample_name(self) -> str | None:
        return self.tab.samples.currentText() or None

    # --- running a change -----------------------------------------------------------------

    def _changed(self, sentence: str) -> None:
        self.context.say(sentence)
        self.tab.refresh()

    @property
    def context(self):
        return self.tab.context

    def _run(self, change, sentence: str, module: str = "", there=None) -> None:
        """`change(session)`, or `there(writes)` on the ECG module first for an entry of the
        ECG `module` while one is connected."""
        on_module = there and (lambda writes, _values: there(writes))
        save = self._either(lambda _values: module, lambda s, _v: change(s), on_module, sentence)
        db = self.context.db

        def work():
            with db.session() as session:
                return save(session, None)

        run_job(
            work, lambda said: self._changed(said or sentence), lambda s: show_error(self.tab, s)
        )

    def _open(self, title: str, here, sentence: str, module=None, there=None):
        """The entry form; Save runs `here(session, values)`, or `there(writes, values)` on the
        ECG module first when `module(values)` is "ecg" and a module is connected."""
        save = self._either(module or (lambda _values: ""), here, there, sentence)
        self.dialog = CatalogEntryDialog(
            self.context, title, save, lambda said: self._changed(said or sentence), self.tab
        )
        return self.dialog

    # --- where a change goes --------------------------------------------------------------

    def refresh_module(self) -> None:
        """Read which ECG modules are connected (off the GUI thread)."""
        run_query(self.context.db, hosted_actions.connected_modules, self._origins_read)

    def _origins_read(self, origins: list[str]) -> None:
        self.origins = origins

    def _either(self, module, here, there, sentence: str):
        """A save(session, values): `there(writes, values)` on the connected ECG module first
        for an ECG module's entry, then a sentence saying so; else `here(session, values)`
        and None."""
        db, store, origins = self.context.db, self.context.store, list(self.origins)

        def save(session, values):
            if there is None or module(values) != "ecg" or not origins:
                here(session, values)
                return None
            with hosted_actions.catalog_writes(db, store, origins) as writes:
                there(writes, values)
            return f"{sentence.rstrip('.')} on the ECG module and here."

        return save

    # --- categories and events ------------------------------------------------------------

    def open_new_category(self) -> None:
        dialog = self._open(
            "New category",
            lambda s, v: catalog_edits.create_category(
                s, v["code"], v["name"], v["description"], v["module"]
            ),
            "Category added.",
            lambda v: v["module"],
            lambda w, v: w.create_category(v["code"], v["name"], v["description"]),
        )
        dialog.line("code", "Code")
        dialog.line("name", "Name")
        dialog.line("description", "Description")
        dialog.choice("module", "Module", list(catalog_edits.MODULES))
        dialog.open()

    def open_new_event(self) -> None:
        modules = self._category_modules()
        dialog = self._open(
            "New event",
            lambda s, v: catalog_edits.create_event(
                s, v["category"], v["code"], v["version"], v["name"], v["description"],
                v["json_schema"],
            ),
            "Event added.",
            lambda v: modules.get(v["category"]),
            lambda w, v: w.create_event(
                v["category"], v["code"], v["version"], v["name"], v["description"],
                v["json_schema"],
            ),
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
        code, version, module = event.code, event.version, event.category.module
        shown = {"code": code, "version": version, "name": event.name,
                 "description": event.description, "json_schema": event.json_schema}  # fmt: skip
        dialog = self._open(
            f"Edit {code} {version}",
            lambda s, v: catalog_edits.update_event(s, code, version, v),
            f"Event {code} {version} changed.",
            lambda _v: module,
            lambda w, v: w.update_event(code, version, _edited(shown, v)),
        )
        for name, label in (("code", "Code"), ("version", "Version"), ("name", "Name")):
            dialog.line(name, label, shown[name])
        dialog.line("description", "Description", event.description)
        dialog.json("json_schema", "JSON Schema", event.json_schema)
        dialog.open()

    def _edit_category(self, category) -> None:
        code, module = category.code, category.module
        shown = {"code": code, "name": category.name, "description": category.description}
        dialog = self._open(
            f"Edit category {code}",
            lambda s, v: catalog_edits.update_category(s, code, v),
            f"Category {code} changed.",
            lambda _v: module,
            lambda w, v: w.update_category(code, _edited(shown, v)),
        )
        dialog.line("code", "Code", code)
        dialog.line("name", "Name", category.name)
        dialog.line("description", "Description", category.description)
        dialog.open()

    def confirm_delete(self) -> None:
        event, category = self.tab.current_event(), self._category()
        if event is not None:
            code, version = event.code, event.version
            label = f"the event {code} {version} and its samples"
            change = lambda s, r: catalog_edits.delete_event(s, code, version, r)  # noqa: E731
            there = lambda w, r: w.delete_event(code, version, r)  # noqa: E731
        elif category is not None:
            code = category.code
            label = f"the category {code}"
            change = lambda s, r: catalog_edits.delete_category(s, code, r)  # noqa: E731
            there = lambda w, r: w.delete_category(code, r)  # noqa: E731
        else:
            return
        module = category.module
        self._confirm(
            f"Delete {label}?",
            lambda r: self._run(lambda s: change(s, r), "Deleted.", module, lambda w: there(w, r)),
        )

    def _confirm(self, question: str, then) -> None:
        self.dialog = ReasonDialog("Delete", question, "Delete", self.tab)
        self.dialog.confirmed.connect(then)
        self.dialog.open()

    def change_status(self, action: str) -> None:
        event, category = self.tab.current_event(), self._category()
        if event is not None:
            target, code, version = "event", event.code, event.version
        elif category is not None:
            target, code, version = "category", category.code, None
        else:
            return
        self._run(
            lambda s: catalog.set_status(s, target, code, action, version=version),
            f"{target.capitalize()} {code}: {action} done.",
            category.module,
            lambda w: w.set_status(target, code, action, version),
        )

    # --- samples --------------------------------------------------------------------------

    def open_sample(self, name: str | None) -> None:
        event = self.tab.current_event()
        if event is None:
            return
        code, version, module = event.code, event.version, event.category.module
        payload = catalog.sample_payload(event, name) if event.samples else {}
        if name is None:
            save = lambda s, v: catalog_edits.add_sample(  # noqa: E731
                s, code, version, v["name"], v["payload"]
            )
            there = lambda w, v: w.change_sample(  # noqa: E731
                "add", code, version, v["name"], v["payload"]
            )
        else:
            save = lambda s, v: catalog_edits.update_sample(  # noqa: E731
                s, code, version, name, v["payload"]
            )
            there = lambda w, v: w.change_sample(  # noqa: E731
                "update", code, version, name, v["payload"]
            )
        dialog = self._open(
            f"Sample of {code} {version}",
            save,
            f"Sample of {code} {version} saved.",
            lambda _v: module,
            there,
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
                lambda s: catalog_edits.delete_sample(s, code, version, name, r),
                "Deleted.",
                event.category.module,
                lambda w: w.change_sample("delete", code, version, name, reason=r),
            ),
        )


def _edited(shown: dict, values: dict) -> dict:
    """Of a form's values, those the user changed: the module's patch tests only those."""
    return {name: value for name, value in values.items() if value != shown.get(name)}
