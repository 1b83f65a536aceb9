"""The partner admin's reports: enrolments and the wallet statement, as CSV or XLSX.

Every download is a plain GET (the filter form submits to it). Bad filters
get the reports page again with the errors (422), never a file. A CSV streams
as it is read from the database; an XLSX is written to a temporary file first
(the format needs the whole file before it can be sent), then streamed in
64 KiB chunks and deleted once the response is closed, also when the client
went away before the end.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from datetime import datetime
from typing import Callable, Iterator

from flask import Response, request, stream_with_context
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.blueprints.partner import bp
from app.blueprints.partner.report_forms import ReportFilterForm
from app.services.exports import reports
from app.services.ledger import statements
from app.services.exports.reports import EnrolmentReportFilters, ReportFiltersRefused
from app.transactions import commit
from app.web import refuse, render

PAGE = "partner/reports.html"
CHUNK = 64 * 1024
CSV_MIMETYPE = "text/csv"
XLSX_MIMETYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class _Report:
    """What differs between the two reports."""

    name: str
    rows: Callable  # (partner, filters) -> typed rows
    header: Callable[[], list[str]]
    widths: tuple[int, ...]
    sheet: object  # the worksheet's (translated) name


REPORTS = {
    "enrolments": _Report("enrolments", reports.enrolment_rows, reports.enrolment_header,
                          reports.ENROLMENT_WIDTHS, _l("Enrolments")),
    "wallet": _Report("wallet", reports.wallet_rows, reports.wallet_header,
                      reports.WALLET_WIDTHS, _l("Wallet statement")),
}


def _form(partner, name: str, formdata=None) -> ReportFilterForm:
    return ReportFilterForm(
        formdata=formdata, companies=reports.report_companies(partner),
        courses=reports.report_courses(partner), id_prefix=name,
    )


def _page(status_forms: dict | None = None):
    """The reports page; ``status_forms`` holds a refused form (with its errors) in place of a blank one."""
    partner = current_user.partner
    forms = {name: _form(partner, name, formdata=None) for name in REPORTS}
    forms.update(status_forms or {})
    context = dict(partner=partner, enrolment_form=forms["enrolments"], wallet_form=forms["wallet"])
    if status_forms:
        return refuse(PAGE, **context)
    return render(PAGE, **context)


@bp.route("/reports")
def reports_page():
    return _page()


def _filters(name: str) -> tuple[ReportFilterForm, EnrolmentReportFilters | None]:
    partner = current_user.partner
    form = _form(partner, name, formdata=request.args)
    valid = form.validate()
    filters = form.filters()
    try:
        # Also after a bad date: every mistake is shown at once.
        reports.check_filters(partner, filters)
    except ReportFiltersRefused as refused:
        form.add_errors(refused.errors)
        valid = False
    return form, (filters if valid else None)


def _filename(name: str, extension: str) -> str:
    """enrolments-2026-11-23.csv: today in the platform's time zone, ASCII only."""
    return f"{name}-{datetime.now(statements.platform_zone()):%Y-%m-%d}.{extension}"


def _download(name: str, extension: str):
    report = REPORTS[name]
    form, filters = _filters(name)
    if filters is None:
        return _page({name: form})
    partner = current_user.partner
    reports.record_download(current_user, partner, name, extension, filters)
    commit()  # the audit row is kept even if the download is then interrupted
    headers = {
        "Content-Disposition": f'attachment; filename="{_filename(name, extension)}"',
        "Cache-Control": "no-store",
        "X-Content-Type-Options": "nosniff",
    }
    if extension == "csv":
        lines = reports.write_csv(report.rows(partner, filters), report.header())
        return Response(stream_with_context(lines), mimetype=CSV_MIMETYPE, headers=headers)
    try:
        return _xlsx_response(report, partner, filters, headers)
    except reports.ReportTooLarge:
        form.form_errors.append(_l("The report has more rows than a spreadsheet can hold: narrow the filters "
                                   "or download the CSV."))
        return _page({name: form})


def _xlsx_response(report: _Report, partner, filters, headers: dict) -> Response:
    handle, path = tempfile.mkstemp(prefix="aula-report-", suffix=".xlsx")
    os.close(handle)
    try:
        reports.write_xlsx(report.rows(partner, filters), report.header(), path,
                           sheet_name=str(report.sheet), widths=report.widths)
        size = os.path.getsize(path)
    except BaseException:
        _remove(path)
        raise
    response = Response(_file_chunks(path), mimetype=XLSX_MIMETYPE, headers=headers)
    response.headers["Content-Length"] = str(size)
    # A client that disconnects before the first chunk never runs the generator:
    # closing the response removes the file all the same.
    response.call_on_close(lambda: _remove(path))
    return response


def _file_chunks(path: str) -> Iterator[bytes]:
    try:
        with open(path, "rb") as stream:
            while chunk := stream.read(CHUNK):
                yield chunk
    finally:
        _remove(path)


def _remove(path: str) -> None:
    try:
        os.unlink(path)
    except FileNotFoundError:
        pass


@bp.route("/reports/enrolments.csv")
def report_enrolments_csv():
    return _download("enrolments", "csv")


@bp.route("/reports/enrolments.xlsx")
def report_enrolments_xlsx():
    return _download("enrolments", "xlsx")


@bp.route("/reports/wallet.csv")
def report_wallet_csv():
    return _download("wallet", "csv")


@bp.route("/reports/wallet.xlsx")
def report_wallet_xlsx():
    return _download("wallet", "xlsx")
