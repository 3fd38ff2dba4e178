"""Importing files an attacker or a broken exporter wrote: memory stays a few times the file's
size, and every wrong value is refused with one sentence naming the record (its line) and the
field, with nothing stored and nothing coerced or cut to fit."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from webhook_desk.errors import InvalidInput
from webhook_desk.history.importer import MAX_FILE_MB, import_file

FIXTURES = Path(__file__).parent / "fixtures"
SEED_V1 = FIXTURES / "centrepoint_v1_history_seed002.json"
MEMORY_BOUND = 8  # times the file's size, above what the interpreter held before


def _seed(name: str):
    from webhook_desk.history.centrepoint_format import loads_lenient

    return loads_lenient((FIXTURES / name).read_text())  # the seeds' trailing commas


def seed_page() -> dict:
    return _seed("centrepoint_v3_history_seed001.json")


def seed_records() -> list:
    return _seed("centrepoint_v1_history_seed002.json")


def stored(db) -> list[tuple]:
    """Every delivery and attempt column a user can see, to tell "unchanged" exactly."""
    from sqlalchemy import select

    from webhook_desk.db.models import Delivery

    with db.session() as session:
        return [
            (
                d.uuid, d.event_code, d.payload, d.status, d.error, d.study_id, d.remote_id,
                [(a.number, a.response_code, a.error, a.response_body, a.request_headers)
                 for a in d.attempts],
            )
            for d in session.scalars(select(Delivery).order_by(Delivery.uuid))
        ]  # fmt: skip


MEASURE = """
import resource, sys
from webhook_desk.history.importer import import_file
from webhook_desk.services.startup import open_database
db = open_database(sys.argv[2])
before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
import_file(db, sys.argv[1])
print((resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) * 1024)
"""


def test_a_file_with_one_50_mb_string_imports_within_a_few_times_its_size(tmp_path):
    page = seed_page()
    body = json.loads(page["items"][0]["request"]["body"])
    body["note"] = "x" * 50_000_000
    page["items"][0]["request"]["body"] = json.dumps(body)
    path = tmp_path / "big.json"
    path.write_text(json.dumps(page, indent=2).replace("}\n  ],", "},\n  ],", 1))  # a comma too
    done = subprocess.run(
        [sys.executable, "-c", MEASURE, str(path), f"sqlite:///{tmp_path / 'db.sqlite3'}"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr
    grown = int(done.stdout)
    assert grown < MEMORY_BOUND * path.stat().st_size, f"{grown / 1e6:.0f} MB for 50 MB"


def test_a_file_over_the_size_limit_is_refused_with_a_sentence(sqlite_db, tmp_path):
    path = tmp_path / "huge.json"
    with path.open("wb") as out:
        out.truncate((MAX_FILE_MB + 1) * 1024 * 1024)  # sparse: no disk used, nothing read
    with pytest.raises(InvalidInput) as raised:
        import_file(sqlite_db, path)
    assert str(raised.value) == (
        f"huge.json is {MAX_FILE_MB + 1} MB; files of up to {MAX_FILE_MB} MB can be imported, "
        "so split it (the platform exports history in pages)."
    )


def _v3(change) -> str:
    page = seed_page()
    change(page["items"][0])
    return json.dumps(page, indent=2)


def _v1(change) -> str:
    records = seed_records()
    change(records[0])
    return json.dumps(records, indent=2)


def _set(*path_and_value):
    *path, value = path_and_value

    def change(item):
        for key in path[:-1]:
            item = item[key]
        item[path[-1]] = value

    return change


def _body_with(key, value):
    def change(item):
        body = json.loads(item["request"]["body"])
        body[key] = value
        item["request"]["body"] = json.dumps(body)

    return change


def _delivery_header(value):
    def change(item):
        headers = json.loads(item["request"]["headers"])
        headers["X-ActiGraph-Delivery"] = [value]
        item["request"]["headers"] = json.dumps(headers)

    return change


DIGITS = "9" * 5000
LONG_HASH = "0f9G3fde-8Baf-0c83-1591-517307kpp19c-2"  # the seed's, and two more characters
MUTATIONS = [
    ("code at 2**63", _v3(_set("response", "responseCode", 2**63)),
     "line 3: response.responseCode '9223372036854775808' is not an HTTP status code (100-599)."),
    ("5,000-digit id", _v3(_set("webhookId", "@DIGITS@")).replace('"@DIGITS@"', DIGITS),
     "line 3: webhookId is a number of 5,000 digits, not an id."),
    ("5,000-digit code", _v1(_set("Response", "ResponseCode", "@D@")).replace('"@D@"', DIGITS),
     "line 2: Response.ResponseCode a number of 5,000 digits is not an HTTP status code "
     "(100-599)."),
    ("100k-deep nesting", _v3(_set("request", "body", "@DEEP@")).replace(
        '"@DEEP@"', "[" * 100_000 + "]" * 100_000),
     f"nests its JSON deeper than {sys.getrecursionlimit():,} levels; expected CentrePoint v3 "
     "history pages or a list of v1 history records."),
    ("event is a list", _v3(_set("webhookEvent", ["upload"])),
     "line 3: webhookEvent is a list, not text."),
    ("event is an object", _v1(_set("WebhookEvent", {})),
     "line 2: WebhookEvent is an object, not text."),
    ("event is null", _v3(_set("webhookEvent", None)),
     "line 3: webhookEvent is null, not text."),
    ("lone surrogate", _v3(_set("webhookEvent", "upload\ud800")),
     "line 3: webhookEvent holds a lone UTF-16 surrogate (\\ud800), which is not text."),
    ("NUL", _v1(_set("ErrorMessage", "refused\x00")),
     "line 2: ErrorMessage holds a NUL character (\\u0000), which is not text."),
    ("date overflow", _v3(_set("createdDate", "9999-12-31T23:59:59-05:00")),
     "line 3: createdDate '9999-12-31T23:59:59-05:00' is not a date."),
    ("over-long event", _v3(_set("webhookEvent", "e" * 101)),
     "line 3: webhookEvent is 101 characters long; at most 100 fit."),
    ("over-long study", _v3(_body_with("studyId", "s" * 101)),
     "line 3: studyId in request.body is 101 characters long; at most 100 fit."),
    ("study is an object", _v3(_body_with("studyId", {"id": 8})),
     "line 3: studyId in request.body is an object, not text."),
    ("body is a number", _v1(_set("Request", "Body", 7)),
     "line 2: Request.Body is a number, not text or JSON."),
    ("over-long v1 hash", _v1(_set("WebhookDeliveryHash", LONG_HASH)),
     "line 2: WebhookDeliveryHash is 38 characters long; at most 36 fit."),
    ("over-long v3 hash", _v3(_delivery_header(LONG_HASH)),
     "line 3: the X-ActiGraph-Delivery header is 38 characters long; at most 36 fit."),
    ("header value is an object", _v1(_set("Request", "Headers", {"Host": {"name": "x"}})),
     "line 2: the Host header in Request.Headers is an object, not text."),
]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "message"), [m[1:] for m in MUTATIONS], ids=[m[0] for m in MUTATIONS]
)
def test_each_kind_of_wrong_value_is_one_sentence_and_nothing_is_stored(
    any_db, tmp_path, text, message
):
    import_file(any_db, SEED_V1)
    before = stored(any_db)
    (tmp_path / "mutated.json").write_text(text)
    with pytest.raises(InvalidInput) as raised:
        import_file(any_db, tmp_path / "mutated.json")
    assert str(raised.value).startswith("mutated.json ")
    assert str(raised.value).endswith(message)
    assert "\n" not in str(raised.value)
    assert stored(any_db) == before


# ---- any mutation of the seeds: the same records, or one sentence and nothing changed -------

HOSTILE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(min_value=-(2**70), max_value=2**70),
    st.floats(allow_nan=False),
    st.text(max_size=40),
    st.text(alphabet=st.sampled_from("a\x00\ud800\udfff€ "), max_size=8),
    st.sampled_from(["", "e" * 101, "x" * 37, "9999-12-31T23:59:59-05:00", "2019-06-03"]),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.integers(), max_size=2),
)
V3_FIELDS = [("id",), ("webhookId",), ("webhookEvent",), ("createdDate",), ("lastSentDate",),
             ("errorMessage",), ("request",), ("request", "headers"), ("request", "body"),
             ("response",), ("response", "responseCode"), ("response", "headers"),
             ("response", "body")]  # fmt: skip
V1_FIELDS = [("Id",), ("WebhookId",), ("WebhookDeliveryHash",), ("WebhookEvent",), ("Created",),
             ("LastSent",), ("ErrorMessage",), ("Request", "Body"), ("Response", "ResponseCode"),
             ("Response", "Body")]  # fmt: skip


# For a mutated field whose file imported: where its value must now be, exactly as written.
FAITHFUL = {
    "webhookevent": lambda value, rows: value in [r[1] for r in rows],
    "errormessage": lambda value, rows: value in [a[2] for r in rows for a in r[7]],
    "webhookdeliveryhash": lambda value, rows: value in ("", None) or value in [r[0] for r in rows],
    "webhookid": lambda value, rows: str(value) in [r[6] for r in rows],
    "responsecode": lambda value, rows: int(value) in [a[1] for r in rows for a in r[7]],
}


def _mutate_and_import(db, tmp_path, v3: bool, field, value) -> None:
    text = _v3(_set(*field, value)) if v3 else _v1(_set(*field, value))
    path = tmp_path / "mutated.json"
    path.write_text(text)
    try:
        import_file(db, path)
    except InvalidInput as refused:
        assert str(refused).startswith("mutated.json ") and "\n" not in str(refused)
        assert stored(db) == []
        return
    check = FAITHFUL.get(field[-1].lower())
    as_read = json.loads(json.dumps(value))  # JSON joins a surrogate pair into one character
    assert check is None or value is None or check(as_read, stored(db)), (field, value)


def _empty(db) -> None:
    from sqlalchemy import delete

    from webhook_desk.db.models import Delivery

    with db.session() as session:
        session.execute(delete(Delivery))


@settings(
    max_examples=80,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(v3=st.booleans(), pick=st.integers(min_value=0, max_value=99), value=HOSTILE)
def test_any_mutated_seed_imports_faithfully_or_is_refused_whole(
    sqlite_db, tmp_path, v3, pick, value
):
    fields = V3_FIELDS if v3 else V1_FIELDS
    try:
        _mutate_and_import(sqlite_db, tmp_path, v3, fields[pick % len(fields)], value)
    finally:
        _empty(sqlite_db)


SEED_TEXTS = [
    (FIXTURES / "centrepoint_v3_history_seed001.json").read_text(),
    SEED_V1.read_text(),
]


@settings(
    max_examples=80,
    deadline=2000,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    which=st.sampled_from([0, 1]),
    at=st.floats(min_value=0, max_value=1, exclude_max=True),
    cut=st.integers(min_value=0, max_value=3),
    insert=st.text(alphabet='{}[]",:0\\\x00\ud800 9e-', max_size=3),
)
def test_any_edit_of_the_seed_text_imports_or_is_refused_whole(
    sqlite_db, tmp_path, which, at, cut, insert
):
    text = SEED_TEXTS[which]
    place = int(at * len(text))
    path = tmp_path / "edited.json"
    path.write_text(text[:place] + insert + text[place + cut :], errors="surrogatepass")
    try:
        import_file(sqlite_db, path)
    except InvalidInput as refused:
        assert str(refused).startswith("edited.json") and "\n" not in str(refused)
        assert stored(sqlite_db) == []
    finally:
        _empty(sqlite_db)
