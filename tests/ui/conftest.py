"""The main window over a fresh SQLite database, an in-memory keyring and a throwaway QSettings."""

import pytest
from PySide6.QtCore import QSettings

from webhook_desk.services.catalog import sync_catalog
from webhook_desk.ui.context import AppContext
from webhook_desk.ui.jobs import wait_for_jobs


@pytest.fixture
def database(request):
    """SQLite unless a test asks for PostgreSQL with parametrize(..., indirect=True)."""
    backend = getattr(request, "param", "sqlite")
    return request.getfixturevalue("pg_db" if backend == "postgres" else "sqlite_db")


@pytest.fixture
def context(database, memory_keyring, qapp):
    with database.session() as session:
        sync_catalog(session)
    context = AppContext(database)
    yield context


@pytest.fixture(scope="module")
def ecg(tmp_path_factory):
    """The hosted ECG module: `webhook-desk serve` in a process of its own (ecg_module.py)."""
    from ecg_module import running_module

    with running_module(tmp_path_factory.mktemp("module")) as running:
        yield running


@pytest.fixture
def settings(tmp_path):
    return QSettings(str(tmp_path / "webhook-desk.ini"), QSettings.Format.IniFormat)


@pytest.fixture
def window(context, settings, qtbot):
    from webhook_desk.ui.main_window import MainWindow

    window = MainWindow(context, settings)
    qtbot.addWidget(window)
    window.show()
    yield window
    window.shutdown()
    wait_for_jobs()


@pytest.fixture
def receiver_tab(tmp_path, monkeypatch, window):
    """The Receiver tab, shown, set to a free port, its local CA in a data directory of its own."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "data"))
    tab = window.receiver_tab
    window.tabs.setCurrentWidget(tab)
    tab.port.setValue(0)  # any free port: tests must not fight over 8787
    return tab


@pytest.fixture
def show_history(window, qtbot):
    """Show the History tab, re-read from the database, once its first rows are in."""

    def show():
        tab = window.history_tab
        window.tabs.setCurrentWidget(tab)
        tab.refresh()
        qtbot.waitUntil(lambda: not tab.model.loading)
        return tab

    return show
