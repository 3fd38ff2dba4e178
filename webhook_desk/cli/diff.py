"""`webhook-desk diff A B`: what is different between two requests (deliveries, attempt:ID,
capture:ID); --json prints the whole comparison, whose body patch is RFC 6902 from A to B."""

from __future__ import annotations

import json

from webhook_desk.cli.common import add_json_option, add_verb, open_db, print_json


def register(subparsers) -> None:
    diff = add_verb(subparsers, "diff", "compare two requests: headers, body, answer", _diff)
    diff.add_argument("a", metavar="A", help="DELIVERY (number or id), attempt:ID or capture:ID")
    diff.add_argument("b", metavar="B")
    add_json_option(diff)


def _diff(args) -> int:
    from webhook_desk.services import request_diff

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
