"""Editing a record by JSON Patch (RFC 6902, `test` honoured), as the ECG module's PATCH
routes and `registrations patch --json-patch` do: the patch applies to the record as shown,
and only the fields that may change come out of it."""

from __future__ import annotations

import jsonpatch
import jsonpointer

from webhook_desk.errors import Conflict, InvalidInput

EXAMPLE = '[{"op": "replace", "path": "/name", "value": "New name"}]'


class MalformedPatch(InvalidInput):
    """Not a patch, or a path that is not in the record: the request itself is wrong."""


def changes(document: dict, operations, editable: dict[str, str]) -> dict:
    """Apply `operations` to `document`; return the changed editable fields under the names
    in `editable` (shown name -> the service's name). A failed `test` is a Conflict, a change
    to a field that cannot change is InvalidInput; nothing is changed either way."""
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise MalformedPatch(f"A JSON Patch is an array of operations, e.g. {EXAMPLE}.")
    try:
        patched = jsonpatch.JsonPatch(operations).apply(document)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise Conflict(f"The patch's test failed: {exc}; nothing was changed.") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        # jsonpointer appends the whole record to its sentence; the path is what matters.
        reason = str(exc).split(" in {")[0]
        raise MalformedPatch(
            f"The patch cannot be applied: {reason}; nothing was changed."
        ) from None
    fixed = sorted(
        key
        for key in set(document) | set(patched)
        if key not in editable and document.get(key) != patched.get(key)
    )
    if fixed:
        raise InvalidInput(
            f"{', '.join(fixed)} cannot be changed; a patch may change {', '.join(editable)}."
        )
    return {
        name: patched.get(key)
        for key, name in editable.items()
        if patched.get(key) != document.get(key)
    }
