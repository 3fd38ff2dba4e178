"""Managing the ECG module's catalog from the desk: categories, events and their sample
payloads (seed 004's catalog routes). Each change goes to the module first, an edit as a JSON
Patch whose `test`s carry the module's values as read just before; then the desk's catalog
makes the same change with the values the module answered, through services/catalog_edits.py
(the local verbs' own functions), audited with the module's id and the user's reason.

The catalog keeps no record of where an entry came from, so the module is named each time
(`events ... --api-url`); whatever is changed must exist on both sides before anything is sent.
"""

from __future__ import annotations

import json

from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.platform.ecg_sync import module_categories, module_events
from webhook_desk.platform.module_writes import ModuleWrites, tested_replace
from webhook_desk.services import catalog, catalog_edits

CATEGORIES = "/api/webhook-categories"
# The desk's field names -> the module's, for what a patch may change.
MODULE_NAMES = {"json_schema": "jsonSchema"}


class EcgCatalogWrites(ModuleWrites):
    """Catalog changes sent to one ECG module, then made in the desk's catalog."""

    # ---- categories --------------------------------------------------------------------

    def create_category(self, code, name, description=None, reason=None) -> dict:
        with self.db.session() as session:
            catalog_edits.check_category_free(session, code)
        body = {"code": code, "name": name, "description": description}
        made = self._document("POST", CATEGORIES, body)
        with self.db.session() as session:
            category = catalog_edits.create_category(
                session, made.get("code") or code, made.get("name") or name,
                made.get("description"), "ecg", self._note(made.get("id"), reason, "ECG category"),
            )  # fmt: skip
            return catalog.category_as_dict(category)

    def update_category(self, code, changes: dict, reason=None) -> dict:
        with self.db.session() as session:
            catalog.get_category(session, code)
        path = f"{CATEGORIES}/{self._category(code)['id']}"
        answer = self._patch(path, changes)
        note = self._note(answer.get("id"), reason, "ECG category")
        with self.db.session() as session:
            done = catalog_edits.update_category(session, code, _answered(answer, changes), note)
            return catalog.category_as_dict(done)

    def delete_category(self, code, reason=None) -> None:
        with self.db.session() as session:
            catalog_edits.check_category_deletable(session, code)
        remote = self._category(code)["id"]
        self._send("DELETE", f"{CATEGORIES}/{remote}")
        with self.db.session() as session:
            note = self._note(remote, reason, "ECG category")
            catalog_edits.delete_category(session, code, note)

    # ---- events ------------------------------------------------------------------------

    def create_event(self, category, code, version, name, description=None, schema=None,
                     reason=None) -> dict:  # fmt: skip
        with self.db.session() as session:
            catalog.get_category(session, category)
        body = {"code": code, "version": version, "name": name, "description": description}
        if schema is not None:
            body["jsonSchema"] = schema
        path = f"{CATEGORIES}/{self._category(category)['id']}/webhook-events"
        made = self._document("POST", path, body)
        with self.db.session() as session:
            event = catalog_edits.create_event(
                session, category, made.get("code") or code, made.get("version") or version,
                made.get("name") or name, made.get("description"), made.get("jsonSchema", schema),
                self._note(made.get("id"), reason, "ECG event"),
            )  # fmt: skip
            return catalog.event_as_dict(event)

    def update_event(self, code, version, changes: dict, reason=None) -> dict:
        with self.db.session() as session:
            catalog.get_event(session, code, version)
        path = self._event_path(code, version)
        answer = self._patch(path, changes)
        note = self._note(answer.get("id"), reason, "ECG event")
        with self.db.session() as session:
            answered = _answered(answer, changes)
            event = catalog_edits.update_event(session, code, version, answered, note)
            return catalog.event_as_dict(event)

    def delete_event(self, code, version, reason=None) -> None:
        with self.db.session() as session:
            catalog.get_event(session, code, version)
        path = self._event_path(code, version)
        self._send("DELETE", path)
        with self.db.session() as session:
            note = self._note(path.rsplit("/", 1)[-1], reason, "ECG event")
            catalog_edits.delete_event(session, code, version, note)

    # ---- statuses ----------------------------------------------------------------------

    def set_status(self, target: str, code, action: str, version=None, reason=None) -> list:
        """activate | deactivate | archive | restore a category, or one version of an event,
        on the module, then here; catalog.set_status's changes."""
        if target == "event" and version is None:
            raise InvalidInput(
                "Name the event's version (--version) to change it on the ECG module."
            )
        with self.db.session() as session:
            if target == "category":
                catalog.get_category(session, code)
            else:
                catalog.get_event(session, code, version)
        if target == "category":
            path, what = f"{CATEGORIES}/{self._category(code)['id']}", "ECG category"
        else:
            path, what = self._event_path(code, version), "ECG event"
        self._send("POST", f"{path}/{action}")
        note = self._note(path.rsplit("/", 1)[-1], reason, what)
        with self.db.session() as session:
            return catalog.set_status(session, target, code, action, note, version=version)

    # ---- sample payloads ---------------------------------------------------------------

    def change_sample(self, action: str, code, version, name, payload=None, reason=None) -> None:
        """add | update | delete the event's sample payload `name` on the module, then here."""
        with self.db.session() as session:
            event = catalog.get_event(session, code, version)
            if action != "add":
                catalog.sample_payload(event, name)  # it must exist here too
        path = f"{self._event_path(code, version)}/sample-payloads"
        where = {"version": version, "name": name}
        if action == "add":
            self._send("POST", path, {"payload": payload, **where})
        elif action == "update":
            shown = self._document("GET", path, params=where).get("payload")
            shown = json.loads(shown) if isinstance(shown, str) else shown  # the seed's "{}"
            operations = [
                {"op": "test", "path": "/payload", "value": shown},
                {"op": "replace", "path": "/payload", "value": payload},
            ]
            self._send("PATCH", path, operations, where)
        else:
            self._send("DELETE", path, params=where)
        note = self._note(f"{code} {version} sample {name}", reason, "ECG")
        with self.db.session() as session:
            if action == "delete":
                catalog_edits.delete_sample(session, code, version, name, note)
            else:
                change = getattr(catalog_edits, f"{action}_sample")
                change(session, code, version, name, payload, note)

    # ---- the module's side -------------------------------------------------------------

    def _category(self, code: str) -> dict:
        for category in self._asking(lambda: list(module_categories(self.client))):
            if isinstance(category, dict) and category.get("code") == code and category.get("id"):
                return category
        raise NotFound(f"The ECG module has no category {code}; nothing was changed.")

    def _event_path(self, code: str, version: str) -> str:
        for category_id, event in self._asking(lambda: list(module_events(self.client))):
            if (event.get("code"), event.get("version")) == (code, version):
                return f"{CATEGORIES}/{category_id}/webhook-events/{event['id']}"
        raise NotFound(f"The ECG module has no event {code} {version}; nothing was changed.")

    def _patch(self, path: str, changes: dict) -> dict:
        """A JSON Patch of `changes` that tests each field against the module's copy now."""
        if not changes:
            raise InvalidInput("Nothing to change.")
        shown = self._document("GET", path)  # the event GET has no jsonSchema (seed 004)
        wanted = {MODULE_NAMES.get(name, name): value for name, value in changes.items()}
        return self._document("PATCH", path, tested_replace(shown, wanted))


def _answered(answer: dict, changes: dict) -> dict:
    """The changed fields as the module answered them (under the desk's names)."""
    return {
        name: answer.get(MODULE_NAMES.get(name, name), value) for name, value in changes.items()
    }
