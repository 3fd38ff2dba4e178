"""Secrets in the real OS keyring: gnome-keyring's Secret Service on D-Bus, as on a desktop."""

import uuid

import keyring
import pytest
from keyring.backends import fail

from webhook_desk.errors import KeyringUnavailable, NotFound
from webhook_desk.secrets import SecretStore
from webhook_desk.settings import KEYRING_SERVICE


@pytest.fixture
def no_keyring():
    """keyring's fail backend: what a headless machine without a Secret Service has."""
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    yield
    keyring.set_keyring(previous)


def _items_in_secret_service(backend, key: str) -> list:
    collection = backend.get_preferred_collection()
    return list(collection.search_items({"service": KEYRING_SERVICE, "username": key}))


@pytest.mark.secret_service
def test_a_secret_is_stored_read_and_deleted_in_the_real_secret_service(secret_service):
    store = SecretStore()
    store.require_usable()
    key = f"test-{uuid.uuid4().hex}"
    value = f"whsec-{uuid.uuid4().hex}"

    store.put(key, value)
    [item] = _items_in_secret_service(secret_service, key)
    assert item.get_secret().decode() == value
    assert store.get(key) == value

    store.delete(key)
    assert _items_in_secret_service(secret_service, key) == []
    with pytest.raises(NotFound):
        store.get(key)


@pytest.mark.secret_service
def test_health_probe_finds_the_real_secret_service_working(secret_service):
    assert SecretStore().works()


def test_without_a_keyring_storing_a_secret_fails_naming_the_backend(no_keyring):
    store = SecretStore()
    with pytest.raises(KeyringUnavailable) as refused:
        store.require_usable()
    sentence = str(refused.value)
    assert "keyring.backends.fail.Keyring" in sentence
    assert "gnome-keyring" in sentence
    assert "\n" not in sentence
    with pytest.raises(KeyringUnavailable):
        store.put("never-stored", "value")
    assert not store.works()
