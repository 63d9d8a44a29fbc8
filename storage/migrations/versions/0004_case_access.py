"""case access: typed transfer records, team rosters, one idempotency mechanism

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 21:00:00

Transfers gain the columns lists search by (route, allocated and previous worker, acceptance, escalation) and
their `details` and `decision` JSON take the typed shapes of domain/transfer_record.py; rows already stored
are reshaped here. Processed card actions keep who acted and the answer they got. Team rosters are kept so
a turn can tell the receiving side without calling Teams.
"""

from typing import Any

from alembic import op
import sqlalchemy as sa
import storage.types


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None

_ALLOCATING = ('accept', 'threshold_met', 'outcome_agreed')
_HANDED_ON = ('accepted', 'co_working', 'joint_visit_done', 'transferred', 'closed')


def _decisions(old: dict[str, Any]) -> dict[str, Any]:
    """The old flat decision dict as the typed Decisions shape."""
    new: dict[str, Any] = {
        'allocation': None,
        'decline': None,
        'information_asked': None,
        'information_added': None,
        'previous_worker': None,
        'last': None,
    }
    if old.get('team'):
        new['allocation'] = {
            'team': old['team'],
            'worker_name': old.get('worker_name') or '',
            'worker_object_id': old.get('worker_object_id') or '',
            'joint_visit_on': old.get('joint_visit_on') or None,
        }
    if old.get('reason'):
        new['decline'] = {'reason': old['reason'], 'note': old.get('note') or ''}
    if old.get('information'):
        new['information_asked'] = {'asked': old['information']}
    if old.get('answer'):
        new['information_added'] = {'added': old['answer']}
    if old.get('previous_worker_object_id'):
        new['previous_worker'] = {
            'name': old.get('previous_worker_name') or '',
            'object_id': old['previous_worker_object_id'],
        }
    if old.get('event'):
        new['last'] = {
            'event': old['event'],
            'by_name': old.get('by_name') or '',
            'by_object_id': old.get('by_object_id') or '',
        }
    return new


def _reshape_transfers() -> None:
    transfers = sa.table(
        'transfers',
        sa.column('id', sa.Integer()),
        sa.column('state', sa.String()),
        sa.column('details', sa.JSON()),
        sa.column('decision', sa.JSON()),
        sa.column('route', sa.String()),
        sa.column('wording', sa.Text()),
        sa.column('worker_object_id', sa.String()),
        sa.column('previous_worker_object_id', sa.String()),
        sa.column('accepted_at', storage.types.UTCDateTime(timezone=True)),
        sa.column('updated_at', storage.types.UTCDateTime(timezone=True)),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(transfers.c.id, transfers.c.state, transfers.c.details, transfers.c.decision, transfers.c.updated_at)
    ).all()
    for row in rows:
        details = dict(row.details or {})
        wording = details.pop('wording', None) or ''
        details.pop('submitted_from', None)
        old = dict(row.decision or {})
        decisions = _decisions(old)
        allocation = decisions['allocation'] or {}
        previous = decisions['previous_worker'] or {}
        accepted = row.state in _HANDED_ON or old.get('event') in _ALLOCATING
        bind.execute(
            transfers.update()
            .where(transfers.c.id == row.id)
            .values(
                details=details,
                decision=decisions,
                route=details.get('route') or 'direct',
                wording=wording,
                worker_object_id=allocation.get('worker_object_id') or '',
                previous_worker_object_id=previous.get('object_id') or '',
                # The old rows did not keep when they were accepted: their last change is the nearest fact.
                accepted_at=row.updated_at if accepted else None,
            )
        )


def upgrade() -> None:
    with op.batch_alter_table('processed_actions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('tenant_id', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('actor_object_id', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('answer', sa.JSON(), nullable=True))

    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.add_column(sa.Column('route', sa.String(length=24), nullable=False, server_default='direct'))
        batch_op.add_column(sa.Column('wording', sa.Text(), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('worker_object_id', sa.String(length=64), nullable=False, server_default=''))
        batch_op.add_column(
            sa.Column('previous_worker_object_id', sa.String(length=64), nullable=False, server_default='')
        )
        batch_op.add_column(sa.Column('accepted_at', storage.types.UTCDateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('escalated_to', sa.String(length=32), nullable=False, server_default=''))
        batch_op.create_index('ix_transfers_worker', ['tenant_id', 'worker_object_id'], unique=False)
        batch_op.create_index('ix_transfers_channel', ['channel_conversation_id', 'state'], unique=False)
    _reshape_transfers()

    op.create_table('team_rosters',
    sa.Column('team_id', sa.String(length=256), nullable=False),
    sa.Column('synced_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id')
    )
    op.create_table('team_members',
    sa.Column('team_id', sa.String(length=256), nullable=False),
    sa.Column('object_id', sa.String(length=64), nullable=False),
    sa.Column('user_id', sa.String(length=256), nullable=False),
    sa.Column('name', sa.String(length=128), nullable=False),
    sa.Column('updated_at', storage.types.UTCDateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('team_id', 'object_id')
    )
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.create_index('ix_team_members_person', ['object_id'], unique=False)


def downgrade() -> None:
    # The columns go; the reshaped JSON stays in its new shape (nothing reads the old one any more).
    with op.batch_alter_table('team_members', schema=None) as batch_op:
        batch_op.drop_index('ix_team_members_person')
    op.drop_table('team_members')
    op.drop_table('team_rosters')
    with op.batch_alter_table('transfers', schema=None) as batch_op:
        batch_op.drop_index('ix_transfers_channel')
        batch_op.drop_index('ix_transfers_worker')
        for column in ('escalated_to', 'accepted_at', 'previous_worker_object_id', 'worker_object_id', 'wording', 'route'):
            batch_op.drop_column(column)
    with op.batch_alter_table('processed_actions', schema=None) as batch_op:
        for column in ('answer', 'actor_object_id', 'tenant_id'):
            batch_op.drop_column(column)
