"""A flood of idle connections that uses up the receiver's file descriptors: it says so in one
line and serves normal requests again at once, not after the 15 s idle timeout."""

from __future__ import annotations

import os
import re
import resource
import signal
import socket
import subprocess
import sys
import time

import requests

CLI = [sys.executable, "-c", "import sys; from webhook_desk.cli import main; sys.exit(main())"]
DESCRIPTORS = 64  # the receiver's limit: a few dozen idle connections use them up
FLOOD = 100
RECOVERED_WITHIN_S = 3.0  # the idle timeout it used to take is 15 s


def _limited():
    resource.setrlimit(resource.RLIMIT_NOFILE, (DESCRIPTORS, DESCRIPTORS))


def test_running_out_of_descriptors_is_logged_and_serving_resumes_at_once(sqlite_db):
    receiver = subprocess.Popen(
        [*CLI, "--db", sqlite_db.url, "receive", "--port", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        preexec_fn=_limited,
        env=os.environ | {"PYTHONUNBUFFERED": "1"},
    )
    flood: list[socket.socket] = []
    try:
        url = re.search(r"Receiving at (\S+)", receiver.stdout.readline()).group(1)
        port = int(url.rstrip("/").rsplit(":", 1)[1])
        assert requests.post(url + "before", data=b"{}", timeout=5).status_code == 200
        flood = [socket.create_connection(("127.0.0.1", port)) for _ in range(FLOOD)]
        started = time.monotonic()
        while True:  # the flood's connections stay open on this side all along
            try:
                answered = requests.post(url + "after", data=b"{}", timeout=0.5)
                break
            except (requests.ConnectionError, requests.Timeout):
                assert time.monotonic() - started < RECOVERED_WITHIN_S, "still not serving"
        assert answered.status_code == 200
    finally:
        for connection in flood:
            connection.close()
        receiver.send_signal(signal.SIGTERM)
        _, err = receiver.communicate(timeout=15)
    [line] = [x for x in err.splitlines() if "file descriptors" in x]
    assert line.startswith(f"The receiver is running out of file descriptors ({DESCRIPTORS} of")
    assert "idle connections so that requests get through." in line
