"""student imports are kept: the result page is a page of its own, reloadable

Revision ID: 0009
Revises: 0008
"""
from alembic import op
import sqlalchemy as sa

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

def upgrade():
    op.create_table(
        "student_imports",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("partner_id", sa.Integer(), nullable=False),
        sa.Column("actor_id", sa.Integer(), nullable=True),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("rows", sa.JSON(), nullable=False),
        sa.Column("created_count", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["actor_id"], ["users.id"]),
        sa.ForeignKeyConstraint(["partner_id"], ["partners.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("student_imports") as batch:
        batch.create_index(batch.f("ix_student_imports_partner_id"), ["partner_id"], unique=False)

def downgrade():
    with op.batch_alter_table("student_imports") as batch:
        batch.drop_index(batch.f("ix_student_imports_partner_id"))
    op.drop_table("student_imports")
