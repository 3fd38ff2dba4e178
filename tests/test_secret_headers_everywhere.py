"""Each secret-bearing header, in each form, through the engine, the built-in receiver and
every export: afterwards the database files (WAL included), the inbox and every export are
searched for the secret values, and none may be found."""

from __future__ import annotations

import base64
import json
import uuid

import pytest
import requests
from recording_server import RecordingServer, Reply
from sqlalchemy import select

from webhook_desk import redaction
from webhook_desk.db.models import Delivery
from webhook_desk.engine import validation
from webhook_desk.engine.sender import Timeouts
from webhook_desk.history.export import FORMATS, export
from webhook_desk.history.queries import Filters
from webhook_desk.receiver import inbox
from webhook_desk.receiver.server import Receiver
from webhook_desk.secrets import SecretStore
from webhook_desk.services import catalog, firing, registrations
from webhook_desk.services.delivery_engine import new_engine
from webhook_desk.services.registrations import RegistrationInput

USER_HEADER = "X-Api-Key"  # added by the user in Settings
# The forms a credential arrives in: with and without a scheme word, a tab, runs of spaces,
# odd case, and every secret-bearing header including the user's own.
FORMS = [
    ("Authorization", "Basic {s}"),
    ("Authorization", "{s}"),
    ("Authorization", "Basic\t{s}"),
    ("authorization", "bEaReR    {s}"),
    ("Proxy-Authorization", "Basic {s}"),
    ("Cookie", "session={s}; theme=dark"),
    ("Set-Cookie", "id={s}; HttpOnly"),
    ("X-ActiGraph-Hook-Secret", "{s}"),
    ("x-api-key", "{s}"),
]


@pytest.fixture
def db(sqlite_db, memory_keyring):
    with sqlite_db.session() as session:
        catalog.sync_catalog(session)
        redaction.set_user_header_names(session, [USER_HEADER])
    return sqlite_db


def written_bytes(db) -> bytes:
    path = db.engine.url.database
    found = b""
    for name in (path, path + "-wal", path + "-shm", path + "-journal"):
        try:
            with open(name, "rb") as f:
                found += f.read()
        except FileNotFoundError:
            pass
    return found


def exports(db, folder) -> str:
    """Every export format, per delivery and per attempt, as one text."""
    texts = []
    for fmt in FORMATS:
        for attempts in (False, True):
            target = folder / f"history-{attempts}.{fmt}"
            export(db, Filters(), fmt, target, attempts=attempts)
            texts.append(target.read_bytes().decode("utf-8", "replace"))
    return "\n".join(texts)


def assert_nowhere(db, folder, secrets: dict[str, str]) -> None:
    with db.session() as session:
        shown = json.dumps(inbox.recent(session, 100), default=str)
    everything = {"the inbox": shown, "an export": exports(db, folder)}
    everything["the database files"] = written_bytes(db).decode("utf-8", "replace")
    found = [f"{what} in {where}" for what, secret in secrets.items() for where, text in
             everything.items() if secret in text]  # fmt: skip
    assert found == []


@pytest.mark.parametrize(("name", "template"), FORMS)
def test_a_secret_header_sent_to_the_receiver_is_kept_nowhere(db, tmp_path, name, template):
    secret = f"leak-{uuid.uuid4().hex}"
    receiver = Receiver(db)
    receiver.start("127.0.0.1", 0)
    try:
        answer = requests.post(
            receiver.url + "hook",
            data=json.dumps({"event": "upload"}),
            headers={name: template.format(s=secret)},
            timeout=10,
        )
        assert receiver.flush()
    finally:
        receiver.stop()
    assert answer.status_code == 200
    with db.session() as session:
        [row] = inbox.recent(session, 10)
    stored = {k.lower(): v for k, v in row["headers"].items()}
    assert stored[name.lower()] in ("[redacted]", "Basic [redacted]", "bEaReR [redacted]")
    assert_nowhere(db, tmp_path, {f"the {name} value": secret})


def echoing(secrets: dict):
    """A target that passes the handshake and echoes every credential it got, in its body
    and its headers, and sets a cookie and a user-named secret header of its own."""

    def answer(request):
        got = {k: v for k, v in request.headers}
        auth = got.get("Authorization", "")
        if auth.startswith("Basic "):
            got["decoded"] = base64.b64decode(auth[6:]).decode()
        if request.path == "/token":
            body = json.dumps({"access_token": secrets["token"], "expires_in": 3600})
            return Reply(200, {"Content-Type": "application/json"}, body.encode())
        headers = {
            "Set-Cookie": f"sid={secrets['cookie']}; HttpOnly",
            USER_HEADER: secrets["api_key"],
            "X-Echo": auth or "none",
        }
        if request.header("X-ActiGraph-Event") == "validation":
            headers["X-ActiGraph-Hook-Secret"] = request.header("X-ActiGraph-Hook-Secret")
        return Reply(200, headers, json.dumps(got).encode())

    return answer


def register(db, url, auth, token_url) -> int:
    extra = {}
    if auth == "basic":
        extra = {"username": "ann"}
    elif auth == "oauth2":
        extra = {"token_url": token_url, "client_id": "desk", "oauth_scope": "hooks"}
    data = RegistrationInput(url=url, is_development=True, auth_type=auth, **extra)
    with db.session() as session:
        secret = f"pw-{uuid.uuid4().hex}" if auth != "none" else None
        reg, _ = registrations.add(session, SecretStore(), data, secret=secret)
        return reg.id, secret


@pytest.mark.parametrize("auth", ["basic", "oauth2", "none"])
@pytest.mark.parametrize("to", ["an echoing target", "the built-in receiver"])
def test_credentials_the_engine_sends_are_kept_nowhere_even_when_echoed(
    db, tmp_path, monkeypatch, auth, to
):
    secrets = {key: f"{key}-{uuid.uuid4().hex}" for key in ("token", "cookie", "api_key")}
    codes = []  # every handshake's hook secret, as the engine checks it
    checking = validation.verdict
    monkeypatch.setattr(
        validation, "verdict", lambda r, code: codes.append(code) or checking(r, code)
    )
    receiver = Receiver(db)
    receiver.start("127.0.0.1", 0)
    try:
        with RecordingServer(echoing(secrets), handshake=False) as server:
            url = server.url() if to == "an echoing target" else receiver.url + "hook"
            reg_id, password = register(db, url, auth, server.url("/token"))
            with db.session() as session:
                firing.fire(session, "upload", count=2, to_registration=reg_id)
            new_engine(db, SecretStore(), timeouts=Timeouts(1.0, 5.0)).run_until_idle()
        assert receiver.flush()
    finally:
        receiver.stop()
    with db.session() as session:
        delivered = session.scalars(select(Delivery.status).where(~Delivery.is_validation)).all()
    assert delivered == ["succeeded", "succeeded"] and codes, "the engine did not deliver"
    sent = {f"hook secret {n}": code for n, code in enumerate(codes)} | secrets
    if password:
        sent |= {
            "password": password,
            "basic": base64.b64encode(f"ann:{password}".encode()).decode(),
        }
    assert_nowhere(db, tmp_path, sent)


def test_a_cookie_a_target_sets_is_never_sent_back(db):
    """Webhooks are stateless: a cookie one answer sets must not ride on the next delivery
    (to that target, or to another registration on the same host)."""

    def setting_a_cookie(_request):
        return Reply(200, {"Set-Cookie": "sid=s3cr3t; Path=/"})

    with RecordingServer(setting_a_cookie) as server:
        reg_id, _ = register(db, server.url(), "none", None)
        with db.session() as session:
            firing.fire(session, "upload", count=3, to_registration=reg_id)
        new_engine(db, SecretStore(), workers=1).run_until_idle()
        sent = server.wait_for(3)
    assert [r.header("Cookie") for r in sent] == [None, None, None]
