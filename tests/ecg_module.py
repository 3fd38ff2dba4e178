"""`webhook-desk serve` in a process of its own, playing the hosted ECG module for the tests
of changes made on the desk (tests/test_ecg_writes.py, tests/ui/test_ecg_mirror_gui.py)."""

import contextlib
import signal
import subprocess
import sys

import keyring

from webhook_desk.db.models import Registration
from webhook_desk.platform import api_shapes
from webhook_desk.platform.client import PlatformClient
from webhook_desk.platform.ecg_sync import event_ids, sync_ecg
from webhook_desk.secrets import SecretStore
from webhook_desk.services import registrations
from webhook_desk.settings import KEYRING_SERVICE

VITALS, PHONE = "vitals.observations.created", "phone.logs.created"


class Module:
    """`webhook-desk serve` in another process, its database, and a token for it."""

    def __init__(self, url: str, token: str, db, db_url: str):
        self.url, self.token, self.db, self.db_url = url, token, db, db_url
        self.orgs = 0

    def client(self, token: str | None = None, **options) -> PlatformClient:
        return PlatformClient(self.url, token or self.token, **options)

    def subscription(self) -> tuple[str, str]:
        """A new subscription in an organisation of its own: (organisation, its id)."""
        self.orgs += 1
        org = f"org-{self.orgs}"
        body = {"postUri": "https://example.org/hook", "events": [VITALS], "isDevelopment": True}
        client = self.client()
        made = client.send("POST", f"/api/organizations/{org}/webhook-subscriptions", body=body)
        client.close()
        return org, made["id"]

    def registration(self, remote: str) -> dict:
        """The subscription as the module's own database holds it."""
        found = self.find(remote)
        assert found is not None, f"the module has no subscription {remote}"
        return found

    def secret_versions(self, remote: str) -> int:
        """How many secret versions the module keeps for the subscription."""
        with self.db.session() as session:
            for reg in session.query(Registration):
                if api_shapes.subscription_id(reg) == remote:
                    return len(reg.secrets)
        raise AssertionError(f"the module has no subscription {remote}")

    def stored(self, session, remote: str) -> Registration:
        """The subscription's record in the module's own database, in `session`."""
        return next(
            r for r in session.query(Registration) if api_shapes.subscription_id(r) == remote
        )

    def fail_activity(self, remote: str, event: str = VITALS) -> None:
        """On the module's side: `event` posted to the subscription, its receiver answering 500."""
        from webhook_desk.services import firing, outcomes

        with self.db.session() as session:
            reg = self.stored(session, remote)
            [delivery] = firing.fire(session, event, to_registration=reg.id, validate=False)
            outcomes.record_outcome(session, delivery.id, False, 500, "receiver error")

    def deliveries(self) -> int:
        """How many deliveries (activities and their retries) the module holds."""
        from sqlalchemy import func, select

        from webhook_desk.db.models import Delivery

        with self.db.session() as session:
            return session.scalar(select(func.count()).select_from(Delivery))

    def failed_activity(self, org: str, remote: str, payload: dict) -> str:
        """A post of VITALS to the subscription that failed (500), made on the module: the id
        of the activity that failed."""
        client = self.client()
        path = f"/api/organizations/{org}/webhook-subscriptions/{remote}"
        posted = client.send("POST", path + "/activity", body={
            "type": 0, "eventId": event_ids(client)[(VITALS, "v1")], "payload": payload,
            "rawMessage": {},
        })  # fmt: skip
        failed = client.send("POST", f"{path}/activity/{posted['id']}/outcomes", body={
            "originalActivityId": posted["id"], "success": False, "httpStatusCode": 500,
            "error": "receiver down", "rawResponse": {},
        })  # fmt: skip
        client.close()
        return failed["id"]

    def find(self, remote: str) -> dict | None:
        with self.db.session() as session:
            for reg in session.query(Registration):
                if api_shapes.subscription_id(reg) == remote:
                    return registrations.as_dict(reg)
        return None

    def patch(self, org: str, remote: str, operations: list) -> None:
        """A change made on the module by someone else."""
        client = self.client()
        path = f"/api/organizations/{org}/webhook-subscriptions/{remote}"
        client.send("PATCH", path, body=operations)
        client.close()


@contextlib.contextmanager
def serving(url: str, *switches: str):
    """`webhook-desk serve` over the database at `url` in a process of its own: its base URL."""
    process = subprocess.Popen(
        [sys.executable, "-m", "webhook_desk.cli", "--db", url, "serve", "--port", "0", *switches],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        line = process.stdout.readline()
        assert line.startswith("Serving the platform API at http://127.0.0.1:"), (
            process.stderr.read()
        )
        yield line.split()[5].rstrip(";")
    finally:
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=20) == 0


@contextlib.contextmanager
def running_module(directory):
    """The module over a database of its own in `directory`, with a token signed by the key
    the served process reads from the real keyring. What this run adds to that keyring (the
    signing key, the subscriptions' secrets the served process keeps) is removed after."""
    from datetime import timedelta

    from webhook_desk.api import tokens
    from webhook_desk.services.startup import open_database

    backend = keyring.get_keyring()  # the real Secret Service, before a test swaps it
    before = set(_keyring_items(backend))
    token = tokens.issue(tokens.signing_key(SecretStore()), "desk-tests", timedelta(hours=1))
    url = f"sqlite:///{directory / 'module.sqlite3'}"
    db = open_database(url)
    try:
        with serving(url) as base:
            yield Module(base, token, db, url)
    finally:
        db.dispose()
        for path, item in _keyring_items(backend).items():
            if path not in before:
                item.delete()


def _keyring_items(backend) -> dict:
    collection = backend.get_preferred_collection()
    return {item.item_path: item for item in collection.search_items({"service": KEYRING_SERVICE})}


def mirror(module: Module, db) -> tuple[str, str, int]:
    """A subscription on the module, synced into `db`: (organisation, remote id, local id)."""
    org, remote = module.subscription()
    sync_ecg(db, module.client(), org)
    with db.session() as session:
        reg = session.query(Registration).filter_by(source="ecg", remote_id=remote).one()
        return org, remote, reg.id


def local(db, reg_id) -> dict:
    """The mirror as the desk's database holds it."""
    with db.session() as session:
        return registrations.as_dict(registrations.get(session, reg_id))


def served_module(tmp_path_factory):
    """A test file's `module` fixture: `module = pytest.fixture(scope="module")(served_module)`."""
    with running_module(tmp_path_factory.mktemp("module")) as running:
        yield running


def mirrored_subscription(module, catalog_db):
    """A test's `mirrored` fixture: a subscription on the module, synced into the desk:
    (organisation, remote id, local id)."""
    return mirror(module, catalog_db)
