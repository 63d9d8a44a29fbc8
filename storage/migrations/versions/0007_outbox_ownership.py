"""outbox rows belong to the worker that claimed them; dead letters say why; the claim reads due rows only

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-14 10:00:00

`locked_by` names the worker holding a row's lease (with `attempts` as the claim's fencing token), so a slow
worker can no longer settle a row another replica has taken since. `scheduled_at` keeps the time a row was
first due (retries move `due_at`), so lateness is counted from it; existing rows take their `due_at`.
`error_class`, `error_code` and `dead_at` say why and when a row was given up on. A partial index of the
pending rows by due time serves the claim, whose cost then grows with the rows due, not the rows queued.
"""

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locked_by', sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column('scheduled_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('error_class', sa.String(length=32), server_default='', nullable=False))
        batch_op.add_column(sa.Column('error_code', sa.String(length=64), server_default='', nullable=False))
        batch_op.add_column(sa.Column('dead_at', storage.types.UTCDateTime(timezone=True), nullable=True))
    op.execute("UPDATE outbox SET scheduled_at = due_at")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.alter_column(
            'scheduled_at', existing_type=storage.types.UTCDateTime(timezone=True), nullable=False
        )
        batch_op.create_index(
            'ix_outbox_pending_due',
            ['due_at', 'id'],
            unique=False,
            postgresql_where=sa.text("status = 'pending'"),
            sqlite_where=sa.text("status = 'pending'"),
        )


def downgrade() -> None:
    # A row dropped by an administrator is settled, as a sent one is: the older schema only knows sent.
    op.execute("UPDATE outbox SET status = 'sent' WHERE status = 'dropped'")
    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_index('ix_outbox_pending_due')
        batch_op.drop_column('dead_at')
        batch_op.drop_column('error_code')
        batch_op.drop_column('error_class')
        batch_op.drop_column('scheduled_at')
        batch_op.drop_column('locked_by')
