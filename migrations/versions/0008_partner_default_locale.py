"""a partner's default language (issue 14)

Revision ID: 0008
Revises: 0007
"""
from alembic import op
import sqlalchemy as sa

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None


def upgrade():
    # Nullable, no default: existing partners keep following the platform default.
    op.add_column("partners", sa.Column("default_locale", sa.String(length=10), nullable=True))


def downgrade():
    with op.batch_alter_table("partners", schema=None) as batch_op:
        batch_op.drop_column("default_locale")
