"""company names unique per partner, ignoring case

Revision ID: 0003
Revises: 0002
"""
from alembic import op
import sqlalchemy as sa

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "uq_companies_partner_lower_name",
        "companies",
        ["partner_id", sa.text("lower(name)")],
        unique=True,
    )


def downgrade():
    op.drop_index("uq_companies_partner_lower_name", table_name="companies")
