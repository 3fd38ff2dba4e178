"""What a served route's handler gets: the request's parts, its JSON body, who is calling,
and the keyring; and the helpers every write handler uses to read a body or a JSON Patch."""

from __future__ import annotations

from dataclasses import dataclass, field

import jsonpatch
import jsonpointer

from webhook_desk.platform.mock_endpoints import ApiError, Request
from webhook_desk.secrets import SecretStore

PATCH_EXAMPLE = '[{"op": "replace", "path": "/name", "value": "New name"}]'


@dataclass
class Call(Request):
    body: object = None
    subject: str = ""
    store: SecretStore = field(default_factory=SecretStore)

    def fields(self, *required: str) -> dict:
        """The body as a JSON object holding at least `required`, or 400 naming what lacks."""
        if not isinstance(self.body, dict):
            raise ApiError(400, "The request body must be a JSON object.")
        missing = [name for name in required if self.body.get(name) in (None, "")]
        if missing:
            raise ApiError(400, f"The request body needs {', '.join(missing)}.")
        return self.body

    def required(self, name: str) -> str:
        value = self.one(name)
        if not value:
            raise ApiError(400, f"{name} is required.")
        return value


def patch_changes(call: Call, document: dict, editable: dict[str, str]) -> dict:
    """Apply the call's JSON Patch (RFC 6902, `test` included) to `document`, the record as
    the API shows it; return the changed editable fields under their service names.

    A malformed patch or a path that is not there is 400, a failed `test` 409, and a change
    to a field that cannot change (an id, auditInfo) 422."""
    operations = call.body
    if not isinstance(operations, list) or not all(isinstance(op, dict) for op in operations):
        raise ApiError(400, f"A JSON Patch is an array of operations, e.g. {PATCH_EXAMPLE}.")
    try:
        patched = jsonpatch.JsonPatch(operations).apply(document)
    except jsonpatch.JsonPatchTestFailed as exc:
        raise ApiError(409, f"The patch's test failed: {exc}; nothing was changed.") from None
    except (jsonpatch.JsonPatchException, jsonpointer.JsonPointerException) as exc:
        # jsonpointer appends the whole record to its sentence; the path is what matters.
        reason = str(exc).split(" in {")[0]
        raise ApiError(
            400, f"The patch cannot be applied: {reason}; nothing was changed."
        ) from None
    fixed = sorted(
        k
        for k in set(document) | set(patched)
        if k not in editable and document.get(k) != patched.get(k)
    )
    if fixed:
        raise ApiError(
            422, f"{', '.join(fixed)} cannot be changed; a patch may change {', '.join(editable)}."
        )
    return {
        name: patched.get(key)
        for key, name in editable.items()
        if patched.get(key) != document.get(key)
    }


def done() -> dict:
    """The module's answer to a change that has nothing else to say."""
    return {"value": True}


@dataclass
class Reply:
    """A handler's answer when its status is not the route's usual one."""

    status: int
    document: object
