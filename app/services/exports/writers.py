"""Writing reports: the one CSV writer and the one XLSX writer every download uses.

Rows are typed (``date``, ``datetime``, ``int``, ``str``, ``None``); each
writer formats them: the CSV as text (with formula-looking text neutralised),
the XLSX as real dates and numbers. Neither ever holds a whole report in
memory: a CSV is a generator of text chunks; an XLSX is written by XlsxWriter
in constant-memory mode to a file the caller streams and deletes.
"""

from __future__ import annotations

import csv
from datetime import date, datetime
from decimal import Decimal
from typing import Iterable, Iterator, Sequence

from flask_babel import lazy_gettext as _l

from app import i18n
from app.services import DomainError

CSV_CHUNK = 64 * 1024  # characters gathered before a CSV chunk is handed to the server
XLSX_MAX_ROWS = 1_048_576  # Excel's limit, header included
FORMULA_START = frozenset("=+-@\t\r")  # what a spreadsheet would take for the start of a formula


class ReportTooLarge(DomainError):
    pass


class Echo:
    """A file-like object whose write() hands back the line, for csv.writer."""

    def write(self, value: str) -> str:
        return value


def spreadsheet_safe(value: str) -> str:
    """Text that a spreadsheet would run as a formula is quoted with a leading apostrophe."""
    if value and value[0] in FORMULA_START:
        return "'" + value
    return value


def csv_text(value, decimal_mark: str = ".") -> object:
    """A cell as CSV text, for what the writer's loop does not write itself (all but plain text and whole
    numbers): blanks, dates and times, text of a str subclass, decimals with the reader's mark."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        # YYYY-MM-DD HH:MM:SS (isoformat is the faster way for the naive times the rows hold).
        return value.isoformat(" ", "seconds") if value.tzinfo is None else value.strftime("%Y-%m-%d %H:%M:%S")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, str):  # a subclass (Markup would escape the apostrophe): as plain text
        return spreadsheet_safe(str(value))
    if decimal_mark != "." and type(value) in (Decimal, float):
        return str(value).replace(".", decimal_mark)
    return value


def write_csv(rows: Iterable[Sequence], header: Sequence[str], *,
              separators: tuple[str, str] | None = None) -> Iterator[str]:
    """CSV (CRLF, quotes as needed) with a UTF-8 BOM, in chunks of about 64 KiB.

    ``separators``: the field separator and decimal mark, by default those a spreadsheet in the
    reader's language expects (``i18n.spreadsheet_separators``: "," and "." in English; ";" and ","
    in Italian and Brazilian Portuguese, whose Excel splits columns at ";"). Read now, while the
    request is there, not when the download is streamed.
    """
    delimiter, decimal_mark = separators or i18n.spreadsheet_separators()
    return _csv_chunks(rows, header, csv.writer(Echo(), delimiter=delimiter), decimal_mark)


def _csv_chunks(rows: Iterable[Sequence], header: Sequence[str], writer, decimal_mark: str) -> Iterator[str]:
    pending = ["\ufeff" + writer.writerow([str(title) for title in header])]  # BOM: Excel reads UTF-8
    size = len(pending[0])
    for row in rows:
        # Whole numbers and plain text (most cells) are written here, without a call per cell; the rest by
        # csv_text, with the reader's decimal mark. A million rows spend most of their time in this loop.
        line = writer.writerow([
            value if (kind := type(value)) is int
            else ("'" + value if value and value[0] in FORMULA_START else value) if kind is str
            else csv_text(value, decimal_mark)
            for value in row
        ])
        pending.append(line)
        size += len(line)
        if size >= CSV_CHUNK:
            yield "".join(pending)
            pending, size = [], 0
    if pending:
        yield "".join(pending)


def write_xlsx(rows: Iterable[Sequence], header: Sequence[str], path: str, *,
               sheet_name: str = "Report", widths: Sequence[int] | None = None) -> int:
    """Write an XLSX workbook to ``path`` row by row (constant memory); return the rows written.

    Text is always written as text (never as a formula), numbers as numbers,
    dates and datetimes as real dates with a date format.
    """
    import xlsxwriter  # here, not at import: only a spreadsheet download needs it

    workbook = xlsxwriter.Workbook(path, {"constant_memory": True, "in_memory": False})
    try:
        sheet = workbook.add_worksheet(_sheet_name(sheet_name))
        bold = workbook.add_format({"bold": True})
        day = workbook.add_format({"num_format": "yyyy-mm-dd"})
        moment = workbook.add_format({"num_format": "yyyy-mm-dd hh:mm:ss"})
        for column, title in enumerate(header):
            width = widths[column] if widths and column < len(widths) else max(12, len(str(title)) + 2)
            sheet.set_column(column, column, width)
        sheet.freeze_panes(1, 0)
        for column, title in enumerate(header):
            sheet.write_string(0, column, str(title), bold)
        written = 0
        for written, row in enumerate(rows, start=1):
            if written >= XLSX_MAX_ROWS:
                raise ReportTooLarge(_l("More rows than a spreadsheet can hold."))
            for column, value in enumerate(row):
                _write_cell(sheet, written, column, value, day, moment)
        sheet.autofilter(0, 0, max(written, 1), max(len(header) - 1, 0))
    finally:
        workbook.close()
    return written


def _write_cell(sheet, row: int, column: int, value, day, moment) -> None:
    if value is None or value == "":
        return
    if isinstance(value, str):
        sheet.write_string(row, column, value)
    elif isinstance(value, bool):
        sheet.write_boolean(row, column, value)
    elif isinstance(value, (int, float)):
        sheet.write_number(row, column, value)
    elif isinstance(value, datetime):
        sheet.write_datetime(row, column, value, moment)
    elif isinstance(value, date):
        sheet.write_datetime(row, column, value, day)
    else:
        sheet.write_string(row, column, str(value))


def _sheet_name(name: str) -> str:
    """Excel's rules: at most 31 characters, none of []:*?/\\."""
    cleaned = "".join(" " if ch in "[]:*?/\\" else ch for ch in str(name)).strip("' ")
    return cleaned[:31] or "Report"
