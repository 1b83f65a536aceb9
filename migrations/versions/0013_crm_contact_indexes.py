"""CRM contacts: sorted by name (an index on lower(name), id), searched anywhere in names, emails, company
and product names, course titles (trigram indexes on PostgreSQL, pg_trgm)

Revision ID: 0013
Revises: 0012
"""
from alembic import op
import sqlalchemy as sa

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

# (index, table, expression): a LIKE '%text%' on each is served by a GIN trigram index.
TRIGRAM = [
    ("ix_users_name_trgm", "users", "lower(name)"),
    ("ix_users_email_trgm", "users", "lower(email)"),
    ("ix_companies_name_trgm", "companies", "lower(name)"),
    ("ix_products_name_trgm", "products", "lower(name)"),
    ("ix_courses_title_trgm", "courses", "lower(title)"),
]


def upgrade():
    op.create_index("ix_users_lower_name_id", "users", [sa.text("lower(name)"), "id"])
    if op.get_bind().dialect.name == "postgresql":
        # pg_trgm is a trusted extension (PostgreSQL 13+): the database's owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        for name, table, expression in TRIGRAM:
            op.execute(f"CREATE INDEX {name} ON {table} USING gin ({expression} gin_trgm_ops)")


def downgrade():
    if op.get_bind().dialect.name == "postgresql":
        for name, _table, _expression in TRIGRAM:
            op.drop_index(name)
    op.drop_index("ix_users_lower_name_id", table_name="users")
