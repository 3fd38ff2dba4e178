"""`webhook-desk diff A B`: what is different between two requests (deliveries, attempt:ID,
capture:ID); --json prints the whole comparison, whose body patch is RFC 6902 from A to B."""

from __future__ import annotations

import json

from webhook_desk.cli.common import open_db, print_json
from webhook_desk.services import request_diff


def _diff(args) -> int:
    db = open_db(args)
    with db.session() as session:
        result = request_diff.diff(session, args.a, args.b)
    if args.json:
        print_json(result)
    else:
        print("\n".join(describe(result)))
    return 0


def describe(result: dict) -> list[str]:
    """The comparison for a person: one line per difference, `-` for A and `+` for B."""
    lines = [f"--- {result['a']}", f"+++ {result['b']}"]
    if result["url"]:
        lines.append(f"url: - {result['url']['a']}  + {result['url']['b']}")
    lines += [f"header {_change(c)}" for c in result["headers"]]
    body = result["body"]
    if body["same"]:
        lines.append("body: the same")
    elif body["json"]:
        lines += [f"body {_change(c)}" for c in body["changes"]]
    else:
        lines.append("body: differs (not JSON on both sides; use --json for both texts)")
    answer = result["answer"]
    for key in ("response_code", "duration_ms"):
        if answer[key]["a"] != answer[key]["b"]:
            lines.append(f"{key}: - {answer[key]['a']}  + {answer[key]['b']}")
    return lines


def _change(change: dict) -> str:
    old, new = json.dumps(change["old"]), json.dumps(change["new"])
    if change["kind"] == "added":
        return f"{change['path']}: + {new}"
    if change["kind"] == "removed":
        return f"{change['path']}: - {old}"
    return f"{change['path']}: - {old}  + {new}"
