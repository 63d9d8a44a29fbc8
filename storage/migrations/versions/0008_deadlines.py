"""deadlines: running clocks per case; the transfer's own due-time columns give way to them

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 22:30:00

The front door's decision time and the readiness gaps' due time were two columns on a transfer; every
clock is now a deadline row started from a recorded fact by the profile's rules. transferred_at keeps when
a request reached "transferred" (the weekly digest's median days from decision to transfer).
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None

_OPEN = "state = 'open'"


def upgrade() -> None:
    op.create_table('deadlines',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), autoincrement=True, nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.Column('tenant_id', sa.String(length=64), nullable=False),
    sa.Column('transfer_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('case_reference', sa.String(length=32), nullable=False),
    sa.Column('rule_key', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('owner', sa.String(length=32), nullable=False),
    sa.Column('owner_object_id', sa.String(length=64), nullable=False),
    sa.Column('started_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('due_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('state', sa.String(length=16), nullable=False),
    sa.Column('settled_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('snoozed_until', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('extension_reason', sa.String(length=300), nullable=False),
    sa.Column('extension_agreed_by', sa.String(length=80), nullable=False),
    sa.Column('previous_due_at', storage.types.UTCDateTime(timezone=True), nullable=True),
    sa.Column('note', sa.String(length=300), nullable=False),
    sa.Column('created_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], ),
    sa.PrimaryKeyConstraint('id')
    )
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.create_index('ix_deadlines_due', ['state', 'due_at'], unique=False)
        batch_op.create_index('ix_deadlines_owner', ['tenant_id', 'owner_object_id', 'state', 'due_at'], unique=False)
        batch_op.create_index(
            'uq_deadlines_open_rule', ['transfer_id', 'rule_key'], unique=True,
            sqlite_where=sa.text(_OPEN), postgresql_where=sa.text(_OPEN),
        )
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transferred_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column('decision_due_at')
        batch_op.drop_column('gaps_due_at')


def downgrade() -> None:
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('gaps_due_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('decision_due_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.drop_column('transferred_at')
    with op.batch_alter_table('deadlines', schema=None) as batch_op:
        batch_op.drop_index('uq_deadlines_open_rule')
        batch_op.drop_index('ix_deadlines_owner')
        batch_op.drop_index('ix_deadlines_due')
    op.drop_table('deadlines')
