"""a whitelabel partner uploads its own logo, kept in the database

Revision ID: 0010
Revises: 0009
"""
from alembic import op
import sqlalchemy as sa

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "partner_logos",
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("content_type", sa.String(length=20), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("partner_id"),
    )
    with op.batch_alter_table("partners") as batch:
        batch.add_column(sa.Column("logo_version", sa.String(length=16), nullable=True))


def downgrade():
    with op.batch_alter_table("partners") as batch:
        batch.drop_column("logo_version")
    op.drop_table("partner_logos")
