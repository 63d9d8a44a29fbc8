"""A case's full record and audit trail, gathered for `stepbot export` (the administrator, at the console).

The record is every request for the reference, in every tenant, with what hangs on each (outcome versions,
disputes, deadlines), the clinic bookings made for it, and every audit event about any of them, detail
included. The export is itself an audit event, written in the same transaction that read the record.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from dialogs.case_history import known_names, what_hangs_on
from domain.booking import Booking
from domain.case_history import AuditEntry
from domain.consent import ConsentRecord
from domain.deadlines import Deadline
from domain.disputes import Dispute
from domain.outcomes import OutcomeVersion
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

CONSOLE_ACTOR = "console:"


@dataclass(frozen=True)
class CaseRecord:
    """Everything the bot holds about one case reference."""

    reference: str
    transfers: list[Transfer]
    outcomes: dict[int, list[OutcomeVersion]]
    disputes: list[Dispute]
    deadlines: list[Deadline]
    bookings: list[Booking]
    events: list[AuditEntry]  # the oldest first
    names: dict[str, str]
    consents: list[ConsentRecord] = field(default_factory=list)  # every entry of the case's consent record


async def load_case_record(uow: UnitOfWork, reference: str) -> CaseRecord | None:
    """The whole record of a case reference, or None when the bot holds nothing about it."""
    transfers = await uow.transfers.for_case(reference)
    bookings = await uow.clinic.for_case(reference)
    if not transfers and not bookings:
        return None
    outcomes, disputes, deadlines = await what_hangs_on(uow, transfers)
    records = {
        "transfer": {str(t.id) for t in transfers},
        "deadline": {str(d.id) for d in deadlines},
        "booking": {str(b.id) for b in bookings},
        "case": {reference},
    }
    events = list(reversed(await uow.audit.about(records, limit=1_000_000)))
    names = await uow.rosters.names_of(e.actor_object_id for e in events)
    names.update(known_names(transfers, [v for vs in outcomes.values() for v in vs], disputes))
    for booking in bookings:
        if booking.worker_name:
            names.setdefault(booking.worker_object_id, booking.worker_name)
    consents = await uow.consents.for_case(reference)
    return CaseRecord(reference, transfers, outcomes, disputes, deadlines, bookings, events, names, consents)


async def record_export(uow: UnitOfWork, record: CaseRecord, *, who: str, files: list[str], now: datetime) -> None:
    """The export's own audit event: which case, by whom at the console, to which files."""
    tenants = sorted({t.tenant_id for t in record.transfers} | {b.tenant_id for b in record.bookings})
    for tenant in tenants:
        await uow.audit.record(
            at=now,
            tenant_id=tenant,
            actor_object_id=f"{CONSOLE_ACTOR}{who}"[:64],
            action="case.exported",
            record_type="case",
            record_id=record.reference,
            detail={"files": files, "requests": len(record.transfers), "events": len(record.events)},
        )
