"""What a served route's handler gets: the request's parts, its JSON body, who is calling,
and the keyring; and the helpers every write handler uses to read a body or a JSON Patch."""

from __future__ import annotations

from dataclasses import dataclass, field

from webhook_desk.platform.mock_endpoints import ApiError, Request
from webhook_desk.secrets import SecretStore
from webhook_desk.services import json_patch


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
    """The changes the call's JSON Patch makes to `document` (services/json_patch.py)."""
    return json_patch.changes(document, call.body, editable)


def done() -> dict:
    """The module's answer to a change that has nothing else to say."""
    return {"value": True}


@dataclass
class Reply:
    """A handler's answer when its status is not the route's usual one."""

    status: int
    document: object
