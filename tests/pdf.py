"""Reading generated PDFs back in tests: their text layer, as a reader's copy and search see it."""

from __future__ import annotations

import io

from pypdf import PdfReader


def pdf_text(data: bytes) -> str:
    """The text of every page (pypdf), lines joined by newlines."""
    reader = PdfReader(io.BytesIO(data))
    return "\n".join(page.extract_text() or "" for page in reader.pages)
