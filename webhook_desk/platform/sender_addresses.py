"""The addresses CentrePoint sends webhooks from (the docs' firewall allow-list): shown where a
coordinator configures an endpoint, and marked on what the receiver captures."""

from __future__ import annotations

SENDER_ADDRESSES = (
    "13.82.60.74",
    "40.114.106.25",
    "40.114.109.196",
    "40.87.40.14",
    "40.87.44.79",
    "40.87.47.202",
    "40.87.41.144",
    "40.87.47.137",
    "13.68.136.18",
)
PLATFORM_MARK = "CentrePoint sender"


def is_platform_sender(remote_addr: str | None) -> bool:
    """Whether a request came from one of the platform's sending addresses (an IPv4-mapped
    IPv6 address counts as its IPv4 one)."""
    return (remote_addr or "").removeprefix("::ffff:") in SENDER_ADDRESSES


def remote_label(remote_addr: str | None) -> str:
    """A remote address as the receiver shows it, marked when the platform sent from it."""
    shown = remote_addr or ""
    return f"{shown} ({PLATFORM_MARK})" if is_platform_sender(shown) else shown


def allow_list_text() -> str:
    """The allow-list to paste into a firewall: one address a line."""
    return "\n".join(SENDER_ADDRESSES)
