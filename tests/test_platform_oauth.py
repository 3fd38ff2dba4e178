"""`sync centrepoint` with OAuth2 client credentials, as the CentrePoint API wants them: the
emulator's /connect/token issues tokens, the client secret is read once from stdin and kept in
the keyring, and a token that expires mid-sync is renewed; a pasted token still works."""

from __future__ import annotations

import pytest
import requests
from sqlalchemy import select

from webhook_desk.db.models import Registration
from webhook_desk.platform.api_auth import ClientCredentials, client_secret_key
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.mock_api import MockApi, MockOptions, add_webhook_history, demo_platform

CLIENT_ID = "YrcN0eLR5IIiCgG85CgkzT0"
CLIENT_SECRET = "client-secret-from-actigraph"
PASTED = "a-pasted-platform-token"
STUDY = "1064"


@pytest.fixture(scope="module")
def platform_db(tmp_path_factory):
    db = demo_platform(f"sqlite:///{tmp_path_factory.mktemp('p') / 'platform.sqlite3'}", 200)
    with db.session() as session:  # ten pages of history: a sync of several requests
        webhook = session.scalar(select(Registration.id).where(Registration.study_id == STUDY))
        add_webhook_history(session, webhook, 1000, seed=2)
    yield db
    db.dispose()


@pytest.fixture
def platform(platform_db):
    api = MockApi(
        platform_db, MockOptions(token=PASTED, client_id=CLIENT_ID, client_secret=CLIENT_SECRET)
    )
    api.start("127.0.0.1", 0)
    yield api
    api.stop()


def ask_token(api, **form) -> requests.Response:
    fields = {
        "client_id": CLIENT_ID,
        "client_secret": CLIENT_SECRET,
        "scope": "CentrePoint",
        "grant_type": "client_credentials",
    }
    return requests.post(api.url + "/connect/token", data=fields | form, timeout=10)


def test_the_emulator_issues_tokens_as_the_platform_does(platform):
    answer = ask_token(platform)
    assert answer.status_code == 200
    document = answer.json()
    assert (document["expires_in"], document["token_type"]) == (3600, "Bearer")
    bearer = {"Authorization": f"Bearer {document['access_token']}"}
    listed = requests.get(platform.url + "/centrepoint/v3/WebhookEvents", headers=bearer)
    assert listed.status_code == 200
    assert ask_token(platform, client_secret="wrong").json() == {"error": "invalid_client"}
    assert ask_token(platform, grant_type="password").status_code == 400


def test_sync_fetches_its_token_and_keeps_the_client_secret_in_the_keyring(
    platform, cli, memory_keyring
):
    argv = ("sync", "centrepoint", "--api-url", platform.url, "--study", STUDY, "--json")
    first = cli(*argv, "--client-id", CLIENT_ID, "--client-secret-stdin", stdin=CLIENT_SECRET)
    assert first.code == 0, first.err
    assert first.json()["registrations_added"] >= 1
    key = client_secret_key(platform.url + "/connect/token", CLIENT_ID)
    assert memory_keyring.values[("webhook-desk", key)] == CLIENT_SECRET
    assert len(platform.issued) == 1
    again = cli(*argv, "--client-id", CLIENT_ID)  # the secret from the keyring
    assert again.code == 0, again.err
    pasted = cli(*argv, "--token-stdin", stdin=PASTED)  # a pasted token still works
    assert pasted.code == 0, pasted.err


def test_a_wrong_client_secret_is_one_sentence(platform, cli, memory_keyring):
    refused = cli(
        *("sync", "centrepoint", "--api-url", platform.url, "--study", STUDY),
        *("--client-id", CLIENT_ID, "--client-secret-stdin"),
        stdin="not the secret",
    )
    assert refused.code == 1
    assert refused.err == (
        f"webhook-desk: No API token from {platform.url}/connect/token: "
        "The OAuth2 token URL answered 401.\n"
    )


def test_a_token_that_expires_mid_sync_is_renewed(platform, sqlite_db):
    from webhook_desk.platform.centrepoint_sync import sync_centrepoint

    platform.options.token_lifetime_s = 1
    platform.options.latency_ms = 250  # ten pages or more: the sync outlives several tokens
    tokens = ClientCredentials(platform.url + "/connect/token", CLIENT_ID, CLIENT_SECRET, "x")
    report = sync_centrepoint(sqlite_db, PlatformClient(platform.url, tokens), STUDY)
    assert report.requests >= 4
    assert len(platform.issued) >= 2


def test_a_token_revoked_before_its_expiry_is_renewed_once(platform):
    tokens = ClientCredentials(platform.url + "/connect/token", CLIENT_ID, CLIENT_SECRET, "x")
    client = PlatformClient(platform.url, tokens)
    assert client.get("/centrepoint/v3/WebhookEvents")["totalCount"] == 3
    platform.issued.clear()  # the platform forgets every token it gave
    assert client.get("/centrepoint/v3/WebhookEvents")["totalCount"] == 3
    assert len(platform.issued) == 1
