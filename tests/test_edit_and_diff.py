"""A tester edits a delivery's payload and resends it, then asks what is different between two
requests: deliveries, attempts or the receiver's captures, compared by structure."""

from __future__ import annotations

import json

import jsonpatch
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from receiver_client import captured

from webhook_desk.db.models import AuditEntry, Delivery
from webhook_desk.engine.sender import Timeouts
from webhook_desk.errors import InvalidInput, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.services import (
    catalog,
    delivery_detail,
    edit_resend,
    firing,
    json_diff,
    json_lines,
    registrations,
    request_diff,
    resend,
)
from webhook_desk.services.delivery_engine import new_engine
from webhook_desk.services.registrations import RegistrationInput

# --- the structural diff, checked against an independent JSON Patch implementation --------

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=5),
    lambda inner: (
        st.lists(inner, max_size=4)
        | st.dictionaries(st.text(alphabet="ab/~c", max_size=3), inner, max_size=4)
    ),
    max_leaves=12,
)


@settings(max_examples=300, deadline=None)
@given(json_values, json_values)
def test_the_patch_from_a_to_b_turns_a_into_b(a, b):
    patch = json_diff.json_patch(a, b)
    assert jsonpatch.apply_patch(a, patch) == b
    assert (patch == []) == (json.dumps(a, sort_keys=True) == json.dumps(b, sort_keys=True))


def _all_paths(data, path="", key=None, depth=0):
    """(pointer, its key when its parent is an object, depth, value) for every value."""
    yield path, key, depth, data
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _all_paths(v, json_diff.pointer(path, k), k, depth + 1)
    elif isinstance(data, list):
        for i, v in enumerate(data):
            yield from _all_paths(v, json_diff.pointer(path, i), None, depth + 1)


@settings(max_examples=200, deadline=None)
@given(json_values)
def test_each_value_is_found_on_the_line_it_starts(data):
    text_lines = json_lines.pretty(data).split("\n")
    walked = list(_all_paths(data))
    found = json_lines.line_numbers(data, [path for path, *_ in walked])
    for path, key, depth, value in walked:
        label = "" if key is None else json.dumps(key, ensure_ascii=False) + ": "
        first = json_lines.pretty(value).split("\n")[0]
        assert text_lines[found[path]].removesuffix(",") == "  " * depth + label + first


def test_objects_compare_by_key_in_any_order_and_arrays_by_position():
    a = {"studyId": 1, "files": ["a", "b", "c"], "meta": {"x": 1}}
    b = {"meta": {"x": 2, "y": True}, "files": ["a", "B"], "studyId": 1}
    assert [(c.kind, c.path) for c in json_diff.changes(a, b)] == [
        ("changed", "/files/1"),
        ("removed", "/files/2"),
        ("changed", "/meta/x"),
        ("added", "/meta/y"),
    ]


def test_true_and_1_differ_but_1_and_1_point_0_do_not():
    assert json_diff.changes({"v": True}, {"v": 1}) != []
    assert json_diff.changes({"v": 1}, {"v": 1.0}) == []


# --- edit and resend, end to end over the built-in receiver --------------------------------


@pytest.fixture
def db(catalog_db):
    return catalog_db


@pytest.fixture
def receiver(built_in_receiver):
    return built_in_receiver


def _register(db, url) -> int:
    data = RegistrationInput(url=url, auth_type="hmac", is_development=True, events=["upload"])
    with db.session() as session:
        reg, _ = registrations.add(session, SecretStore(), data, secret="shared secret")
        return reg.id


def _deliver(db):
    new_engine(db, SecretStore(), timeouts=Timeouts(connect=1, total=3)).run_until_idle()


def _edited_sample(db, **changes) -> str:
    with db.session() as session:
        sample = catalog.sample_payload(catalog.get_event(session, "upload"))
    return json.dumps({**sample, **changes})


def _delivered_upload(db, receiver) -> int:
    """An upload to a registration at the receiver, delivered signed; its number."""
    reg_id = _register(db, receiver.url + "hooks")
    receiver.refresh_secrets()
    with db.session() as session:
        (sent,) = firing.fire(session, "upload", to_registration=reg_id)
        sent_id = sent.id
    _deliver(db)
    return sent_id


def test_an_edited_resend_arrives_signed_and_linked_to_the_original(db, receiver):
    original_id = _delivered_upload(db, receiver)
    edited = _edited_sample(db, studyId=4242)
    with db.session() as session:
        copy = edit_resend.resend_edited(session, original_id, edited, reason="wrong study")
        copy_id, copy_uuid = copy.id, copy.uuid
    _deliver(db)

    arrived = [row for row in captured(receiver) if row["delivery_id"] == copy_uuid]
    assert len(arrived) == 1
    assert arrived[0]["signature"] == "valid"  # signed afresh with the current secret
    assert json.loads(arrived[0]["body"])["studyId"] == 4242
    with db.session() as session:
        assert session.get(Delivery, copy_id).resent_from_id == original_id
        entry = session.query(AuditEntry).filter_by(action="resend_edited").one()
        assert entry.reason == "wrong study"
        assert entry.after["payload_patch"] == [
            {"op": "replace", "path": "/studyId", "value": 4242}
        ]


def test_an_edited_payload_that_breaks_the_schema_is_refused_and_nothing_is_queued(db, receiver):
    reg_id = _register(db, receiver.url + "hooks")
    with db.session() as session:
        (original,) = firing.fire(session, "upload", to_registration=reg_id)
        original_id = original.id
    broken = _edited_sample(db, studyId="not a number")
    with db.session() as session, pytest.raises(InvalidInput, match="studyId"):
        edit_resend.resend_edited(session, original_id, broken)
    with db.session() as session:
        assert session.query(Delivery).count() == 1


def test_an_edited_resend_can_go_to_another_url(db, receiver):
    reg_id = _register(db, receiver.url + "hooks")
    with db.session() as session:
        (original,) = firing.fire(session, "upload", to_registration=reg_id)
        copy = edit_resend.resend_edited(
            session, original.id, _edited_sample(db), url=receiver.url + "elsewhere"
        )
        assert (copy.registration_id, copy.target_url) == (None, receiver.url + "elsewhere")


# --- comparing two requests ---------------------------------------------------------------


def test_two_deliveries_compare_by_body_structure_and_answer(db, receiver):
    reg_id = _register(db, receiver.url + "hooks")
    with db.session() as session:
        (first,) = firing.fire(session, "upload", to_registration=reg_id)
        second = edit_resend.resend_edited(session, first.id, _edited_sample(db, studyId=7))
        ids = first.id, second.id
    _deliver(db)
    with db.session() as session:
        result = request_diff.diff(session, str(ids[0]), str(ids[1]))
    assert result["body"]["json"] is True
    assert result["body"]["patch"] == [{"op": "replace", "path": "/studyId", "value": 7}]
    changed_headers = {c["path"] for c in result["headers"]}
    assert "/x-actigraph-delivery" in changed_headers  # each delivery has its own id
    assert "/x-actigraph-event" not in changed_headers


def test_a_delivery_compares_with_what_the_receiver_captured(db, receiver):
    sent_id = _delivered_upload(db, receiver)
    capture_id = [row for row in captured(receiver) if row["event"] == "upload"][-1]["id"]
    with db.session() as session:
        result = request_diff.diff(session, str(sent_id), f"capture:{capture_id}")
    assert result["body"]["same"] is True


@pytest.mark.parametrize(
    ("ref", "error", "sentence"),
    [
        ("attempt:999", NotFound, "No attempt 999."),
        ("capture:999", NotFound, "No capture 999 in the receiver's inbox."),
        ("capture:x", InvalidInput, "use DELIVERY, attempt:ID or capture:ID"),
        ("thing:1", InvalidInput, "use DELIVERY, attempt:ID or capture:ID"),
        ("999", NotFound, "No delivery 999."),
    ],
)
def test_an_unknown_reference_is_one_sentence(db, ref, error, sentence):
    with db.session() as session, pytest.raises(error, match=sentence.replace(".", r"\.")):
        request_diff.load(session, ref)


def test_the_detail_shows_the_edit_link_both_ways(db, receiver):
    reg_id = _register(db, receiver.url + "hooks")
    with db.session() as session:
        (original,) = firing.fire(session, "upload", to_registration=reg_id)
        plain = resend.resend(session, original.id)
        edited = edit_resend.resend_edited(session, original.id, _edited_sample(db, studyId=9))
        ids = original.id, plain.id, edited.id
    with db.session() as session:
        assert delivery_detail.detail(session, ids[0])["resends"] == [
            {"id": ids[1], "edited": False},
            {"id": ids[2], "edited": True},
        ]
        assert delivery_detail.detail(session, ids[2])["resent_from"] == {
            "id": ids[0],
            "edited": True,
        }
        assert delivery_detail.detail(session, ids[0])["resent_from"] is None


# --- the same from the command line -------------------------------------------------------


def test_cli_resend_edit_then_diff_json_gives_the_patch(db, receiver, cli, tmp_path):
    reg_id = _register(db, receiver.url + "hooks")
    fired = cli("fire", "upload", "--to", reg_id, "--json", db=db).json()
    original = fired[0]["id"] if isinstance(fired, list) else fired["id"]
    payload = tmp_path / "edited.json"
    payload.write_text(_edited_sample(db, studyId=31))
    result = cli("resend", original, "--edit", payload, "--reason", "typo", "--json", db=db)
    assert result.code == 0, result.err
    copy = result.json()
    assert (copy["resent_from_id"], copy["edited"]) == (original, True)

    diff = cli("diff", original, copy["id"], "--json", db=db)
    assert diff.code == 0, diff.err
    assert diff.json()["body"]["patch"] == [{"op": "replace", "path": "/studyId", "value": 31}]
    text = cli("diff", original, copy["id"], db=db).out
    assert "body /studyId: - " in text and "+ 31" in text


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (["resend", "1", "--url", "http://127.0.0.1:9/x"], "--to and --url go with --edit"),
        (["resend", "--all-matching", "--edit", "x.json"], "--edit resends one delivery"),
        (["diff", "capture:nope", "1"], "use DELIVERY, attempt:ID or capture:ID"),
    ],
)
def test_cli_mistakes_are_one_line(db, cli, argv, sentence):
    result = cli(*argv, db=db)
    assert result.code != 0
    assert sentence in result.err and result.err.count("\n") == 1


# --- headers of the tester's own ----------------------------------------------------------


def test_an_edited_resend_carries_the_testers_headers_and_is_still_signed(
    db, receiver, cli, tmp_path
):
    reg_id = _register(db, receiver.url + "hooks")
    receiver.refresh_secrets()
    with db.session() as session:
        (original,) = firing.fire(session, "upload", to_registration=reg_id)
        original_id = original.id
    payload = tmp_path / "same.json"
    with db.session() as session:
        payload.write_text(session.get(Delivery, original_id).payload)
    result = cli(
        "resend", original_id, "--edit", payload, "--header", "X-Test-Case: 42",
        "--header", "content-type: application/json", "--json", db=db,
    )  # fmt: skip
    assert result.code == 0, result.err
    copy_id = result.json()["id"]
    with db.session() as session:
        again = resend.resend(session, copy_id)  # a plain resend keeps them
        ids = {copy_id, again.id}
    _deliver(db)
    uuids = {}
    with db.session() as session:
        uuids = {session.get(Delivery, i).uuid for i in ids}
    arrived = [row for row in captured(receiver) if row["delivery_id"] in uuids]
    assert len(arrived) == 2
    for row in arrived:
        headers = {name.lower(): value for name, value in row["headers"].items()}
        assert headers["x-test-case"] == "42"
        assert headers["content-type"] == "application/json"  # one, the tester's
        assert row["signature"] == "valid"


@pytest.mark.parametrize(
    ("line", "sentence"),
    [
        ("X-ActiGraph-Signature: abc", "X-ActiGraph-Signature is set by the sender"),
        ("Cookie: session=1", "Cookie carries a secret and would be stored with the delivery"),
        ("Bad Name: x", "'Bad Name' is not a header name"),
        ("NoColonHere", "Header line 1 needs a colon: Name: value."),
    ],
)
def test_headers_that_cannot_be_edited_are_refused_in_one_sentence(
    db, cli, tmp_path, line, sentence
):
    with db.session() as session:
        (original,) = firing.fire(session, "upload", url="http://127.0.0.1:9/x")
        payload = tmp_path / "p.json"
        payload.write_text(original.payload)
        original_id = original.id
    result = cli("resend", original_id, "--edit", payload, "--header", line, db=db)
    assert result.code == 1 and sentence in result.err
    with db.session() as session:
        assert session.query(Delivery).count() == 1
