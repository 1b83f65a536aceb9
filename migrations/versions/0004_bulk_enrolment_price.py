"""the price per student a bulk enrolment was confirmed at

Revision ID: 0004
Revises: 0003
"""
from alembic import op
import sqlalchemy as sa

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade():
    # A plain ADD COLUMN (with a default, so existing rows get 0): no table rebuild.
    op.add_column(
        "bulk_enrolments",
        sa.Column("price", sa.Integer(), server_default="0", nullable=False),
    )


def downgrade():
    with op.batch_alter_table("bulk_enrolments", schema=None) as batch_op:
        batch_op.drop_column("price")
