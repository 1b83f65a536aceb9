"""Count the SQL statements a block of code runs (``after_cursor_execute``), to prove a page's queries are constant.

    with count_queries() as statements:
        client.get("/platform/crm")
    assert len(statements) == ...

Savepoints and their releases (the test's own transaction handling) are not counted.
"""

from __future__ import annotations

import sqlalchemy as sa

_NOT_QUERIES = ("SAVEPOINT", "RELEASE", "ROLLBACK")


class count_queries:
    def __init__(self, app=None):
        self.statements: list[str] = []

    def __enter__(self) -> list[str]:
        from app.extensions import db

        self.engine = db.engine
        sa.event.listen(self.engine, "after_cursor_execute", self._count)
        return self.statements

    def _count(self, conn, cursor, statement, *args):
        if not statement.lstrip().upper().startswith(_NOT_QUERIES):
            self.statements.append(statement)

    def __exit__(self, *exc):
        sa.event.remove(self.engine, "after_cursor_execute", self._count)
