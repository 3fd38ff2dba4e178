"""Where an export is written until it is complete: a folder of our own beside the target.

Beside it, so the final move is a rename on the same disk; owner-only, because it holds
study data; and it holds every temporary file (xlsxwriter's too), so an export killed at any
moment leaves exactly one thing behind, which the next export to that folder removes.
A running export keeps a lock on its folder, so another export never removes a live one.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

from webhook_desk.errors import UserError

try:
    import fcntl
except ImportError:  # Windows: an open file cannot be removed there, which protects it
    fcntl = None  # type: ignore[assignment]

# .NAME.PID.partial: ours, made by the export of NAME by process PID.
_OURS = re.compile(r"\..+\.\d+\.partial")


class Workspace:
    """`with Workspace(target) as w:` write `w.file`, move it to `target`; the folder goes."""

    def __init__(self, target: Path):
        self.target = target
        self.folder = target.with_name(f".{target.name}.{os.getpid()}.partial")
        self.file = self.folder / target.name
        self._lock: int | None = None

    def __enter__(self) -> Workspace:
        if self.target.is_dir():
            raise UserError(f"Cannot export to {self.target}: it is a folder; name a file.")
        remove_stale(self.target.parent)
        try:
            os.mkdir(self.folder, 0o700)
        except FileExistsError:
            raise UserError(f"Another export to {self.target} is under way.") from None
        except OSError as exc:
            raise UserError(f"Cannot write {self.target}: {exc.strerror or exc}.") from None
        self._lock = _locked(self.folder)
        try:
            os.close(os.open(self.file, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
        except BaseException:
            self.__exit__()
            raise
        return self

    def __exit__(self, *_exc) -> None:
        shutil.rmtree(self.folder, ignore_errors=True)
        if self._lock is not None:
            os.close(self._lock)
            self._lock = None


def _locked(path: Path) -> int | None:
    """An open descriptor holding an exclusive lock on `path`; None when it is locked by a
    live export (or locks do not exist here)."""
    if fcntl is None:
        return None
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        os.close(fd)
        return None
    return fd


def remove_stale(folder: Path) -> None:
    """Remove what killed exports of ours left in `folder` (live exports hold a lock)."""
    try:
        leftovers = [p for p in folder.iterdir() if _OURS.fullmatch(p.name)]
    except OSError:
        return  # an unreadable folder: the export's own sentence will say so
    for path in leftovers:
        lock = _locked(path)
        if lock is None and fcntl is not None:
            continue  # a live export
        try:
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:  # the single hidden file older versions left
                path.unlink(missing_ok=True)
        finally:
            if lock is not None:
                os.close(lock)
