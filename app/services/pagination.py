"""Pagination of every list that can grow large: keyset (seek) pages, the same work on page 1 and page 10,000.

How a list uses it (students, enrolments, participants, wallet history and partners do;
the to-activate list, orders, CRM contacts and invoices call the same)::

    BY_NAME = Keyset(sa.func.lower(User.name), User.email, User.id)    # the order; the keys end unique
    page = BY_NAME.page(query, per_page=25, after=cursor)               # a service
    page = web.seek_page(query, BY_NAME, per_page=25)                   # or a view: ?after= / ?before=
    {% include "_pagination.html" %}                                     # the template: first, previous, next

- ``query`` is a ``select()`` of the rows, filtered, without LIMIT (an ORDER BY is replaced): the keyset adds
  ``ORDER BY <keys>`` and ``WHERE (<keys>) > (<the cursor's values>)`` and reads ``per_page + 1``
  rows (the extra one says whether there is a next page). Eager-load the rows' relations on the
  query (``joinedload``/``selectinload``, and ``raiseload("*")`` where a lazy load would be a bug), so
  a page costs the same statements at 10 rows as at 100.
- No ``COUNT(*)``: a page knows whether there is a previous and a next page, not how many there
  are. Where a reader wants a number, ``count_up_to(query, limit)`` counts at most ``limit`` rows
  ("more than 1,000").
- Give the database an index on the filter's equality columns followed by the keys (students:
  ``(partner_id, lower(name), email, id)``): then a page reads ``per_page + 1`` index entries.
- A cursor is the boundary row's key values (text, whole numbers, dates), JSON in URL-safe base64.
  It only moves where a page of the same, already filtered query starts, so a forged one shows
  nothing new; an unreadable one is the first page.
- A list searched by text matches ``lower(column) LIKE contains_pattern(text) ESCAPE '\\'``.
- Lists bounded by nature (a partner's companies, the catalog) may keep offset pages (``web.paginate``).
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Sequence

import sqlalchemy as sa

from app.extensions import db

MAX_CURSOR_LENGTH = 2000


@dataclass
class Page:
    """One page of a keyset list: its rows and the cursors of its neighbours."""

    items: list
    per_page: int
    next_cursor: str | None = None  # ?after= for the next page; None on the last page
    prev_cursor: str | None = None  # ?before= for the previous page; None on the first page
    # Set by count_up_to() where the list shows a number: at most ``limit``, and whether there are more.
    total: int | None = None
    more_than_total: bool = False

    @property
    def has_next(self) -> bool:
        return self.next_cursor is not None

    @property
    def has_prev(self) -> bool:
        return self.prev_cursor is not None

    @property
    def is_first(self) -> bool:
        return self.prev_cursor is None


class Keyset:
    """A list's order: its sort keys (columns or SQL expressions, never NULL), all ascending or all descending.

    The last key must make the order unique (the id).
    """

    def __init__(self, *keys, descending: bool = False):
        if not keys:
            raise ValueError("a keyset needs at least one key")
        self.keys = tuple(keys)
        self.descending = descending

    # --- reading a page ---------------------------------------------------------------

    def page(self, query, *, per_page: int, after: str | None = None, before: str | None = None) -> Page:
        """The page after the cursor ``after``, or before ``before``, or the first page."""
        after_values, before_values = self.decode(after), self.decode(before)
        if after_values is not None:
            rows = self._fetch(query, per_page + 1, after_values, forward=True)
            return self._page(rows[:per_page], per_page, has_next=len(rows) > per_page, has_prev=True)
        if before_values is not None:
            rows = self._fetch(query, per_page + 1, before_values, forward=False)
            if len(rows) > per_page:
                return self._page(rows[:per_page][::-1], per_page, has_next=True, has_prev=True)
            # Back at the start: the first page, whole.
        rows = self._fetch(query, per_page + 1, None, forward=True)
        return self._page(rows[:per_page], per_page, has_next=len(rows) > per_page, has_prev=False)

    def _fetch(self, query, limit: int, values, *, forward: bool) -> list:
        width = len(query.column_descriptions)  # entities or columns selected (an entity counts once)
        labelled = [key.label(f"keyset_{n}") for n, key in enumerate(self.keys)]
        ascending = forward != self.descending
        statement = query.order_by(None).add_columns(*labelled)  # the keyset's order replaces any other
        if values is not None:
            bound = sa.tuple_(*[sa.literal(value, key.type) for key, value in zip(self.keys, values)])
            row = sa.tuple_(*self.keys)
            statement = statement.where(row > bound if ascending else row < bound)
        statement = statement.order_by(*[key.asc() if ascending else key.desc() for key in self.keys])
        rows = db.session.execute(statement.limit(limit)).all()
        return [(row[0] if width == 1 else tuple(row[:width]), tuple(row[width:])) for row in rows]

    def _page(self, rows: list, per_page: int, *, has_next: bool, has_prev: bool) -> Page:
        return Page(
            items=[item for item, _keys in rows], per_page=per_page,
            next_cursor=self.encode(rows[-1][1]) if rows and has_next else None,
            prev_cursor=self.encode(rows[0][1]) if rows and has_prev else ("" if has_prev else None),
        )

    # --- cursors ------------------------------------------------------------------------

    def encode(self, values: Sequence[Any]) -> str:
        plain = [value.isoformat() if isinstance(value, (date, datetime)) else value for value in values]
        return base64.urlsafe_b64encode(json.dumps(plain, separators=(",", ":")).encode()).decode().rstrip("=")

    def decode(self, cursor: str | None) -> tuple | None:
        """The cursor's values, typed like the keys; None for a missing or unreadable one."""
        if not cursor or len(cursor) > MAX_CURSOR_LENGTH:
            return None
        try:
            plain = json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))
        except (binascii.Error, ValueError, UnicodeDecodeError):
            return None
        if not isinstance(plain, list) or len(plain) != len(self.keys):
            return None
        values = []
        for key, value in zip(self.keys, plain):
            typed = _typed(key, value)
            if typed is None:
                return None
            values.append(typed)
        return tuple(values)


def _typed(key, value):
    """``value`` as the key's Python type, or None when it cannot be one."""
    try:
        python_type = key.type.python_type
    except NotImplementedError:
        python_type = str
    if python_type is bool or isinstance(value, bool):
        return None
    if python_type is int:
        return value if isinstance(value, int) and -2**63 <= value < 2**63 else None
    if python_type in (datetime, date):
        if not isinstance(value, str):
            return None
        try:
            parsed = datetime.fromisoformat(value) if python_type is datetime else date.fromisoformat(value)
        except ValueError:
            return None
        if python_type is datetime and parsed.tzinfo is None:
            return None
        return parsed
    return value if isinstance(value, str) else None


def count_up_to(query, limit: int) -> tuple[int, bool]:
    """How many rows ``query`` has, counting at most ``limit``: ``(count, whether there are more)``."""
    counted = db.session.scalar(sa.select(sa.func.count()).select_from(query.order_by(None).limit(limit + 1).subquery()))
    return min(counted, limit), counted > limit


def with_count(page: Page, query, limit: int) -> Page:
    """The page with ``total``/``more_than_total`` set from ``count_up_to``."""
    page.total, page.more_than_total = count_up_to(query, limit)
    return page


def contains_pattern(text: str) -> str:
    """``%text%`` for a case-insensitive ``LIKE … ESCAPE '\\'`` on ``lower(column)``, LIKE's own characters escaped."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
