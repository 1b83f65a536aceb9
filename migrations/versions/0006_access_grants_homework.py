"""catalog and access: grants (unique per source), their overrides, homework, a lesson's video,
an offer's release mode and fixed dates, and enrolments that end when their last grant is revoked

Revision ID: 0006
Revises: 0005
"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('product_id', sa.Integer(), nullable=False),
    sa.Column('offer_id', sa.Integer(), nullable=False),
    sa.Column('source_kind', sa.String(length=30), nullable=False),
    sa.Column('source_id', sa.String(length=100), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('start_date', sa.Date(), nullable=False),
    sa.Column('granted_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_by_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("status IN ('active','revoked')", name=op.f('ck_grants_status_known')),
    sa.ForeignKeyConstraint(['granted_by_id'], ['users.id'], name=op.f('fk_grants_granted_by_id_users')),
    sa.ForeignKeyConstraint(['offer_id'], ['offers.id'], name=op.f('fk_grants_offer_id_offers')),
    sa.ForeignKeyConstraint(['product_id'], ['products.id'], name=op.f('fk_grants_product_id_products')),
    sa.ForeignKeyConstraint(['revoked_by_id'], ['users.id'], name=op.f('fk_grants_revoked_by_id_users')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_grants_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants')),
    sa.UniqueConstraint('source_kind', 'source_id', name='uq_grants_source')
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_offer_id'), ['offer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_product_id'), ['product_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_user_id'), ['user_id'], unique=False)

    op.create_table('grant_enrolments',
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_grant_enrolments_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_enrolments_grant_id_grants')),
    sa.PrimaryKeyConstraint('grant_id', 'enrolment_id', name=op.f('pk_grant_enrolments'))
    )
    with op.batch_alter_table('grant_enrolments', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_enrolments_enrolment_id'), ['enrolment_id'], unique=False)

    op.create_table('grant_overrides',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('grant_id', sa.Integer(), nullable=False),
    sa.Column('field', sa.String(length=40), nullable=False),
    sa.Column('value', sa.JSON(), nullable=True),
    sa.Column('inherit', sa.Boolean(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_grant_overrides_actor_id_users')),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_overrides_grant_id_grants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_overrides'))
    )
    with op.batch_alter_table('grant_overrides', schema=None) as batch_op:
        batch_op.create_index('ix_grant_overrides_grant_field', ['grant_id', 'field', 'id'], unique=False)

    op.create_table('homework_submissions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('enrolment_id', sa.Integer(), nullable=False),
    sa.Column('lesson_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=True),
    sa.Column('stored_name', sa.String(length=100), nullable=True),
    sa.Column('content_type', sa.String(length=100), nullable=True),
    sa.Column('file_size', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('review_comment', sa.Text(), nullable=False),
    sa.Column('reviewed_by_id', sa.Integer(), nullable=True),
    sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("status IN ('pending','accepted','returned')", name=op.f('ck_homework_submissions_status_known')),
    sa.ForeignKeyConstraint(['enrolment_id'], ['enrolments.id'], name=op.f('fk_homework_submissions_enrolment_id_enrolments')),
    sa.ForeignKeyConstraint(['lesson_id'], ['lessons.id'], name=op.f('fk_homework_submissions_lesson_id_lessons')),
    sa.ForeignKeyConstraint(['reviewed_by_id'], ['users.id'], name=op.f('fk_homework_submissions_reviewed_by_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_homework_submissions')),
    sa.UniqueConstraint('stored_name', name=op.f('uq_homework_submissions_stored_name'))
    )
    with op.batch_alter_table('homework_submissions', schema=None) as batch_op:
        batch_op.create_index('ix_homework_submissions_enrolment_lesson', ['enrolment_id', 'lesson_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_homework_submissions_status'), ['status'], unique=False)

    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(op.f('ck_enrolments_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', "status IN ('active','cancelled','completed','ended')")

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('video_url', sa.String(length=500), nullable=True))

    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('release_mode', sa.String(length=10), server_default='delays', nullable=False))
        batch_op.add_column(sa.Column('release_dates', sa.JSON(), server_default='[]', nullable=False))
        batch_op.create_check_constraint('release_mode_known', "release_mode IN ('delays','dates')")
        batch_op.create_check_constraint('lessons_available_positive',
                                         "lessons_available IS NULL OR lessons_available >= 1")



def downgrade():
    with op.batch_alter_table('offers', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_offers_lessons_available_positive'), type_='check')
        batch_op.drop_constraint(op.f('ck_offers_release_mode_known'), type_='check')
        batch_op.drop_column('release_dates')
        batch_op.drop_column('release_mode')

    with op.batch_alter_table('lessons', schema=None) as batch_op:
        batch_op.drop_column('video_url')

    op.execute("UPDATE enrolments SET status = 'cancelled' WHERE status = 'ended'")
    with op.batch_alter_table('enrolments', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_enrolments_status_known'), type_='check')
        batch_op.create_check_constraint('status_known', "status IN ('active','cancelled','completed')")
        batch_op.drop_column('ended_at')

    with op.batch_alter_table('homework_submissions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_homework_submissions_status'))
        batch_op.drop_index('ix_homework_submissions_enrolment_lesson')

    op.drop_table('homework_submissions')
    with op.batch_alter_table('grant_overrides', schema=None) as batch_op:
        batch_op.drop_index('ix_grant_overrides_grant_field')

    op.drop_table('grant_overrides')
    with op.batch_alter_table('grant_enrolments', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_enrolments_enrolment_id'))

    op.drop_table('grant_enrolments')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_user_id'))
        batch_op.drop_index(batch_op.f('ix_grants_product_id'))
        batch_op.drop_index(batch_op.f('ix_grants_offer_id'))

    op.drop_table('grants')
