"""A client's side for the `serve` tests: a requests session on the server's base URL with a
bearer token, and the seeds' route list read from the seed files themselves."""

from __future__ import annotations

import re
from pathlib import Path

import requests

SEEDS = Path("/work/shared/seeds")
for _parent in Path(__file__).resolve().parents:
    if (_parent / "shared" / "seeds").is_dir():
        SEEDS = _parent / "shared" / "seeds"
        break


def seed_routes() -> list[str]:
    """'post/api/webhook-categories' for every route seed 004 documents, and the CentrePoint
    GETs of seeds 000 and 002."""
    ecg = (SEEDS / "004_2f1020df106fd211.txt").read_text(encoding="utf-8")
    found = re.findall(r"^(?:get|post|put|patch|delete)/\S+$", ecg, flags=re.M)
    for seed in ("000_0bc94753fba076b3.txt", "002_fe1083136f877258.txt"):
        text = (SEEDS / seed).read_text(encoding="utf-8")
        found += ["get" + p for p in re.findall(r"^\s*GET (/[^\s?]+)", text, flags=re.M)]
    return list(dict.fromkeys(found))


class Client(requests.Session):
    """Requests to one server, paths relative to its base URL, with a bearer token."""

    def __init__(self, base: str, token: str | None):
        super().__init__()
        self.base = base
        if token:
            self.headers["Authorization"] = f"Bearer {token}"

    def request(self, method, path, *args, **kwargs):
        kwargs.setdefault("timeout", 10)
        return super().request(method, self.base + path, *args, **kwargs)
