"""The endpoint check's evidence report, as HTML or PDF, for a regulated study's file.

Each report carries the check run itself (as JSON) and the SHA-256 of that content, and is
rendered from it alone, deterministically. `verify` renders the carried run again and
compares it with the file byte for byte, so any change to a filed copy, visible or not, is
found. PDFs are made with fpdf2 (pure Python), so the CLI needs no Qt and no browser.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re
from datetime import datetime
from pathlib import Path

from webhook_desk.errors import InvalidInput, UserError
from webhook_desk.services.pdf_text import core_font_text

FORMATS = (".html", ".pdf")
_HTML_RUN = re.compile(r'<script type="application/json" id="check-run">([^<]*)</script>')
_PDF_RUN = re.compile(rb"/Keywords \(check-run:([^)]*)\)")  # any bytes: a changed one is damage


def content_hash(run: dict) -> str:
    return hashlib.sha256(_canonical(run)).hexdigest()


def _canonical(run: dict) -> bytes:
    return json.dumps(run, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode()


def write(run: dict, path: str | Path) -> tuple[Path, str]:
    """The report at `path` (.html or .pdf); returns it and its content hash."""
    target = Path(path)
    suffix = target.suffix.lower()
    if suffix not in FORMATS:
        raise InvalidInput(f"A report is .html or .pdf, not '{target.suffix or target.name}'.")
    data = render_html(run) if suffix == ".html" else render_pdf(run)
    try:
        target.write_bytes(data)
    except OSError as error:
        raise UserError(f"Cannot write the report {target}: {error.strerror or error}.") from None
    return target, content_hash(run)


def verify(path: str | Path) -> str:
    """The sentence for a filed report: unchanged (with its hash) or changed since."""
    target = Path(path)
    try:
        data = target.read_bytes()
    except OSError as error:
        raise UserError(f"Cannot read {target}: {error.strerror or error}.") from None
    try:
        run = _carried_run(target, data)
        again = render_html(run) if target.suffix.lower() == ".html" else render_pdf(run)
    except (ValueError, KeyError, TypeError):  # the carried run damaged: bytes, or its fields
        raise UserError(
            f"{target} was changed after it was written: its content is damaged."
        ) from None
    if again != data:
        raise UserError(f"{target} was changed after it was written: it is not the report made.")
    return (
        f"{target} is unchanged: {run['verdict']} for {run['target']} on {run['started_at']}; "
        f"content SHA-256 {content_hash(run)}."
    )


def _carried_run(target: Path, data: bytes) -> dict:
    if target.suffix.lower() == ".html":
        found = _HTML_RUN.search(data.decode("utf-8", errors="replace"))
        text = html.unescape(found[1]) if found else None
    else:
        match = _PDF_RUN.search(data)
        text = base64.b64decode(match[1], validate=True).decode() if match else None
    if text is None:
        raise InvalidInput(f"{target} is not an endpoint check report of webhook-desk.")
    return json.loads(text)


def _lines(run: dict) -> list[tuple[str, str]]:
    """(style, text) lines, the same for both formats: "h" heading, "b" bold, "" plain."""
    lines = [
        ("h", "Endpoint conformance check"),
        ("", f"Target: {run['target']}"),
        ("", f"Scheme: {run['scheme']}   Registration: {run['registration_id'] or '-'}"
             f"   Study: {run['study'] or '-'}"),
        ("", f"Run {run['run_id']}, {run['started_at']} to {run['finished_at']} (UTC)"),
        ("", f"webhook-desk {run['product_version']}; target confirmed by {run['confirmed_by']}"),
        ("b", f"Overall verdict: {run['verdict'].upper()}"),
    ]  # fmt: skip
    for result in run["results"]:
        lines.append(("b", f"{result['number']}. {result['title']}: {result['verdict']}"))
        lines.append(("", result["detail"]))
        lines += [("", f"    {e['request']} -> {e['answer']}") for e in result["evidence"]]
    lines.append(("", f"Content SHA-256: {content_hash(run)}"))
    return lines


def render_html(run: dict) -> bytes:
    tags = {"h": "h1", "b": "h3", "": "p"}
    body = "\n".join(
        f"<{tags[style]}>{html.escape(text)}</{tags[style]}>" for style, text in _lines(run)
    )
    carried = html.escape(_canonical(run).decode())
    page = (
        '<!doctype html>\n<html><head><meta charset="utf-8">'
        f"<title>Endpoint check {html.escape(run['run_id'])}</title>"
        "<style>body{font-family:sans-serif;max-width:60em;margin:2em auto}"
        "p{white-space:pre-wrap;margin:.2em 0}</style></head><body>\n"
        f"{body}\n"
        f'<script type="application/json" id="check-run">{carried}</script>\n'
        "</body></html>\n"
    )
    return page.encode("utf-8")


def render_pdf(run: dict) -> bytes:
    from fpdf import FPDF  # only the PDF needs it

    pdf = FPDF()
    pdf.set_creation_date(datetime.fromisoformat(run["started_at"]))
    pdf.set_title(f"Endpoint check {run['run_id']}")
    pdf.set_keywords("check-run:" + base64.b64encode(_canonical(run)).decode())
    pdf.add_page()
    sizes = {"h": 16, "b": 11, "": 9}
    for style, text in _lines(run):
        pdf.set_font("Helvetica", "B" if style else "", sizes[style])
        pdf.multi_cell(
            0, 5 if style == "" else 8, core_font_text(text), new_x="LMARGIN", new_y="NEXT"
        )
    return bytes(pdf.output())
