"""the audit trail refuses TRUNCATE too

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-09 10:00:00

The append-only guard of 0003 is a row trigger, which TRUNCATE does not fire: on PostgreSQL a statement
trigger now refuses it. SQLite has no TRUNCATE, so there is nothing to do there.
"""

from alembic import op

from storage.audit import drop_truncate_guard_ddl, truncate_guard_ddl


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    for statement in truncate_guard_ddl(op.get_bind().dialect.name):
        op.execute(statement)


def downgrade() -> None:
    for statement in drop_truncate_guard_ddl(op.get_bind().dialect.name):
        op.execute(statement)
