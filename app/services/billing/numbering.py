"""Invoice numbers: "<year>-<n>", one sequence per year, gap-free and never given twice.

The year's counter is a row (``invoice_number_sequences``) moved by one
``UPDATE … SET last_number = last_number + 1 … RETURNING``: the row lock it
takes makes concurrent issues queue up, each getting the next number. The
number is taken in the issuing transaction, so a rolled-back issue gives its
number back and the sequence stays gap-free (Italian law asks for that; a
database SEQUENCE would leave holes). The first issue of a year inserts the
row; a concurrent first issue loses the insert (primary key) and takes the
next number with the UPDATE. The caller commits once.
"""

from __future__ import annotations

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import InvoiceNumberSequence

_TABLE = InvoiceNumberSequence.__table__


def format_number(year: int, n: int) -> str:
    return f"{year}-{n:04d}"


def _advance(year: int) -> int | None:
    return db.session.execute(
        sa.update(_TABLE).where(_TABLE.c.year == year).values(last_number=_TABLE.c.last_number + 1)
        .returning(_TABLE.c.last_number)
    ).scalar_one_or_none()


def next_number(year: int) -> str:
    """The next invoice number of ``year`` (taken now: the caller's transaction holds the counter)."""
    n = _advance(year)
    if n is None:
        try:
            with db.session.begin_nested():
                db.session.execute(sa.insert(_TABLE).values(year=year, last_number=1))
            n = 1
        except IntegrityError:  # another transaction started the year first
            n = _advance(year)
    return format_number(year, n)
