"""How long one request of a delivery may take (DESIGN.md: connect 5 s, total 15 s).

Apart from engine/sender.py, which needs requests, so that settings and the window read the
defaults without loading the HTTP stack.
"""

from __future__ import annotations

from dataclasses import dataclass

CONNECT_TIMEOUT_S = 5.0
TOTAL_TIMEOUT_S = 15.0


@dataclass(frozen=True)
class Timeouts:
    connect: float = CONNECT_TIMEOUT_S
    total: float = TOTAL_TIMEOUT_S
