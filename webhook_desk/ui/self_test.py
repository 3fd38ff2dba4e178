"""`webhook-desk --self-test`: open the real window offscreen, check the parts it stands on,
print one line per check and exit 0 only when all pass. CI runs it on the PyInstaller bundle.
"""

from __future__ import annotations

import sys

from PySide6.QtWidgets import QApplication

from webhook_desk.services import catalog, health
from webhook_desk.ui.jobs import wait_for_jobs


def _checks(window) -> list[tuple[str, bool, str]]:
    context = window.context
    found = []
    report = health.check(context.db.url, context.store)
    db = report["database"]
    found.append(("database", db["ok"], db.get("error") or f"{db['url']} at {db['revision']}"))
    with context.db.session() as session:
        events = catalog.list_events(session)
    found.append(("catalog", bool(events), f"{len(events)} event versions"))
    keyring = report["keyring"]
    found.append(("keyring", keyring["ok"], keyring.get("error") or keyring["backend"]))
    tabs = window.tabs
    for i in range(tabs.count()):
        tabs.setCurrentIndex(i)
        QApplication.processEvents()
        image = window.grab()
        found.append(
            (f"tab {tabs.tabText(i)}", not image.isNull(), f"{image.width()}x{image.height()}")
        )
    return found


def run_self_test(app: QApplication, window) -> int:
    wait_for_jobs()
    app.processEvents()
    results = _checks(window)
    for name, ok, detail in results:
        print(f"{'ok  ' if ok else 'FAIL'} {name}: {detail}")
    window.shutdown()
    passed = all(ok for _, ok, _ in results)
    print("self-test passed" if passed else "self-test failed", file=sys.stdout)
    return 0 if passed else 1
