"""Syncing from the platform emulator over real HTTP on 127.0.0.1: registrations, the catalog
and a 50,000-delivery history arrive as the seeds define them; interrupted syncs resume,
repeated ones add nothing; a flaky, rate-limited platform is survived; a wrong token is one
sentence."""

from __future__ import annotations

import json
import time
from collections import Counter
from pathlib import Path

import pytest
import requests
from sqlalchemy import delete, func, select

from webhook_desk.db.models import Attempt, Delivery, EventType, Registration
from webhook_desk.history.centrepoint_format import parse_headers, parse_time, platform_time
from webhook_desk.platform import sync
from webhook_desk.platform.centrepoint_sync import sync_centrepoint
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import sync_ecg
from webhook_desk.platform.mock_api import MockApi, MockOptions, add_webhook_history, demo_platform
from webhook_desk.secrets import SecretStore
from webhook_desk.services.startup import open_database

TOKEN = "test-platform-token"
FIXTURES = Path(__file__).parent / "fixtures"
PLATFORM_IDS = {"upload": 3, "data_retrieval_complete": 4, "raw_processing_complete": 5}
BIG_STUDY = "189"  # its webhook gets 50,000 more deliveries
SMALL_STUDY = "1064"
ORGANIZATION = "7152ff07-72b4-4934-b96c-9283003188a1"
STUDIES = ("1064", "189", "8", "2358")


@pytest.fixture(scope="module")
def platform_db(tmp_path_factory):
    folder = tmp_path_factory.mktemp("platform")
    db = demo_platform(f"sqlite:///{folder / 'platform.sqlite3'}", deliveries=600)
    with db.session() as session:
        big = session.scalar(select(Registration.id).where(Registration.study_id == BIG_STUDY))
        add_webhook_history(session, big, 50_000)
    yield db
    db.dispose()


@pytest.fixture(scope="module")
def running_platform(platform_db):
    api = MockApi(platform_db, MockOptions(token=TOKEN))
    api.start("127.0.0.1", 0)
    yield api
    api.stop()


@pytest.fixture
def platform(running_platform):
    """The emulator with its switches off again after each test."""
    running_platform.options = MockOptions(token=TOKEN)
    yield running_platform
    running_platform.options = MockOptions(token=TOKEN)


def client(api, **kwargs) -> PlatformClient:
    return PlatformClient(api.url, TOKEN, **kwargs)


def get(api, path, **params):
    return requests.get(
        api.url + path, params=params, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30
    )


@pytest.fixture(scope="module")
def big_sync(running_platform, tmp_path_factory):
    """The big study synced once into a fresh database: (db, report, seconds)."""
    folder = tmp_path_factory.mktemp("desk")
    db = open_database(f"sqlite:///{folder / 'desk.sqlite3'}")
    started = time.perf_counter()
    report = sync_centrepoint(db, client(running_platform), BIG_STUDY)
    yield db, report, time.perf_counter() - started
    db.dispose()


# ---- registrations -----------------------------------------------------------------------


def test_every_webhook_of_a_study_arrives_as_a_read_only_mirror_field_by_field(platform, sqlite_db):
    for study in STUDIES:
        sync_centrepoint(sqlite_db, client(platform), study, since="2999-01-01")
        remote = get(platform, f"/centrepoint/v3/Studies/{study}/Webhooks").json()
        assert remote["totalCount"] == len(remote["items"]) == 1
        for item in remote["items"]:
            with sqlite_db.session() as session:
                mirror = session.scalar(
                    select(Registration).where(Registration.remote_id == str(item["id"]))
                )
                assert mirror.source == "centrepoint"
                assert mirror.study_id == str(item["studyId"]) == study
                assert mirror.url == item["url"]
                assert (mirror.status == "disabled") is item["isDisabled"]
                assert mirror.event_codes == sorted(e["name"] for e in item["webhookEvents"])
                assert platform_time(mirror.created_at) == item["createdDate"]
    with sqlite_db.session() as session:
        disabled = session.scalar(select(Registration).where(Registration.study_id == "2358"))
        assert disabled.status == "disabled"  # the demo retired that receiver


def test_a_mirror_can_be_copied_into_a_local_registration(platform, sqlite_db, memory_keyring):
    sync_centrepoint(sqlite_db, client(platform), BIG_STUDY, since="2999-01-01")
    with sqlite_db.session() as session:
        mirror = session.scalar(select(Registration).where(Registration.source == "centrepoint"))
        copy, _ = sync.copy_mirror(session, SecretStore(), mirror.id)
        assert (copy.source, copy.remote_id) == ("local", None)
        assert (copy.url, copy.study_id, copy.event_codes) == (
            mirror.url,
            mirror.study_id,
            mirror.event_codes,
        )


# ---- the 50,000-delivery history -----------------------------------------------------------


def test_fifty_thousand_deliveries_arrive_with_every_record(big_sync, platform, platform_db):
    db, report, seconds = big_sync
    with platform_db.session() as session:
        reg_id = session.scalar(select(Registration.id).where(Registration.study_id == BIG_STUDY))
        remote_statuses = Counter(
            session.scalars(select(Delivery.status).where(Delivery.registration_id == reg_id))
        )
    page = get(platform, f"/centrepoint/v3/Studies/{BIG_STUDY}/Webhooks/{reg_id}/history").json()
    assert page["totalCount"] >= 50_000
    with db.session() as session:
        records = session.scalar(select(func.count()).select_from(Attempt))
        statuses = Counter(session.scalars(select(Delivery.status)))
        sources = set(session.scalars(select(Delivery.source)))
    assert records == report.records_added == page["totalCount"]
    assert statuses == remote_statuses  # each delivery's attempts came back together
    assert sources == {"centrepoint"}
    # A guard against the pathological (an early version took 9 minutes), not a benchmark.
    assert seconds < 120, f"syncing {records} records took {seconds:.1f} s"


@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_synced_history_items_match_the_platform_field_by_field(big_sync, platform, where):
    db, _, _ = big_sync
    with db.session() as session:
        webhook = session.scalar(
            select(Registration.remote_id).where(Registration.source != "local")
        )
    path = f"/centrepoint/v3/Studies/{BIG_STUDY}/Webhooks/{webhook}/history"
    total = get(platform, path, limit=1).json()["totalCount"]
    offset = {"first": 0, "middle": total // 2, "last": total - 100}[where]
    items = get(platform, path, limit=100, offset=offset).json()["items"]
    assert len(items) == 100
    with db.session() as session:
        for item in items:
            headers = parse_headers(item["request"]["headers"], "request headers")
            delivery = session.scalar(
                select(Delivery).where(Delivery.uuid == headers["X-ActiGraph-Delivery"])
            )
            sent = parse_time(item["lastSentDate"], "lastSentDate")
            (attempt,) = [a for a in delivery.attempts if a.started_at == sent]
            assert delivery.event_code == item["webhookEvent"]
            assert platform_time(delivery.created_at) <= item["createdDate"]
            assert attempt.error == item.get("errorMessage")
            assert attempt.body_sent == item["request"]["body"]
            assert attempt.request_headers == headers
            response = item.get("response")
            assert attempt.response_code == (response["responseCode"] if response else None)
            if response:
                assert attempt.response_headers == parse_headers(response["headers"], "response")
                assert attempt.response_body == response["body"]
            assert delivery.remote_id == str(item["webhookId"])
            assert item["webhookEventId"] == PLATFORM_IDS.get(item["webhookEvent"])


def test_a_second_sync_adds_nothing_and_asks_only_for_what_is_new(big_sync, platform):
    db, first, _ = big_sync
    again = sync_centrepoint(db, client(platform), BIG_STUDY)
    assert (again.records_added, again.deliveries_added, again.registrations_added) == (0, 0, 0)
    assert again.requests <= 3, "a second run should not page through the history again"


# ---- interruption, flaky and rate-limited platforms ---------------------------------------


def _small_total(api) -> int:
    hooks = get(api, f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks").json()["items"]
    path = f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks/{hooks[0]['id']}/history"
    return get(api, path, limit=1).json()["totalCount"]


def _stored(db) -> tuple[int, int]:
    with db.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Attempt)),
            session.scalar(select(func.count()).select_from(Delivery)),
        )


def test_an_interrupted_sync_resumes_where_it_stopped(platform, sqlite_db):
    total = _small_total(platform)
    assert total > 100, "the small study needs two pages"

    def interrupt_after_first_page(stage, done, of):
        if stage.startswith("history"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_centrepoint(sqlite_db, client(platform), SMALL_STUDY, None, interrupt_after_first_page)
    assert _stored(sqlite_db)[0] == 100  # the page fetched before Ctrl-C was kept

    resumed = sync_centrepoint(sqlite_db, client(platform), SMALL_STUDY)
    assert resumed.records_fetched == total - 100
    records, deliveries = _stored(sqlite_db)
    assert records == total
    with sqlite_db.session() as session:
        assert deliveries == session.scalar(select(func.count(func.distinct(Delivery.uuid))))
        split = session.scalar(select(func.sum(Delivery.attempt_count)))
    assert split == total  # a delivery cut by the page boundary has all its attempts


def test_a_flaky_rate_limited_platform_is_survived_honouring_retry_after(platform, sqlite_db):
    platform.options = MockOptions(token=TOKEN, failure_rate=0.3, rate_limit=2.0)
    waits = []

    def sleep(seconds):
        waits.append(seconds)
        time.sleep(seconds)

    report = sync_centrepoint(
        sqlite_db, client(platform, backoff_s=0.01, tries=20, sleep=sleep), SMALL_STUDY
    )
    assert _stored(sqlite_db)[0] == report.records_added == _small_total_unthrottled(platform)
    assert report.retries > 0
    assert 1.0 in waits, "a 429's Retry-After: 1 should have been waited out"


def _small_total_unthrottled(api) -> int:
    api.options = MockOptions(token=TOKEN)
    return _small_total(api)


def test_a_platform_that_stays_down_is_one_sentence(platform, sqlite_db):
    platform.options = MockOptions(token=TOKEN, failure_rate=1.0)
    with pytest.raises(Exception) as raised:
        sync_centrepoint(sqlite_db, client(platform, tries=3, backoff_s=0.01), SMALL_STUDY)
    assert str(raised.value) == "The platform kept answering 503 after 3 tries; try again later."


# ---- the token and the command line -------------------------------------------------------


def test_a_wrong_token_fails_in_one_sentence_with_exit_1(platform, cli, memory_keyring):
    result = cli(
        "sync", "centrepoint", "--api-url", platform.url, "--study", SMALL_STUDY, "--token-stdin",
        stdin="not-the-token\n",
    )  # fmt: skip
    assert result.code == 1
    assert result.err == (
        f"webhook-desk: The platform at {platform.url} refused the API token: "
        "the token is wrong or expired.\n"
    )


def test_the_token_is_kept_in_the_keyring_and_used_next_time(platform, cli, memory_keyring):
    first = cli(
        "sync", "centrepoint", "--api-url", platform.url, "--study", SMALL_STUDY,
        "--token-stdin", "--json", stdin=TOKEN + "\n",
    )  # fmt: skip
    assert first.code == 0, first.err
    assert first.json()["records_added"] == _small_total(platform)
    host = platform.url.split("://")[1]
    assert memory_keyring.values[("webhook-desk", f"platform/{host}")] == TOKEN
    again = cli("sync", "centrepoint", "--api-url", platform.url, "--study", SMALL_STUDY, "--json")
    assert again.code == 0, again.err
    assert again.json()["records_added"] == 0


def test_a_mistyped_token_does_not_replace_the_working_one(platform, cli, memory_keyring):
    host = platform.url.split("://")[1]
    sync_args = ("sync", "centrepoint", "--api-url", platform.url, "--study", SMALL_STUDY)
    assert cli(*sync_args, "--token-stdin", stdin=TOKEN + "\n").code == 0

    typo = cli(*sync_args, "--token-stdin", stdin=TOKEN + "x\n")

    assert typo.code == 1 and typo.err.count("\n") == 1
    assert "refused the API token" in typo.err
    assert memory_keyring.values[("webhook-desk", f"platform/{host}")] == TOKEN
    again = cli(*sync_args, "--json")
    assert again.code == 0, again.err  # the kept token still works


def test_without_a_stored_token_the_user_is_told_to_give_one(platform, cli, memory_keyring):
    result = cli("sync", "ecg", "--api-url", platform.url, "--organization", ORGANIZATION)
    assert result.code == 1
    assert result.err.count("\n") == 1 and "--token-stdin" in result.err


def test_since_pulls_only_the_v1_history_after_that_time(platform, sqlite_db):
    records = get(platform, "/v1/webhooks/history", studyId=SMALL_STUDY).json()
    sent = sorted(parse_time(r["LastSent"], "LastSent") for r in records)
    since = platform_time(sent[len(sent) // 2])
    newer = get(platform, "/v1/webhooks/history", studyId=SMALL_STUDY, startDate=since).json()
    report = sync_centrepoint(sqlite_db, client(platform), SMALL_STUDY, since=since)
    assert report.records_added == len(newer) < len(records)
    with sqlite_db.session() as session:
        earliest = session.scalar(select(func.min(Attempt.started_at)))
    assert platform_time(earliest) >= since


# ---- ECG ---------------------------------------------------------------------------------


def _ecg_retry_chains(platform_db) -> Counter:
    """How many of the platform's ECG deliveries took each number of posts."""
    with platform_db.session() as session:
        reg_id = session.scalar(
            select(Registration.id).where(Registration.organization_id.isnot(None))
        )
        return Counter(
            session.scalars(
                select(Delivery.attempt_count).where(Delivery.registration_id == reg_id)
            )
        )


def test_ecg_subscriptions_catalog_and_retry_chains_arrive(platform, platform_db, sqlite_db):
    with sqlite_db.session() as session:
        session.execute(delete(EventType).where(EventType.code == "messages.acknowledged"))
    report = sync_ecg(sqlite_db, client(platform), ORGANIZATION)
    assert report.catalog_added >= 1  # the platform's event the desk lacked
    (remote,) = get(platform, f"/api/organizations/{ORGANIZATION}/webhook-subscriptions").json()
    remote_chains = _ecg_retry_chains(platform_db)
    with sqlite_db.session() as session:
        mirror = session.scalar(select(Registration).where(Registration.source == "ecg"))
        assert (mirror.remote_id, mirror.organization_id, mirror.url) == (
            remote["id"],
            remote["organizationId"],
            remote["postUri"],
        )
        assert (mirror.event_version, mirror.is_development) == (
            remote["version"],
            remote["isDevelopment"],
        )
        assert mirror.event_codes == sorted(remote["events"])
        assert session.scalar(select(EventType).where(EventType.code == "messages.acknowledged"))
        chains = Counter(session.scalars(select(Delivery.attempt_count)))
    assert chains == remote_chains  # every retry joined the post it retried
    again = sync_ecg(sqlite_db, client(platform), ORGANIZATION)
    assert (again.records_added, again.catalog_added, again.registrations_added) == (0, 0, 0)


def test_nested_activity_lists_its_retries_as_children(platform):
    base = f"/api/organizations/{ORGANIZATION}/webhook-subscriptions"
    (subscription,) = get(platform, base).json()
    activity = get(platform, f"{base}/{subscription['id']}/activity", take=1000).json()
    retried = {a["retryingFromPostId"] for a in activity if a["retryingFromPostId"]}
    root = next(a for a in activity if a["id"] in retried and not a["retryingFromPostId"])
    nested = get(platform, f"{base}/{subscription['id']}/activity/{root['id']}", mode="nested")
    body = nested.json()
    assert body["level"] == 1 and body["posted_at"] == root["postedAt"]
    assert body["childPostHistory"] and body["childPostHistory"][0]["level"] == 2


# ---- the emulator's own answers ------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "params", "status", "shape"),
    [
        (f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks", {"limit": 101}, 400, "problem"),
        (f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks/99999", {}, 404, "problem"),
        ("/v1/webhooks/history", {}, 400, "problem"),
        ("/api/webhook-categories/nope", {}, 404, "nest"),
        ("/api/webhook-categories", {"order_by": "SIDEWAYS"}, 400, "nest"),
    ],
)
def test_errors_come_in_each_apis_own_shape(platform, path, params, status, shape):
    answer = get(platform, path, **params)
    assert answer.status_code == status
    body = answer.json()
    if shape == "problem":
        assert body["status"] == status and body["title"] and body["detail"]
    else:
        assert body["statusCode"] == status and body["message"] and body["error"]


def test_the_emulator_wants_the_bearer_token_except_for_healthcheck(platform):
    assert requests.get(platform.url + "/healthcheck", timeout=5).json()["status"] == "ok"
    refused = requests.get(
        platform.url + f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks",
        headers={"Authorization": "Bearer wrong"},
        timeout=5,
    )
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")


def test_rate_limited_answers_say_when_to_come_back(platform):
    platform.options = MockOptions(token=TOKEN, rate_limit=1.0)
    answers = [get(platform, "/api/seed-data/versions") for _ in range(3)]
    limited = [a for a in answers if a.status_code == 429]
    assert limited and limited[0].headers["Retry-After"] == "1"


@pytest.mark.parametrize(
    ("params", "keep"),
    [
        ({"IncludeResponseCodes": "500"}, lambda code: code == 500),
        ({"IncludeResponseCodes": "500,503"}, lambda code: code in (500, 503)),
        ({"ExcludeResponseCodes": "200"}, lambda code: code != 200),
    ],
)
def test_v1_history_filters_by_response_code(platform, params, keep):
    everything = get(platform, "/v1/webhooks/history", studyId=SMALL_STUDY).json()
    filtered = get(platform, "/v1/webhooks/history", studyId=SMALL_STUDY, **params).json()
    code = lambda r: (r.get("Response") or {}).get("ResponseCode")  # noqa: E731
    assert [r["Id"] for r in filtered] == [r["Id"] for r in everything if keep(code(r))]
    assert filtered


def test_v3_pages_link_to_the_next_and_previous_page(platform):
    hooks = get(platform, f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks").json()["items"]
    path = f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks/{hooks[0]['id']}/history"
    page = get(platform, path, limit=10, offset=10).json()
    assert (page["limit"], page["offset"], len(page["items"])) == (10, 10, 10)
    assert page["links"]["next"].endswith(f"{path}?offset=20&limit=10")
    assert page["links"]["prev"].endswith(f"{path}?offset=0&limit=10")
    assert json.loads(page["items"][0]["request"]["headers"])["X-ActiGraph-Delivery"]


def test_webhook_events_are_listed_at_v3_with_the_platforms_ids(platform):
    documented = json.loads((FIXTURES / "centrepoint_api_webhook_events.json").read_text())
    assert get(platform, "/centrepoint/v3/WebhookEvents").json() == documented["response"]
    page = get(platform, "/centrepoint/v3/WebhookEvents", limit=1, offset=1).json()
    assert [e["id"] for e in page["items"]] == [5] and page["totalCount"] == 3
    assert page["links"]["next"].endswith("/centrepoint/v3/WebhookEvents?offset=2&limit=1")
    hooks = get(platform, f"/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks").json()["items"]
    listed = {(e["name"], e["id"]) for hook in hooks for e in hook["webhookEvents"]}
    assert ("upload", 3) in listed and ("raw_processing_complete", 5) in listed


def test_sync_works_the_same_on_postgresql(platform, any_db):
    total = _small_total(platform)
    first = sync_centrepoint(any_db, client(platform), SMALL_STUDY)
    again = sync_centrepoint(any_db, client(platform), SMALL_STUDY)
    ecg = sync_ecg(any_db, client(platform), ORGANIZATION)
    assert first.records_added == _stored(any_db)[0] - ecg.records_added == total
    assert again.records_added == 0 and ecg.records_added > 0


def test_mock_api_verb_serves_demo_data_until_stopped(tmp_path):
    import signal
    import subprocess
    import sys

    process = subprocess.Popen(
        [sys.executable, "-m", "webhook_desk.cli", "mock-api", "--port", "0", "--token", TOKEN,
         "--demo-deliveries", "50"],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**__import__("os").environ, "WEBHOOK_DESK_DB": f"sqlite:///{tmp_path / 'unused.db'}"},
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.startswith("Platform emulator at http://127.0.0.1:"), process.stderr.read()
        url = line.split()[3]
        hooks = requests.get(
            f"{url}/centrepoint/v3/Studies/{SMALL_STUDY}/Webhooks",
            headers={"Authorization": f"Bearer {TOKEN}"},
            timeout=10,
        ).json()
        assert hooks["totalCount"] == 1
        oauth = process.stdout.readline()  # the client credentials its /connect/token takes
        client_id, secret = oauth.split("client id ")[1].split(", client secret ")
        form = {"client_id": client_id, "client_secret": secret.split(",")[0]}
        issued = requests.post(
            f"{url}/connect/token", data=form | {"grant_type": "client_credentials"}, timeout=10
        )
        assert issued.json()["token_type"] == "Bearer"
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


def test_an_interrupted_ecg_sync_resumes_with_retry_chains_whole(platform, platform_db, sqlite_db):
    def interrupt_after_first_page(stage, done, of):
        if stage.startswith("activity"):
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        sync_ecg(sqlite_db, client(platform), ORGANIZATION, interrupt_after_first_page)
    assert _stored(sqlite_db)[0] == 100
    resumed = sync_ecg(sqlite_db, client(platform), ORGANIZATION)
    remote_chains = _ecg_retry_chains(platform_db)
    with sqlite_db.session() as session:
        chains = Counter(session.scalars(select(Delivery.attempt_count)))
    assert resumed.records_fetched == sum(n * c for n, c in remote_chains.items()) - 100
    assert chains == remote_chains  # retries whose first post came in the first run joined it


def test_registrations_copy_makes_a_mirror_local_and_refuses_a_local_one(
    platform, sqlite_db, cli, memory_keyring
):
    sync_centrepoint(sqlite_db, client(platform), BIG_STUDY, since="2999-01-01")
    with sqlite_db.session() as session:
        mirror_id = session.scalar(select(Registration.id).where(Registration.source != "local"))
    copied = cli("registrations", "copy", mirror_id, "--json")
    assert copied.code == 0, copied.err
    assert copied.json()["source"] == "local" and copied.json()["study_id"] == BIG_STUDY
    again = cli("registrations", "copy", copied.json()["id"])
    assert again.code == 1
    assert again.err == (
        f"webhook-desk: Registration {copied.json()['id']} is already local; "
        "there is nothing to copy.\n"
    )


def test_a_slow_platform_answers_after_its_latency(platform):
    platform.options = MockOptions(token=TOKEN, latency_ms=300)
    started = time.perf_counter()
    assert get(platform, "/healthcheck").status_code == 200
    assert time.perf_counter() - started >= 0.3


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (["--failure-rate", "2"], "--failure-rate is a share between 0 and 1, e.g. 0.2."),
        (["--rate-limit", "fast"], "'fast' is not a rate; write requests per second, e.g. 20/s."),
        (["--rate-limit", "0/s"], "--rate-limit must be above 0 requests per second."),
        (["--latency-ms", "-5"], "--latency-ms cannot be negative."),
    ],
)
def test_bad_emulator_switches_are_one_sentence(cli, argv, sentence):
    result = cli("mock-api", "--port", "0", *argv)
    assert (result.code, result.err) == (1, f"webhook-desk: {sentence}\n")


def test_a_full_sync_after_a_since_sync_still_brings_the_older_records(platform, sqlite_db):
    records = get(platform, "/v1/webhooks/history", studyId=SMALL_STUDY).json()
    sent = sorted(parse_time(r["LastSent"], "LastSent") for r in records)
    newer = sync_centrepoint(
        sqlite_db, client(platform), SMALL_STUDY, since=platform_time(sent[-10])
    )
    assert 0 < newer.records_added < len(records)
    sync_centrepoint(sqlite_db, client(platform), SMALL_STUDY)
    assert _stored(sqlite_db)[0] == _small_total(platform)  # none twice, none missing


@pytest.mark.parametrize(
    ("argv", "sentence"),
    [
        (["--study", "1064", "--since", "tuesday"],
         "--since 'tuesday' is not a time; write e.g. 2026-11-01 or 2026-11-01T08:00:00 (UTC)."),
        (["--study", "abc"], "'abc' is not a CentrePoint study id (a whole number)."),
    ],
)  # fmt: skip
def test_bad_sync_input_is_one_sentence(platform, cli, memory_keyring, argv, sentence):
    result = cli(
        "sync", "centrepoint", "--api-url", platform.url, "--token-stdin", *argv, stdin=TOKEN
    )
    assert (result.code, result.err) == (1, f"webhook-desk: {sentence}\n")


def test_an_api_url_that_is_not_http_is_one_sentence(cli, memory_keyring):
    result = cli(
        "sync", "ecg", "--api-url", "ftp://x", "--organization", "o", "--token-stdin", stdin="t"
    )
    assert (result.code, result.err) == (
        1,
        "webhook-desk: 'ftp://x' is not an http(s) URL of the platform API.\n",
    )


def test_an_unreachable_platform_is_one_sentence(sqlite_db):
    import socket

    with socket.socket() as probe:  # a port nothing listens on once the probe closes
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    url = f"http://127.0.0.1:{port}"
    with pytest.raises(Exception) as raised:
        sync_ecg(sqlite_db, PlatformClient(url, TOKEN, tries=2, backoff_s=0.01), "org")
    assert str(raised.value) == f"The platform at {url} cannot be reached (connection refused)."


def test_the_platform_token_lives_in_the_real_secret_service(platform, cli, secret_service):
    first = cli(
        "sync", "centrepoint", "--api-url", platform.url, "--study", SMALL_STUDY,
        "--token-stdin", "--json", stdin=TOKEN,
    )  # fmt: skip
    assert first.code == 0, first.err
    host = platform.url.split("://")[1]
    assert secret_service.get_password("webhook-desk", f"platform/{host}") == TOKEN
    again = cli("sync", "centrepoint", "--api-url", platform.url, "--study", SMALL_STUDY, "--json")
    assert again.code == 0 and again.json()["records_added"] == 0
