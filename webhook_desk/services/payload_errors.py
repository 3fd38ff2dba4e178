"""A payload checked against its event's JSON Schema, told as sentences a tester can act on.

jsonschema's own messages are written for schema authors ("'x' does not match '^\\d{4}...'");
these name the field path first ("files[0].file_size: ...") and say what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:
    from jsonschema.exceptions import ValidationError

ROOT = "payload"
_TYPE_WORDS = {
    "object": "an object",
    "array": "an array",
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "null": "null",
}


def payload_problems(schema: dict, payload) -> list[str]:
    """Every problem with `payload`, one sentence each, sorted by field path."""
    # jsonschema costs a good part of every start-up (a CLI verb, the window) that checks no
    # payload: it loads here, when the first payload is checked.
    from jsonschema import Draft202012Validator

    validator = Draft202012Validator(schema)
    sentences: list[str] = []
    for error in validator.iter_errors(payload):
        sentences.extend(_sentences(error, schema))
    return sorted(dict.fromkeys(sentences))


def field_path(parts) -> str:
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _show(value) -> str:
    if isinstance(value, str):
        return repr(value)
    text = json.dumps(value, ensure_ascii=False)
    return text if len(text) <= 60 else text[:57] + "..."


def _got(value) -> str:
    if isinstance(value, bool):
        return f"the boolean {_show(value)}"
    if value is None:
        return "null"
    if isinstance(value, int | float):
        return f"the number {_show(value)}"
    if isinstance(value, str):
        return f"the string {_show(value)}"
    return "an array" if isinstance(value, list) else "an object"


def _expected(types) -> str:
    words = [_TYPE_WORDS.get(t, t) for t in ([types] if isinstance(types, str) else types)]
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def _sentences(error: ValidationError, root: dict) -> Iterator[str]:
    path = field_path(error.absolute_path)
    where = path or ROOT
    # jsonschema types these as "or Unset"; a raised ValidationError has them all set.
    kind, expected, value = str(error.validator), cast(Any, error.validator_value), error.instance
    if kind == "required":
        condition = _condition(root, error)
        for name in expected:
            if isinstance(value, dict) and name not in value:
                yield f"{_join(path, name)}: required field is missing{condition}"
    elif kind == "additionalProperties":
        known = set(_schema(error).get("properties", {}))
        for name in cast(Any, value):
            if name not in known:
                yield f"{_join(path, name)}: unexpected field"
    elif kind in ("anyOf", "oneOf"):
        yield from _alternatives(error, root)
    else:
        yield f"{where}: {_simple(kind, expected, value, error)}"


def _simple(kind: str, expected, value, error: ValidationError) -> str:
    if kind == "type":
        return f"expected {_expected(expected)}, got {_got(value)}"
    if kind == "enum":
        return f"{_show(value)} is not one of {', '.join(_show(v) for v in expected)}"
    if kind == "const":
        return f"must be {_show(expected)}, not {_show(value)}"
    if kind == "pattern":
        title = _schema(error).get("title")
        if title:
            return f"{_show(value)} is not {title}"
        return f"{_show(value)} does not match the pattern {expected}"
    if kind in ("minimum", "exclusiveMinimum"):
        return f"{_show(value)} is below the minimum of {expected}"
    if kind in ("maximum", "exclusiveMaximum"):
        return f"{_show(value)} is above the maximum of {expected}"
    if kind == "minLength":
        return "must not be empty" if expected == 1 else f"needs at least {expected} characters"
    if kind == "maxLength":
        return f"is longer than {expected} characters"
    if kind == "minItems":
        return f"needs at least {expected} item{'s' if expected != 1 else ''}"
    if kind == "minProperties":
        return f"needs at least {expected} field{'s' if expected != 1 else ''}"
    if kind == "False":
        return "is not allowed here"
    return error.message


def _schema(error: ValidationError) -> dict:
    return cast(dict, error.schema)


def _alternatives(error: ValidationError, root: dict) -> Iterator[str]:
    """A nullable field (anyOf [X, null]) reads as X's problem, 'or null'."""
    branches = cast(list, error.validator_value)
    nullable = any(b == {"type": "null"} for b in branches)
    for sub in error.context or []:
        branch = branches[cast(int, sub.relative_schema_path[0])]
        if branch == {"type": "null"}:
            continue
        if nullable and sub.validator == "type":
            types = cast(
                list,
                [sub.validator_value]
                if isinstance(sub.validator_value, str)
                else sub.validator_value,
            )
            where = field_path(sub.absolute_path) or ROOT
            yield f"{where}: expected {_expected([*types, 'null'])}, got {_got(sub.instance)}"
            continue
        for sentence in _sentences(sub, root):
            yield sentence + " (or null)" if nullable else sentence


def _condition(root: dict, error: ValidationError) -> str:
    """For a field an if/then rule requires, the rule's condition: ' when status is 'error''."""
    parts = list(error.schema_path)
    if "then" not in parts:
        return ""
    node = root
    try:
        for part in parts[: len(parts) - 1 - parts[::-1].index("then")]:
            node = node[part]
        consts = node["if"]["properties"]
    except (KeyError, IndexError, TypeError):
        return ""
    terms = [f"{k} is {_show(v['const'])}" for k, v in consts.items() if "const" in v]
    return f" when {' and '.join(terms)}" if terms else ""
