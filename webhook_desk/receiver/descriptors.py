"""File descriptors: a flood of connections that send nothing can take every one the process
may open, and then the receiver cannot accept a request; neither event loop says so (uvloop
drops the new connections silently) and the flood's connections would only go at the idle
timeout (15 s). This watch logs one line when few are left and closes the idle connections,
so normal requests get through again at once."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import Callable

from aiohttp import web

try:
    import resource  # imported now: with no descriptor left, even an import fails
except ImportError:  # not on Windows
    resource = None  # type: ignore[assignment]

log = logging.getLogger(__name__)

WATCH_EVERY_S = 0.25
OPEN_FILES = "/dev/fd"  # the process's open descriptors, on Linux and macOS


def descriptors_in_use() -> tuple[int, int] | None:
    """(open, the most this process may have open); None where that cannot be known."""
    if resource is None:
        return None
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    if limit == resource.RLIM_INFINITY:
        return None
    try:
        return len(os.listdir(OPEN_FILES)) - 1, limit  # less the one listdir opened
    except OSError:  # EMFILE: not even one left to look with
        return limit, limit


def running_short(in_use: int, limit: int) -> bool:
    return limit - in_use <= max(16, limit // 10)


def close_idle(server: web.Server) -> int:
    """Close the connections with no request under way (they may reconnect); how many."""
    idle = [c for c in server.connections if not getattr(c, "_request_in_progress", False)]
    for connection in idle:
        connection.force_close()
    return len(idle)


async def watch(server: Callable[[], web.Server | None], title: str) -> None:
    """Every WATCH_EVERY_S, while `server()` serves: when descriptors run short, close its
    idle connections, and say so once each time it happens."""
    if not os.path.isdir(OPEN_FILES):
        return
    short = False
    while True:
        await asyncio.sleep(WATCH_EVERY_S)
        counted = descriptors_in_use()
        if counted is None or not running_short(*counted):
            short = False
            continue
        serving = server()
        closed = close_idle(serving) if serving is not None else 0
        if not short:
            log.warning(
                "The %s is running out of file descriptors (%d of %d in use); closed %d idle "
                "connections so that requests get through.",
                title,
                *counted,
                closed,
            )
        short = True
