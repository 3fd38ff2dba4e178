"""The one rule for secrets in headers: a scheme word may be kept, the value never."""

from __future__ import annotations

import os

import pytest

from webhook_desk import redaction
from webhook_desk.errors import InvalidInput
from webhook_desk.redaction import Redactor, redacted

SECRET = "s3cr3t-VALUE"


@pytest.mark.parametrize(
    ("name", "value", "kept"),
    [
        ("Authorization", f"Basic {SECRET}", "Basic [redacted]"),
        ("Authorization", SECRET, "[redacted]"),  # no scheme word: nothing of it kept
        ("Authorization", f"Basic\t{SECRET}", "Basic [redacted]"),
        ("authorization", f"  bearer   {SECRET} ", "bearer [redacted]"),
        ("AUTHORIZATION", f"{SECRET} more", "[redacted]"),  # the first word is no scheme
        ("Proxy-Authorization", f"Digest {SECRET}", "Digest [redacted]"),
        ("Cookie", f"session={SECRET}; theme=dark", "[redacted]"),
        ("Set-Cookie", f"id={SECRET}; HttpOnly", "[redacted]"),
        ("X-ActiGraph-Hook-Secret", SECRET, "[redacted]"),
        ("x-actigraph-hook-secret", f"Basic {SECRET}", "Basic [redacted]"),
    ],
)
def test_each_secret_header_form_keeps_at_most_its_scheme(name, value, kept):
    shown = redacted({name: value, "X-Other": "visible"})
    assert shown == {name: kept, "X-Other": "visible"}


def test_list_values_from_the_platform_are_redacted_one_by_one():
    assert redacted({"Authorization": [f"Bearer {SECRET}", SECRET]}) == {
        "Authorization": ["Bearer [redacted]", "[redacted]"]
    }


def test_credentials_sent_are_scrubbed_from_what_came_back():
    import base64

    basic = base64.b64encode(f"ann:{SECRET}".encode()).decode()
    seen = Redactor().knowing({"Authorization": f"Basic {basic}", "X-Hook": "not secret"})
    echoed = f'{{"auth": "Basic {basic}", "password": "{SECRET}", "h": "not secret"}}'
    assert seen.text(echoed) == (
        '{"auth": "[redacted]", "password": "[redacted]", "h": "not secret"}'
    )
    assert seen.body(echoed.encode()) == seen.text(echoed).encode()
    assert seen.headers({"X-Echo": basic}) == {"X-Echo": "[redacted]"}


def test_the_users_headers_join_the_list_and_bad_names_get_a_sentence(sqlite_db):
    with sqlite_db.session() as session:
        kept = redaction.set_user_header_names(session, ["X-Api-Key", "authorization", " x-Token "])
    assert kept == ["X-Api-Key", "x-Token"]  # Authorization is on the list already
    with sqlite_db.session() as session:
        shown = redaction.redactor(session).headers({"x-api-key": SECRET, "X-TOKEN": SECRET})
    assert shown == {"x-api-key": "[redacted]", "X-TOKEN": "[redacted]"}
    with sqlite_db.session() as session, pytest.raises(InvalidInput) as refused:
        redaction.set_user_header_names(session, ["X-Ok", "X Api: Key"])
    assert str(refused.value) == (
        "'X Api: Key' is not a header name: use letters, digits and - only (no spaces or colon)."
    )
    with sqlite_db.session() as session:
        assert redaction.user_header_names(session) == ["X-Api-Key", "x-Token"]  # unchanged


def test_a_header_named_secret_later_is_redacted_wherever_it_is_shown(sqlite_db):
    """Kept before the user named it; from then on the inbox and a diff show it redacted."""
    from webhook_desk.db.models import ReceivedRequest
    from webhook_desk.receiver import inbox
    from webhook_desk.services import request_diff

    with sqlite_db.session() as session:
        for n in (1, 2):
            session.add(
                ReceivedRequest(
                    method="POST", path="/h", headers={"X-Later": f"{SECRET}-{n}"}, body=b"{}",
                    status_code=200,
                )
            )  # fmt: skip
    with sqlite_db.session() as session:
        redaction.set_user_header_names(session, ["x-later"])
    with sqlite_db.session() as session:
        listed = [row["headers"] for row in inbox.recent(session)]
        compared = request_diff.diff(session, "capture:1", "capture:2")
    assert listed == [{"X-Later": "[redacted]"}] * 2
    assert SECRET not in repr(compared)


def test_a_credential_too_short_to_search_for_leaves_the_body_alone():
    seen = Redactor().knowing({"Authorization": "Bearer ab", "Cookie": "x=1"})
    assert seen.body(b'{"tab": "ab"}') == b'{"tab": "ab"}'
    assert seen.headers({"Authorization": "Bearer ab"}) == {"Authorization": "Bearer [redacted]"}


def test_naming_a_header_secret_redacts_what_was_already_stored_under_it(any_db):
    from webhook_desk.db.models import ReceivedRequest
    from webhook_desk.services.secret_headers import name_secret_headers

    with any_db.session() as session:
        for n in range(3):
            headers = {"x-later": f"{SECRET}-{n}"} if n else {"X-Other": "kept"}
            session.add(
                ReceivedRequest(
                    method="POST", path="/h", headers=headers, body=b"{}", status_code=200
                )
            )
    assert name_secret_headers(any_db, ["X-Later"]) == ["X-Later"]
    with any_db.session() as session:
        stored = [r.headers for r in session.query(ReceivedRequest).order_by(ReceivedRequest.id)]
    assert stored == [{"X-Other": "kept"}, {"x-later": "[redacted]"}, {"x-later": "[redacted]"}]
    if any_db.engine.dialect.name == "sqlite":  # nor in freed pages or the WAL
        path = any_db.engine.url.database
        files = [p for p in (path, path + "-wal") if os.path.exists(p)]
        assert SECRET.encode() not in b"".join(open(p, "rb").read() for p in files)
