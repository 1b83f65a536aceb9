from __future__ import annotations

import enum
from datetime import datetime, timezone

import sqlalchemy as sa
from sqlalchemy.types import TypeDecorator


# The largest id an integer primary key holds on every engine (PostgreSQL int4):
# a larger id from a URL or a form is simply not found.
MAX_ID = 2**31 - 1


def parse_id(value) -> int | None:
    """An id from a request (ASCII digits, 1..MAX_ID) or None: never a ValueError or an overflow."""
    text = str(value if value is not None else "").strip()
    if text.isascii() and text.isdigit() and len(text) <= 10 and 0 < int(text) <= MAX_ID:
        return int(text)
    return None



class StrEnum(str, enum.Enum):
    """A status or kind stored as its text: compares equal to the stored string."""

    def __str__(self) -> str:
        return self.value

    @classmethod
    def values(cls) -> tuple[str, ...]:
        return tuple(member.value for member in cls)

    @classmethod
    def check(cls, column: str, name: str) -> sa.CheckConstraint:
        """``CHECK (column IN (...))`` listing every member, so the database knows the same values."""
        listed = ",".join(f"'{value}'" for value in cls.values())
        return sa.CheckConstraint(f"{column} IN ({listed})", name=name)


def utcnow() -> datetime:
    return datetime.now(timezone.utc)


class UTCDateTime(TypeDecorator):
    """Timezone-aware UTC datetimes on every engine (SQLite keeps naive text)."""

    impl = sa.DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored; use timezone-aware UTC")
        return value.astimezone(timezone.utc)

    def process_result_value(self, value, dialect):
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)
