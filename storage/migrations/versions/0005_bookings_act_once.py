"""bookings act once through processed actions: the bookings' own action key goes

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-02 10:00:00

A confirmed booking used to carry the key of the card action that made it, so a double click could find it
again. Every card action that changes something now claims its key in `processed_actions` (dialogs/router.py),
so the column and its unique constraint go. The downgrade brings the column back, filled with a key per row
that no card will ever send.
"""

from collections.abc import Callable

from alembic import op
import sqlalchemy as sa


revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None

_ACTIVE_BOOKING = sa.text("status IN ('held', 'booked')")
_waitlist = sa.table('waitlist', sa.column('id', sa.Integer()), sa.column('offered_booking_id', sa.Integer()))


def _rebuild_bookings(change: Callable[[], None]) -> None:
    """Run `change` on the bookings table; on SQLite, which rebuilds the table for it, keep what refers to it.

    SQLite copies the table, drops the old one and renames the copy. The drop would break the waiting list's
    foreign key (it is enforced, and cannot be switched off inside the migration's transaction), so those
    references are set aside and put back; the partial unique indexes are made again with their WHERE clauses
    rather than trusting reflection to carry them over.
    """
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        change()
        return
    offered = bind.execute(
        sa.select(_waitlist.c.id, _waitlist.c.offered_booking_id).where(_waitlist.c.offered_booking_id.is_not(None))
    ).all()
    op.execute(_waitlist.update().values(offered_booking_id=None))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_index('uq_bookings_case_clinic')
        batch_op.drop_index('uq_bookings_worker_slot')
    change()
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.create_index(
            'uq_bookings_case_clinic', ['case_reference', 'clinic_date'], unique=True, sqlite_where=_ACTIVE_BOOKING
        )
        batch_op.create_index(
            'uq_bookings_worker_slot', ['worker_object_id', 'slot_id'], unique=True, sqlite_where=_ACTIVE_BOOKING
        )
    for entry_id, booking_id in offered:
        op.execute(_waitlist.update().where(_waitlist.c.id == entry_id).values(offered_booking_id=booking_id))


def _drop_action_key() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.drop_column('action_key')


def _add_action_key() -> None:
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.add_column(sa.Column('action_key', sa.String(length=128), nullable=True))
    bookings = sa.table('bookings', sa.column('id', sa.Integer()), sa.column('action_key', sa.String()))
    op.execute(bookings.update().values(action_key=sa.literal('migrated:') + sa.cast(bookings.c.id, sa.String())))
    with op.batch_alter_table('bookings', schema=None) as batch_op:
        batch_op.alter_column('action_key', existing_type=sa.String(length=128), nullable=False)
        batch_op.create_unique_constraint('bookings_action_key_key', ['action_key'])


def upgrade() -> None:
    _rebuild_bookings(_drop_action_key)


def downgrade() -> None:
    _rebuild_bookings(_add_action_key)
