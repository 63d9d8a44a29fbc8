"""outcomes and disputes: what a meeting decided, in versions, and the disputes about it

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 23:10:00
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('outcomes',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('transfer_id', _ID, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('meeting_kind', sa.String(length=24), nullable=False),
    sa.Column('meeting_on', sa.Date(), nullable=False),
    sa.Column('decision', sa.String(length=24), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('correction_reason', sa.String(length=300), nullable=False),
    sa.Column('recorded_by_object_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_by_name', sa.String(length=128), nullable=False),
    sa.Column('recorded_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transfer_id', 'version', name='uq_outcomes_transfer_version')
    )
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.create_index('ix_outcomes_transfer', ['transfer_id', 'version'], unique=False)
    op.create_table('disputes',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('transfer_id', _ID, nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('decision_event', sa.String(length=32), nullable=False),
    sa.Column('outcome_version', sa.Integer(), nullable=True),
    sa.Column('about', sa.String(length=300), nullable=False),
    sa.Column('raised_by_object_id', sa.String(length=64), nullable=False),
    sa.Column('raised_by_name', sa.String(length=128), nullable=False),
    sa.Column('raised_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('settlement', sa.String(length=24), nullable=False),
    sa.Column('settlement_note', sa.String(length=300), nullable=False),
    sa.Column('settled_by_object_id', sa.String(length=64), nullable=False),
    sa.Column('settled_by_name', sa.String(length=128), nullable=False),
    sa.Column('settled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('channel_conversation_id', sa.String(length=512), nullable=False),
    sa.Column('channel_activity_id', sa.String(length=256), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.create_index('ix_disputes_transfer', ['transfer_id', 'state'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_disputes_transfer')
    op.drop_table('disputes')
    with op.batch_alter_table('outcomes', schema=None) as batch_op:
        batch_op.drop_index('ix_outcomes_transfer')
    op.drop_table('outcomes')
