"""`stepbot purge`: what passed its retention period goes, the bot's messages about it are blanked, a tombstone stays.

A case is purged when every request for its reference is in a final state and the requests' period,
counted from the case's closure, has passed: its requests with their outcome versions, disputes and
deadlines (the consent is part of the request), its clinic bookings once theirs has passed too, and the
outbox rows that name it. The bot's own Teams messages about it (the request's channel card, the disputes'
cards in the managers' channel, and any notice whose sent row still records where it landed) are replaced
by a short "removed under the retention policy" card through the outbox's update path, so each goes
through the connector like any update. The tombstone is a new audit event (`case.purged`) saying what was
removed and why; it is never removed itself.

Audit events go in a second transaction of their own, since setting the trail's guards aside is the
schema owner's privilege: those about a case once the audit period has passed since its closure (never
before the case itself is purged), the others once it has passed since they happened.

This is separate from the scheduled housekeeping (dialogs/housekeeping.py), which purges the bot's working
data (expired drafts, processed card actions, sent outbox rows) on a timer; this purge is run by an
administrator, at the console.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time

from cards.retention import render_removed_under_retention
from dialogs.audit_trail import audit_system
from dialogs.notices import update_card
from domain.messaging import OutboxKind
from domain.retention import ClosedCase, RetentionPeriods, closed_cases, past
from storage.retention import TOMBSTONE, AuditTrailGuarded, OutboxMention
from storage.uow import UnitOfWork, UnitOfWorkFactory

# The order `stepbot purge` prints the counts in.
COUNTED = (
    "cases",
    "transfers",
    "outcomes",
    "disputes",
    "deadlines",
    "bookings",
    "outbox rows about the cases",
    "outbox rows settled long ago",
    "Teams messages blanked",
    "audit events",
)
_POSTS = (OutboxKind.SEND_TO_CONVERSATION.value, OutboxKind.SEND_TO_PERSON.value)


@dataclass
class PurgeReport:
    counts: Counter[str] = field(default_factory=Counter)
    dry_run: bool = False
    audit_kept: str = ""  # why audit events past their period were kept, when they were


@dataclass(frozen=True)
class _Removed:
    """A case removed in this run, for the audit step: which records, and when the case closed."""

    reference: str
    closed_at: datetime
    records: dict[str, list[str]]


class _RollBack(Exception):
    """Leaves the unit of work without committing: a dry run counts, then writes nothing."""


async def _blank_targets(uow: UnitOfWork, case: ClosedCase, mentioning: list[OutboxMention]) -> set[tuple[str, str]]:
    targets = {
        (t.channel_conversation_id, t.channel_activity_id)
        for t in case.transfers
        if t.channel_conversation_id and t.channel_activity_id
    }
    for t in case.transfers:
        for d in await uow.disputes.for_transfer(t.id):
            if d.channel_conversation_id and d.channel_activity_id:
                targets.add((d.channel_conversation_id, d.channel_activity_id))
    for row in mentioning:
        if row.status == "sent" and row.kind in _POSTS:
            conversation, activity = row.result.get("conversation_id"), row.result.get("activity_id")
            if conversation and activity:
                targets.add((str(conversation), str(activity)))
    return targets


async def _purge_case(
    uow: UnitOfWork, case: ClosedCase, periods: RetentionPeriods, now: datetime, counts: Counter[str]
) -> _Removed:
    ids = [t.id for t in case.transfers]
    deadlines = [str(d.id) for t in case.transfers for d in await uow.deadlines.for_transfer(t.id)]
    bookings = await uow.retention.bookings_of(case.reference) if past(periods.bookings, case.closed_at, now) else []
    mentioning = await uow.retention.outbox_mentioning(case.reference)
    targets = await _blank_targets(uow, case, mentioning)
    removed = await uow.retention.delete_transfers(ids)
    removed["bookings"] = await uow.retention.delete_bookings(bookings)
    removed["outbox rows about the cases"] = await uow.retention.delete_outbox([r.id for r in mentioning])
    blank = render_removed_under_retention()
    for conversation_id, activity_id in sorted(targets):
        await update_card(uow, conversation_id=conversation_id, activity_id=activity_id, card=blank, now=now)
    removed["Teams messages blanked"] = len(targets)
    records = {"transfer": [str(i) for i in ids], "deadline": deadlines, "booking": [str(b) for b in bookings]}
    await audit_system(
        uow,
        now,
        case.transfers[0].tenant_id,
        TOMBSTONE,
        "case",
        case.reference,
        detail={
            "why": "retention",
            "closed_at": case.closed_at.isoformat(),
            "period": str(periods.transfers),
            "removed": dict(removed),
            "records": records,
        },
    )
    counts.update(removed)
    counts["cases"] += 1
    return _Removed(case.reference, case.closed_at, records)


async def _purge_lone_bookings(
    uow: UnitOfWork, periods: RetentionPeriods, now: datetime, counts: Counter[str]
) -> list[_Removed]:
    """Bookings for a case that never had a request: counted from their clinic date."""
    by_case: dict[str, list[int]] = {}
    for booking_id, reference in await uow.retention.bookings_without_a_request(periods.bookings.before(now)):
        by_case.setdefault(reference, []).append(booking_id)
    removed: list[_Removed] = []
    for reference, ids in sorted(by_case.items()):
        bookings = [b for b in await uow.clinic.for_case(reference) if b.id in ids]
        last_clinic: date = max(b.clinic_date for b in bookings)
        closed_at = datetime.combine(last_clinic, time(), tzinfo=UTC)
        counts["bookings"] += await uow.retention.delete_bookings(ids)
        records = {"booking": [str(i) for i in ids]}
        await audit_system(
            uow,
            now,
            bookings[0].tenant_id,
            TOMBSTONE,
            "case",
            reference,
            detail={
                "why": "retention",
                "closed_at": closed_at.isoformat(),
                "period": str(periods.bookings),
                "removed": {"bookings": len(ids)},
                "records": records,
            },
        )
        counts["cases"] += 1
        removed.append(_Removed(reference, closed_at, records))
    return removed


async def _purge_records(
    uow: UnitOfWork, periods: RetentionPeriods, now: datetime, counts: Counter[str]
) -> list[_Removed]:
    open_references = await uow.retention.open_references()
    finals = [t for i in await uow.retention.final_transfer_ids() if (t := await uow.transfers.get(i)) is not None]
    removed = []
    for case in closed_cases(finals):
        if case.reference not in open_references and past(periods.transfers, case.closed_at, now):
            removed.append(await _purge_case(uow, case, periods, now, counts))
    removed += await _purge_lone_bookings(uow, periods, now, counts)
    counts["outbox rows settled long ago"] += await uow.retention.delete_settled_outbox(periods.outbox.before(now))
    return removed


def _audit_scope(
    removed: Collection[_Removed], tombstones: Collection[_Removed], periods: RetentionPeriods, now: datetime
) -> dict[str, set[str]]:
    records: dict[str, set[str]] = {"transfer": set(), "deadline": set(), "booking": set(), "case": set()}
    for case in [*removed, *tombstones]:
        if past(periods.audit_events, case.closed_at, now):
            records["case"].add(case.reference)
            for kind, ids in case.records.items():
                records.setdefault(kind, set()).update(ids)
    return records


async def _tombstoned(uow: UnitOfWork) -> list[_Removed]:
    found = []
    for row in await uow.retention.tombstones():
        detail = row.detail or {}
        try:
            closed_at = datetime.fromisoformat(str(detail["closed_at"]))
            records = {str(k): [str(i) for i in v] for k, v in dict(detail.get("records", {})).items()}
        except (KeyError, TypeError, ValueError):
            continue
        found.append(_Removed(row.record_id, closed_at, records))
    return found


async def purge_expired(
    uow: UnitOfWorkFactory, periods: RetentionPeriods, now: datetime, *, dry_run: bool = False
) -> PurgeReport:
    report = PurgeReport(dry_run=dry_run)
    removed: list[_Removed] = []
    try:
        async with uow() as work:
            removed = await _purge_records(work, periods, now, report.counts)
            if dry_run:
                raise _RollBack
    except _RollBack:
        pass
    try:
        async with uow() as work:
            records = _audit_scope(removed, await _tombstoned(work), periods, now)
            unrelated_before = periods.audit_events.before(now)
            if dry_run:
                report.counts["audit events"] = await work.retention.count_audit(records, unrelated_before)
            else:
                gone = await work.retention.delete_audit(records, unrelated_before)
                report.counts["audit events"] = gone
                if gone:
                    await audit_system(
                        work,
                        now,
                        "",
                        "audit.purged",
                        "audit",
                        "",
                        detail={"why": "retention", "period": str(periods.audit_events), "removed": gone},
                    )
    except AuditTrailGuarded as refused:
        report.audit_kept = str(refused)
    return report
