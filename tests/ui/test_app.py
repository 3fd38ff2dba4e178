"""Which database the window opens: --db, then WEBHOOK_DESK_DB, then Settings, then the default."""

import pytest
from PySide6.QtCore import QCoreApplication, QSettings

from webhook_desk.settings import DB_ENV_VAR, default_db_url
from webhook_desk.ui.app import database_url
from webhook_desk.ui.preferences import Preferences


@pytest.fixture
def scratch_settings(qapp, tmp_path):
    """QSettings() points at a scratch place for this test only."""
    names = QCoreApplication.organizationName(), QCoreApplication.applicationName()
    QSettings.setPath(QSettings.Format.NativeFormat, QSettings.Scope.UserScope, str(tmp_path))
    QCoreApplication.setOrganizationName("webhook-desk-test")
    QCoreApplication.setApplicationName("webhook-desk-test")
    yield
    QCoreApplication.setOrganizationName(names[0])
    QCoreApplication.setApplicationName(names[1])


def test_database_is_chosen_in_the_documented_order(scratch_settings, monkeypatch):
    monkeypatch.delenv(DB_ENV_VAR, raising=False)
    assert database_url(None) == default_db_url()
    Preferences(database_url="sqlite:////tmp/chosen.sqlite3").save(QSettings())
    assert database_url(None) == "sqlite:////tmp/chosen.sqlite3"
    monkeypatch.setenv(DB_ENV_VAR, "sqlite:////tmp/from-env.sqlite3")
    assert database_url(None) == "sqlite:////tmp/from-env.sqlite3"
    assert database_url("sqlite:////tmp/flag.sqlite3") == "sqlite:////tmp/flag.sqlite3"
