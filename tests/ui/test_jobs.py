"""A window closed while its query runs: the answer arriving later goes nowhere, quietly."""

import threading

import shiboken6
from PySide6.QtWidgets import QLabel

from webhook_desk.ui import jobs


def test_a_deleted_widget_does_not_hear_from_its_finished_job(qtbot):
    gate = threading.Event()
    label = QLabel()
    jobs.run_job(lambda: gate.wait(5) and "late", label.setText)
    shiboken6.delete(label)
    gate.set()
    assert jobs.wait_for_jobs()
    qtbot.waitUntil(lambda: not jobs._running)  # reported (and dropped) without an error
