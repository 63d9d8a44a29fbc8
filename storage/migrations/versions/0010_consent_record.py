"""consent record: the family's consent per case, entry by entry

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 01:00:00
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None

_ID = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    op.create_table('consents',
    sa.Column('id', _ID, autoincrement=True, nullable=False),
    sa.Column('transfer_id', _ID, nullable=False),
    sa.Column('case_reference', sa.String(length=32), nullable=False),
    sa.Column('entry', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('given_on', sa.Date(), nullable=False),
    sa.Column('record', sa.JSON(), nullable=False),
    sa.Column('recorded_by_object_id', sa.String(length=64), nullable=False),
    sa.Column('recorded_by_name', sa.String(length=128), nullable=False),
    sa.Column('recorded_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['transfer_id'], ['transfers.id'], ),
    sa.PrimaryKeyConstraint('id'),
    sa.UniqueConstraint('transfer_id', 'entry', name='uq_consents_transfer_entry')
    )
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.create_index('ix_consents_case', ['case_reference'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('consents', schema=None) as batch_op:
        batch_op.drop_index('ix_consents_case')
    op.drop_table('consents')
