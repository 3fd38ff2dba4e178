"""The engine's defaults that Settings shows: how long one request may take (DESIGN.md:
connect 5 s, total 15 s) and whether validation handshakes are signed.

Apart from engine/sender.py and engine/validation.py, which need requests, so that settings and
the window read them without loading the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

CONNECT_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 15.0
SIGNED_BY_DEFAULT = False  # the platform's validation example carries no signature


@dataclass(frozen=True)
class Timeouts:
    connect: float = CONNECT_TIMEOUT_S
    total: float = TOTAL_TIMEOUT_S
