"""Values read from the platform's history, checked one field at a time before anything is
stored: a wrong value is refused with a sentence that names the field, never coerced to text
or cut to fit a column (a null event once became the event "None"; long hashes were cut to 36
characters and two deliveries merged into one)."""

from __future__ import annotations

import json
import re

# Characters a database cannot keep as text: PostgreSQL refuses NUL; neither encodes a lone
# UTF-16 surrogate (JSON may write one, "\ud800", and Python reads it as is).
_NOT_TEXT = re.compile("[\x00\ud800-\udfff]")


class FormatError(ValueError):
    """An item or record is not in the shape the platform writes; the text says what is wrong."""


class TooLongNumber:
    """An integer with more digits than Python reads (4,300): kept as this marker so that the
    field holding it is named, instead of the parser failing with no place in the file."""

    def __init__(self, digits: int):
        self.digits = digits

    def __repr__(self) -> str:
        return f"<a number of {self.digits:,} digits>"


def _integer(digits: str):
    try:
        return int(digits)
    except ValueError:
        return TooLongNumber(len(digits))


def decoder() -> json.JSONDecoder:
    """The JSON decoder for platform files (see TooLongNumber)."""
    return json.JSONDecoder(parse_int=_integer)


def kind(value) -> str:
    """What a JSON value is, in the words of a sentence."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "true/false"
    if isinstance(value, TooLongNumber):
        return f"a number of {value.digits:,} digits"
    names = {dict: "an object", list: "a list", str: "text", int: "a number", float: "a number"}
    return names.get(type(value), type(value).__name__)


def text(value, name: str, limit: int | None = None) -> str:
    """`value` when it is text that fits in `limit` characters and a database can keep."""
    if not isinstance(value, str):
        raise FormatError(f"{name} is {kind(value)}, not text")
    if limit is not None and len(value) > limit:
        raise FormatError(f"{name} is {len(value):,} characters long; at most {limit} fit")
    found = _NOT_TEXT.search(value)
    if found:
        what = "a NUL character" if found.group() == "\x00" else "a lone UTF-16 surrogate"
        raise FormatError(f"{name} holds {what} (\\u{ord(found.group()):04x}), which is not text")
    return value


def optional_text(value, name: str, limit: int | None = None) -> str | None:
    return None if value is None else text(value, name, limit)


def identifier(value, name: str, limit: int = 100) -> int | str:
    """An id the platform writes as a number or as text."""
    if isinstance(value, int) and not isinstance(value, bool):
        text(str(value), name, limit)  # the digits must fit where the id is kept
        return value
    if isinstance(value, str):
        return text(value, name, limit)
    raise FormatError(f"{name} is {kind(value)}, not an id")


def body(value, name: str) -> str:
    """A request or response body: text as it is, a JSON object or list as its JSON text."""
    if value is None:
        return ""
    if isinstance(value, str):
        return text(value, name)
    if not isinstance(value, dict | list):
        raise FormatError(f"{name} is {kind(value)}, not text or JSON")

    def refuse(odd):
        raise FormatError(f"{name} holds {kind(odd)}")

    try:
        return json.dumps(value, default=refuse)
    except RecursionError:
        raise FormatError(f"{name} nests deeper than can be read") from None


def status_code(value, name: str) -> int:
    """An HTTP status code: 100 to 599, as a number or its digits."""
    if isinstance(value, str) and value.isascii() and value.isdigit() and len(value) <= 3:
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or not 100 <= value <= 599:
        plain = isinstance(value, int | str) and not isinstance(value, bool)
        shown = f"'{value}'" if plain and len(str(value)) < 20 else kind(value)
        raise FormatError(f"{name} {shown} is not an HTTP status code (100-599)")
    return value
