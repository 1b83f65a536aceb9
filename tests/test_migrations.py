"""The migrations are the only way the schema changes: they must match the models exactly."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from app.extensions import db as _db


# Expression indexes (lower(name)) cannot be reflected on SQLite; they are created by 0003.
@pytest.mark.filterwarnings("ignore:.*expression-based index")
def test_migrations_match_the_models(db):
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    diff = compare_metadata(context, _db.metadata)
    assert diff == []
