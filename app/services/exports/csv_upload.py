"""Reading an uploaded or pasted CSV: the one reader every upload uses (students, lists of emails).

UTF-8 with or without a BOM; comma, semicolon (Italian Excel exports) or tab
delimited, sniffed from the first non-empty line; blank rows skipped; cells
trimmed. Every refusal is an ``UploadError`` whose message says why.
"""

from __future__ import annotations

import csv
import io
from typing import Iterator

from flask_babel import lazy_gettext as _l

from app.services import DomainError

MAX_BYTES = 2 * 1024 * 1024
DELIMITERS = (",", ";", "\t")


class UploadError(DomainError):
    """The file or text as a whole cannot be read; the message says why (translated)."""


def decode_upload(data: str | bytes, *, max_bytes: int = MAX_BYTES) -> str:
    """The text of an upload (bytes) or of pasted text (str), or ``UploadError``."""
    if isinstance(data, bytes):
        if len(data) > max_bytes:
            raise UploadError(_l("The file is larger than 2 MB. Split it into smaller files."))
        try:
            text = data.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise UploadError(
                _l('The file is not UTF-8 text. In Excel, save it as "CSV UTF-8" and upload it again.')
            ) from None
    else:
        text = data.removeprefix("\ufeff")
    if "\x00" in text:
        raise UploadError(_l("This is not a CSV text file."))
    return text


def sniff_delimiter(text: str) -> str:
    first = next((line for line in text.splitlines() if line.strip()), "")
    counts = {d: first.count(d) for d in DELIMITERS}
    best = max(counts, key=counts.get)
    return best if counts[best] else ","


def header_key(cell: str) -> str:
    """A header cell as compared with known column names: no BOM or quotes, lower case, single spaces."""
    return " ".join(cell.replace("\ufeff", "").strip().strip('"').lower().split())


def read_rows(text: str) -> Iterator[tuple[int, list[str]]]:
    """``(line, cells)`` for each non-blank row, cells trimmed; ``UploadError`` on a broken CSV."""
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sniff_delimiter(text))
    try:
        for cells in reader:
            cells = [cell.replace("\ufeff", "").strip() for cell in cells]
            if any(cells):
                yield reader.line_num, cells
    except csv.Error as exc:
        raise UploadError(
            _l("The file is not a valid CSV (line %(line)s): %(error)s", line=reader.line_num, error=str(exc))
        ) from None
