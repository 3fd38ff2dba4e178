"""The one rule for text a spreadsheet would run as a formula, for every CSV the app writes:
the audit trail's cells in Python, the history export's in SQL (from FORMULA_CLASS)."""

FORMULA_STARTS = "=+@-"  # '-' last, so FORMULA_CLASS reads it literally in GLOB and regex
FORMULA_CLASS = f"[{FORMULA_STARTS}]"


def formula_safe(text: str) -> str:
    """`text`, with a leading ' when a spreadsheet would take it for a formula."""
    return "'" + text if text.startswith(tuple(FORMULA_STARTS)) else text
