"""The deletes a retention purge makes: a closed case's records, the bot's old messages, old audit events.

The audit trail refuses every UPDATE and DELETE by its own triggers (storage/audit.py). Removing audit
events past their period sets the guards aside and puts them back inside one transaction, so nobody
sees the trail unguarded (on PostgreSQL the DROP TRIGGER holds the table's lock until the commit). Only
the schema's owner may drop them: run as the application's role (`stepbot grant`), that part is refused
by the database and nothing of it happens.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import String, and_, cast, delete, false, func, not_, or_, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncSession

from domain.transfer_machine import FINAL_STATES
from storage.audit import drop_every_guard_ddl, every_guard_ddl
from storage.case_tables import ConsentRow, DeadlineRow, DisputeRow, OutcomeRow
from storage.tables import AuditEventRow, BookingRow, OutboxRow, TransferRow, WaitlistRow

SETTLED_OUTBOX = ("sent", "dropped", "dead")
ACTIVE_BOOKINGS = ("held", "booked")
TOMBSTONE = "case.purged"
# Audit events about a case's records: removed with the case, never by their own date alone.
CASE_RECORD_TYPES = ("transfer", "deadline", "booking", "case", "dispute", "record")


class AuditTrailGuarded(Exception):
    """The database refused to set the audit trail's guards aside: this role does not own them."""


@dataclass(frozen=True)
class OutboxMention:
    """An outbox row that names a case: what it was and, once sent, where it landed."""

    id: int
    kind: str
    status: str
    result: dict[str, Any]


def _count(result: Any) -> int:
    return int(getattr(result, "rowcount", 0) or 0)


class RetentionRepository:
    def __init__(self, session: AsyncSession) -> None:
        self._session = session

    async def open_references(self) -> set[str]:
        """The case references with a request still open (or a draft): their cases have not closed."""
        final = [s.value for s in FINAL_STATES]
        rows = await self._session.scalars(
            select(TransferRow.case_reference).where(TransferRow.state.not_in(final)).distinct()
        )
        return set(rows)

    async def final_transfer_ids(self) -> list[int]:
        rows = await self._session.scalars(
            select(TransferRow.id)
            .where(TransferRow.state.in_([s.value for s in FINAL_STATES]))
            .order_by(TransferRow.id)
        )
        return list(rows)

    async def delete_transfers(self, transfer_ids: Collection[int]) -> dict[str, int]:
        """A case's requests and what hangs on each (outcome versions, disputes, deadlines)."""
        ids = sorted(transfer_ids)
        counts = {
            "outcomes": _count(await self._session.execute(delete(OutcomeRow).where(OutcomeRow.transfer_id.in_(ids)))),
            "disputes": _count(await self._session.execute(delete(DisputeRow).where(DisputeRow.transfer_id.in_(ids)))),
            "consents": _count(await self._session.execute(delete(ConsentRow).where(ConsentRow.transfer_id.in_(ids)))),
            "deadlines": _count(
                await self._session.execute(delete(DeadlineRow).where(DeadlineRow.transfer_id.in_(ids)))
            ),
        }
        counts["transfers"] = _count(await self._session.execute(delete(TransferRow).where(TransferRow.id.in_(ids))))
        return counts

    async def bookings_of(self, reference: str) -> list[int]:
        """A case's clinic bookings that are over (none held or booked for a clinic still to come)."""
        rows = await self._session.scalars(
            select(BookingRow.id).where(
                BookingRow.case_reference == reference, BookingRow.status.not_in(ACTIVE_BOOKINGS)
            )
        )
        return list(rows)

    async def bookings_without_a_request(self, before: datetime) -> list[tuple[int, str]]:
        """Bookings over, for a clinic before `before`, whose case never had a request (id, reference)."""
        has_request = select(TransferRow.id).where(TransferRow.case_reference == BookingRow.case_reference).exists()
        rows = await self._session.execute(
            select(BookingRow.id, BookingRow.case_reference).where(
                BookingRow.status.not_in(ACTIVE_BOOKINGS), BookingRow.clinic_date < before.date(), not_(has_request)
            )
        )
        return [(int(i), str(r)) for i, r in rows]

    async def delete_bookings(self, booking_ids: Collection[int]) -> int:
        ids = sorted(booking_ids)
        if not ids:
            return 0
        await self._session.execute(
            update(WaitlistRow).where(WaitlistRow.offered_booking_id.in_(ids)).values(offered_booking_id=None)
        )
        return _count(await self._session.execute(delete(BookingRow).where(BookingRow.id.in_(ids))))

    async def outbox_mentioning(self, reference: str) -> list[OutboxMention]:
        """The outbox rows whose payload names the reference (as a whole word), except ones being sent now."""
        rows = await self._session.scalars(
            select(OutboxRow).where(
                cast(OutboxRow.payload, String).contains(reference, autoescape=True), OutboxRow.status != "sending"
            )
        )
        word = re.compile(rf"(?<![A-Za-z0-9]){re.escape(reference)}(?![A-Za-z0-9])")
        return [
            OutboxMention(r.id, r.kind, r.status, dict(r.result or {}))
            for r in rows
            if word.search(json.dumps(r.payload, ensure_ascii=False))
        ]

    async def delete_outbox(self, outbox_ids: Collection[int]) -> int:
        ids = sorted(outbox_ids)
        if not ids:
            return 0
        return _count(await self._session.execute(delete(OutboxRow).where(OutboxRow.id.in_(ids))))

    async def delete_settled_outbox(self, before: datetime) -> int:
        """Rows settled (sent, dropped or dead) and created before `before`."""
        result = await self._session.execute(
            delete(OutboxRow).where(OutboxRow.status.in_(SETTLED_OUTBOX), OutboxRow.created_at < before)
        )
        return _count(result)

    async def tombstones(self) -> list[AuditEventRow]:
        rows = await self._session.scalars(select(AuditEventRow).where(AuditEventRow.action == TOMBSTONE))
        return list(rows)

    def _audit_about(self, records: Mapping[str, Collection[str]], before: datetime | None) -> Any:
        about = or_(
            false(),
            *[
                and_(AuditEventRow.record_type == kind, AuditEventRow.record_id.in_(sorted(ids)))
                for kind, ids in records.items()
                if ids
            ],
        )
        unrelated = and_(AuditEventRow.record_type.not_in(CASE_RECORD_TYPES), AuditEventRow.at < before)
        found = or_(about, unrelated) if before is not None else about
        return and_(found, AuditEventRow.action != TOMBSTONE)

    async def count_audit(self, records: Mapping[str, Collection[str]], unrelated_before: datetime | None) -> int:
        if not any(records.values()) and unrelated_before is None:
            return 0
        where = self._audit_about(records, unrelated_before)
        return int(await self._session.scalar(select(func.count()).select_from(AuditEventRow).where(where)) or 0)

    async def delete_audit(self, records: Mapping[str, Collection[str]], unrelated_before: datetime | None) -> int:
        """Set the trail's guards aside, delete, and put them back, in this one transaction."""
        if not any(records.values()) and unrelated_before is None:
            return 0
        dialect = self._session.get_bind().dialect.name
        try:
            for statement in drop_every_guard_ddl(dialect):
                await self._session.execute(text(statement))
        except DBAPIError as exc:
            raise AuditTrailGuarded(
                "audit events past their period were kept: only the schema's owner (the role that ran "
                "`stepbot migrate`) may set the audit trail's guards aside; run `stepbot purge` with its "
                f"DATABASE_URL ({type(exc.orig).__name__})"
            ) from exc
        result = await self._session.execute(delete(AuditEventRow).where(self._audit_about(records, unrelated_before)))
        for statement in every_guard_ddl(dialect):
            await self._session.execute(text(statement))
        return _count(result)
