"""indexes for every sort and filter of the large lists (issue 9)

Keyset pages read ``per_page + 1`` index entries when an index holds the list's
equality filter followed by its order: a partner's students by ``lower(name)``,
its enrolments newest first (whole, by status, by course, by start date), a
wallet's history by kind and by date, the partners by ``lower(name)``, the email
log by status. The
enrolments' single ``partner_id`` index is replaced by ``(partner_id, id)``.

Revision ID: 0014
Revises: 0013
"""
from alembic import op
import sqlalchemy as sa

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index("ix_users_partner_lower_name", "users",
                    ["partner_id", sa.text("lower(name)"), "email", "id"])
    op.create_index("ix_enrolments_partner_id_id", "enrolments", ["partner_id", "id"])
    op.create_index("ix_enrolments_partner_status_id", "enrolments", ["partner_id", "status", "id"])
    op.create_index("ix_enrolments_partner_course_id", "enrolments", ["partner_id", "course_id", "id"])
    op.create_index("ix_enrolments_partner_start_date", "enrolments", ["partner_id", "start_date"])
    op.drop_index("ix_enrolments_partner_id", table_name="enrolments")
    op.create_index("ix_wallet_entries_wallet_kind_id", "wallet_entries", ["wallet_id", "kind", "id"])
    op.create_index("ix_wallet_entries_wallet_created_at", "wallet_entries", ["wallet_id", "created_at"])
    op.create_index("ix_partners_lower_name", "partners", [sa.text("lower(name)"), "id"])
    op.create_index("ix_email_log_status_id", "email_log", ["status", "id"])


def downgrade():
    op.drop_index("ix_email_log_status_id", table_name="email_log")
    op.drop_index("ix_partners_lower_name", table_name="partners")
    op.drop_index("ix_wallet_entries_wallet_created_at", table_name="wallet_entries")
    op.drop_index("ix_wallet_entries_wallet_kind_id", table_name="wallet_entries")
    op.create_index("ix_enrolments_partner_id", "enrolments", ["partner_id"])
    op.drop_index("ix_enrolments_partner_start_date", table_name="enrolments")
    op.drop_index("ix_enrolments_partner_course_id", table_name="enrolments")
    op.drop_index("ix_enrolments_partner_status_id", table_name="enrolments")
    op.drop_index("ix_enrolments_partner_id_id", table_name="enrolments")
    op.drop_index("ix_users_partner_lower_name", table_name="users")
