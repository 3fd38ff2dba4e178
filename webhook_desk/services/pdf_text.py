"""Text for fpdf2's core fonts, which both PDF writers (endpoint-check reports, the audit
trail) use so that a PDF renders the same bytes on every machine, whatever fonts it has."""


def core_font_text(text: str) -> str:
    """The core PDF fonts speak Latin-1: anything else is shown as '?'."""
    return text.encode("latin-1", errors="replace").decode("latin-1")
