"""Reading a pasted or uploaded list of emails for a bulk enrolment (through the shared CSV reader)."""

from __future__ import annotations

from flask_babel import format_decimal, gettext as _

from app.services.exports.csv_upload import UploadError, decode_upload, header_key, read_rows

MAX_ROWS = 2000

EMAIL_HEADERS = {
    "email", "e-mail", "mail", "email address", "e-mail address",
    "indirizzo email", "indirizzo e-mail", "endereço de email", "endereço de e-mail",
}

def read_email_list(data: str | bytes) -> list[tuple[int, str]]:
    """``(line, email)`` for each row of pasted text or a CSV file, or ``UploadError``.

    One email per line, several separated by commas or semicolons, or a CSV
    whose header row names an ``email`` column (other columns are ignored).
    """
    text = decode_upload(data)
    rows: list[tuple[int, str]] = []
    column: int | None = None
    first = True
    for line, cells in read_rows(text):
        if first:
            first = False
            column = _email_column(cells)
            if column is not None:
                continue
            if len([c for c in cells if c]) > 1 and not any("@" in c for c in cells):
                raise UploadError(_(
                    "The first row has several columns but none is named email; found: %(found)s.",
                    found=", ".join(c for c in cells if c),
                ))
        if column is not None:
            emails = [cells[column] if column < len(cells) else ""]
        else:
            emails = [c for c in cells if c]
            if len(emails) > 1 and not all("@" in c for c in emails):
                raise UploadError(_(
                    "Line %(line)s has several columns. Add a header row that names the email column, "
                    "or put one email per line.", line=line,
                ))
        for email in emails:
            rows.append((line, email))
            if len(rows) > MAX_ROWS:
                raise UploadError(_("At most %(max)s rows at a time. Split the list.", max=format_decimal(MAX_ROWS)))
    return rows


def _email_column(cells: list[str]) -> int | None:
    for index, cell in enumerate(cells):
        if header_key(cell) in EMAIL_HEADERS:
            return index
    return None


def email_rows(emails: str | bytes | list | tuple | None) -> list[tuple[int, str]]:
    """``(line, email)`` rows of pasted text, CSV bytes, a list of emails or of ``(line, email)`` pairs."""
    if isinstance(emails, (list, tuple)):
        rows = []
        for index, item in enumerate(emails, start=1):
            line, email = item if isinstance(item, (list, tuple)) else (index, item)
            if str(email).strip():
                rows.append((line, str(email)))
        return rows
    if emails:
        return read_email_list(emails)
    return []
