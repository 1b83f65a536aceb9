"""A wallet's history page and CSV, shared by the platform admin and the partner admin.

Both show the same partial (templates/wallets/_history.html) with the same
filters; only who may see which wallet differs, and that is the caller's job.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Response, request, stream_with_context, url_for
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import StringField, ValidationError
from wtforms.fields.choices import SelectChoice
from wtforms.validators import Optional

from app.blueprints.fields import SelectField
from app.models import Wallet
from app.models.base import utcnow
from app.services.exports.reports import statement_csv
from app.services.ledger import statements
from app.services.ledger.statements import HistoryFilters
from app.transactions import commit
from app.web import refuse, render, seek_page

PAGE_SIZE = 50
FILTER_ARGS = ("kind", "date_from", "date_to")


class DayField(StringField):
    """A calendar day typed as YYYY-MM-DD (a date picker in browsers that have one)."""

    FIRST_YEAR, LAST_YEAR = 1970, 9998

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("render_kw", {"type": "date"})
        super().__init__(*args, **kwargs)

    def process_formdata(self, valuelist):
        raw = (valuelist[0] if valuelist else "").strip()
        self.raw_text = raw
        self.data = None
        if not raw:
            return
        try:
            day = date.fromisoformat(raw)
        except ValueError:
            raise ValueError(_l("“%(value)s” is not a date: use the form YYYY-MM-DD.", value=raw[:20]))
        if not self.FIRST_YEAR <= day.year <= self.LAST_YEAR:
            raise ValueError(_l("Choose a date between %(first)d and %(last)d.",
                                first=self.FIRST_YEAR, last=self.LAST_YEAR))
        self.data = day

    def _value(self):
        if self.data is not None:
            return self.data.isoformat()
        return getattr(self, "raw_text", "") or ""


class HistoryFilterForm(FlaskForm):
    """GET filters of a wallet history (no CSRF: it changes nothing)."""

    class Meta:
        csrf = False

    kind = SelectField(_l("Kind"), validators=[Optional()])
    date_from = DayField(_l("From"))
    date_to = DayField(_l("To"))

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.kind.choices = [SelectChoice("", _l("All kinds"))] + [
            SelectChoice(kind, label) for kind, label in statements.KIND_LABELS.items()
        ]

    def validate_date_to(self, field):
        if field.data and self.date_from.data and field.data < self.date_from.data:
            raise ValidationError(_l("The end date is before the start date."))

    def filters(self) -> HistoryFilters:
        return HistoryFilters(kind=self.kind.data or None, date_from=self.date_from.data,
                              date_to=self.date_to.data)


def _filters_from_request() -> tuple[HistoryFilterForm, HistoryFilters | None]:
    form = HistoryFilterForm(formdata=request.args)
    return form, (form.filters() if form.validate() else None)


def history_page(template: str, *, wallet: Wallet | None, page_endpoint: str, csv_endpoint: str,
                 url_args: dict | None = None, **context):
    """The history page (or, for HTMX, its partial); bad filters are refused with their errors."""
    form, filters = _filters_from_request()
    args = {key: request.args[key] for key in FILTER_ARGS if request.args.get(key)}
    context.update(
        filter_form=form, wallet=wallet,
        history_url=url_for(page_endpoint, **(url_args or {})),
        csv_url=url_for(csv_endpoint, **(url_args or {}), **args),
        kind_label=statements.kind_label, reference_of=statements.reference_of,
    )
    if filters is None:
        return refuse(template, "wallets/_history.html", page=None, **context)
    page = seek_page(statements.history_query(wallet, filters), statements.NEWEST_FIRST, per_page=PAGE_SIZE)
    return render(template, "wallets/_history.html", page=page, filtered=bool(args), **context)


def history_csv(template: str, *, wallet: Wallet | None, filename: str, **context):
    """The filtered history as a streamed CSV download; bad filters get the page with errors."""
    form, filters = _filters_from_request()
    if filters is None:
        return history_page(template, wallet=wallet, **context)
    lines = statement_csv(wallet, filters)
    commit()  # end the request's transaction: the stream reads in its own (transactions.begin_read_only)
    return Response(
        stream_with_context(lines),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{filename}"',
                 "Cache-Control": "no-store"},
    )


def statement_filename(owner_name: str) -> str:
    """wallet-<owner>-<yyyymmdd>.csv, ASCII only so every browser keeps it."""
    slug = re.sub(r"[^a-z0-9]+", "-", owner_name.lower()).strip("-")[:50] or "statement"
    return f"wallet-{slug}-{utcnow():%Y%m%d}.csv"
