"""`make bench` on a new machine: it makes its own database (issue 9).

The bench keeps its dataset in a database of its own (``bench`` by default) so that a
run never touches the tests' or the demo's; a machine that has never run it has only
PostgreSQL's defaults, and the run must start anyway.
"""

import os

import pytest
import sqlalchemy as sa

from benchmarks.run import ensure_database, sqlalchemy_url

TEST_DATABASE_URL = os.environ.get("TEST_DATABASE_URL")
pytestmark = pytest.mark.skipif(not TEST_DATABASE_URL, reason="the bench's database is PostgreSQL's")


def exists(server: sa.Engine, name: str) -> bool:
    with server.connect() as connection:
        return bool(connection.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}))


def test_the_bench_creates_its_database_once_and_then_uses_it():
    name = f"aula bench-probe {os.getpid()}"  # a name that needs quoting
    url = sa.make_url(sqlalchemy_url(TEST_DATABASE_URL))
    server = sa.create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    probe = url.set(database=name).render_as_string(hide_password=False)
    try:
        assert not exists(server, name)
        assert ensure_database(probe) is True
        assert exists(server, name)
        assert ensure_database(probe) is False  # there already: left as it is
        made = sa.create_engine(probe, poolclass=sa.pool.NullPool)
        with made.connect() as connection:
            assert connection.scalar(sa.text("SELECT current_database()")) == name
    finally:
        with server.connect() as connection:
            connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}"'))
        server.dispose()
