"""Signatures as the platform and the Standard Webhooks reference libraries make them.

tests/fixtures/standard_webhooks_cases.json restates the reference libraries' own test cases
(standard-webhooks/standard-webhooks, libraries/*/tests) with their expected verdicts.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from pathlib import Path

import pytest
from standardwebhooks import Webhook

from webhook_desk import signing
from webhook_desk.errors import UserError
from webhook_desk.receiver.verdicts import secrets_from_text
from webhook_desk.signing import KnownSecret

CASES = json.loads(
    (Path(__file__).parent / "fixtures" / "standard_webhooks_cases.json").read_text("utf-8")
)
# The docs' worked example (securing_webhooks.md), used for the legacy form too.
DOCS_SECRET = "B3`MlG4sJR.X^-%w=oG_UrNBEpszl?"
DOCS_BODY = b'{"Test":"Value"}'


@pytest.mark.parametrize("case", CASES["verify"], ids=[c["name"] for c in CASES["verify"]])
def test_standard_webhooks_reference_cases_get_their_verdict(case):
    known = [KnownSecret("reference", "standard-webhooks", case["secret"])]
    verdict = signing.verify(case["headers"], case["payload"].encode(), known, now=case["now"])
    assert verdict.status == case["verdict"]
    if case["verdict"] == "valid":
        assert (verdict.scheme, verdict.secret_label) == ("standard-webhooks", "reference")
    if "reason" in case:
        assert verdict.reason == case["reason"]


@pytest.mark.parametrize("case", CASES["signing"], ids=[c["name"] for c in CASES["signing"]])
def test_standard_webhooks_reference_signatures_are_reproduced(case):
    ours = signing.standard_webhooks_signature(
        case["secret"], case["msg_id"], case["timestamp"], case["payload"].encode()
    )
    assert ours == case["signature"]


@pytest.mark.parametrize(
    "case", CASES["secrets"], ids=[repr(c["secret"]) for c in CASES["secrets"]]
)
def test_secrets_are_accepted_or_refused_as_the_reference_does(case, cli, memory_keyring):
    problem = signing.secret_problem("standard-webhooks", case["secret"])
    assert (problem is None) == case["accepted"]
    if not case["accepted"]:
        assert problem == "A secret cannot be empty."
    added = cli(
        *("registrations", "add", "--url", "https://x.org/h", "--events", "upload"),
        *("--auth", "standard-webhooks", "--secret-stdin"),
        stdin=case["secret"] + "\n",
    )
    assert added.code == (0 if case["accepted"] else 1)
    if not case["accepted"]:
        assert added.err == "webhook-desk: A secret cannot be empty.\n"


def test_an_unpadded_secret_signs_what_the_reference_library_verifies():
    secret = "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaS"  # the base64 lacks its "="
    headers = signing.standard_webhooks_headers([secret], "msg_1", b'{"a":1}')
    assert Webhook(secret).verify('{"a":1}', headers) == {"a": 1}


@pytest.mark.parametrize(
    "sign",
    [
        lambda: signing.actigraph_signature("", DOCS_BODY),
        lambda: signing.legacy_signature("", DOCS_BODY),
        lambda: signing.standard_webhooks_signature("whsec_", "m", 1, DOCS_BODY),
        lambda: signing.payload_hash("", {}, 1),
    ],
    ids=["actigraph", "legacy", "standard-webhooks", "payload hash"],
)
def test_an_empty_secret_never_signs(sign):
    with pytest.raises(ValueError, match="^A secret cannot be empty.$"):
        sign()


@pytest.mark.parametrize("text", ["whsec_\n", "hmac:\n", "standard-webhooks:whsec_\n"])
def test_the_receiver_refuses_an_empty_secret_on_stdin(text):
    with pytest.raises(UserError, match="^Secret 1 on standard input: A secret cannot be empty.$"):
        secrets_from_text(text)


def test_receiver_stdin_lines_may_name_their_scheme():
    unprefixed = "MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"  # a Standard Webhooks key without whsec_
    secrets = secrets_from_text(
        f"standard-webhooks:{unprefixed}\nhmac:whsec_is-my-hmac-key\nplain\nwhsec_{unprefixed}\n"
    )
    assert [(s.kind, s.value) for s in secrets] == [
        ("standard-webhooks", unprefixed),
        ("hmac", "whsec_is-my-hmac-key"),
        ("hmac", "plain"),
        ("standard-webhooks", "whsec_" + unprefixed),
    ]
    valid = next(c for c in CASES["verify"] if c["name"] == "secret without whsec_ prefix")
    verdict = signing.verify(valid["headers"], valid["payload"].encode(), secrets[:1], valid["now"])
    assert verdict.status == "valid"


def _utf16le(text: str) -> bytes:
    """UTF-16LE by hand for text below U+0100: each character, then a zero byte."""
    assert all(ord(c) < 0x100 for c in text)
    return bytes(b for c in text for b in (ord(c), 0))


def test_the_legacy_signature_is_hmac_sha512_over_utf16le_in_upper_case_hex():
    expected = hmac.new(_utf16le(DOCS_SECRET), _utf16le(DOCS_BODY.decode()), hashlib.sha512)
    header = "sha1=" + expected.hexdigest().upper()
    assert signing.legacy_signature(DOCS_SECRET, DOCS_BODY) == header
    known = [KnownSecret("docs", "hmac", DOCS_SECRET)]
    verdict = signing.verify({"X-ActiGraph-Signature": header}, DOCS_BODY, known)
    assert (verdict.status, verdict.scheme) == ("valid", "actigraph-legacy")
    utf8 = hmac.new(DOCS_SECRET.encode(), DOCS_BODY, hashlib.sha512).hexdigest().upper()
    wrong = signing.verify({"X-ActiGraph-Signature": "sha1=" + utf8}, DOCS_BODY, known)
    assert wrong.status == "invalid"


def test_the_docs_worked_hmac_example_still_reproduces():
    assert signing.actigraph_signature(DOCS_SECRET, DOCS_BODY) == (
        "Ri20SCicySZmIf2D4kCY5KWEJrsqI7W8sWXMADj1RaQ="
    )
