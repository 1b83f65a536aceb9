"""one participating enrolment per user and course: the unique index covers completed too

The services have always treated an active or completed enrolment as
"participating" (enrolling again is refused); the index now says the same,
so a race can never leave an active and a completed enrolment side by side.

Revision ID: 0005
Revises: 0004
"""
from alembic import op
import sqlalchemy as sa

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

PARTICIPATING = "status IN ('active','completed')"


def upgrade():
    op.drop_index("uq_enrolments_active_user_course", table_name="enrolments")
    op.create_index(
        "uq_enrolments_participating_user_course", "enrolments", ["user_id", "course_id"], unique=True,
        sqlite_where=sa.text(PARTICIPATING), postgresql_where=sa.text(PARTICIPATING),
    )


def downgrade():
    op.drop_index("uq_enrolments_participating_user_course", table_name="enrolments")
    op.create_index(
        "uq_enrolments_active_user_course", "enrolments", ["user_id", "course_id"], unique=True,
        sqlite_where=sa.text("status = 'active'"), postgresql_where=sa.text("status = 'active'"),
    )
