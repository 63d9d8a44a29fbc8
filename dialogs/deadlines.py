"""The deadlines engine: facts a move records start and settle the profile's clocks, in the move's transaction.

A clock started queues its reminders, its due notice and its escalations as outbox jobs (each with an
idempotency key naming the deadline, its version and the step); settling or cancelling it takes them off
the outbox in the same transaction. The jobs themselves are dialogs/deadline_jobs.py.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, time

from dialogs.clinic_jobs import schedule
from dialogs.clinic_rules import calendar_of
from dialogs.turn import Services
from domain.deadline_rules import DeadlineRule, Fact, Kind, Owner, rules_for
from domain.deadline_times import due_at, escalation_times, reminder_times
from domain.deadlines import Deadline, DeadlineState
from domain.transfer_facts import When
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

# A request withdrawn, declined or handed to an external agency ends every clock; one closed after its
# transfer does not: the receiving service's clocks (Rochdale's assessment within 4 weeks of allocation) run on.
CANCELLING = frozenset({Fact.WITHDRAWN, Fact.DECLINED, Fact.REFERRED_EXTERNALLY})

REMIND = "deadline.remind"
DUE = "deadline.due"
ESCALATE = "deadline.escalate"


def rule_of(services: Services, key: str) -> DeadlineRule | None:
    return next((rule for rule in services.profile.deadlines if rule.key == key), None)


def job_keys(deadline: Deadline, rule: DeadlineRule | None) -> list[str]:
    """Every outbox key this deadline's jobs could have, over all its versions: what settling it cancels."""
    steps = ["due"]
    if rule is not None:
        steps += [f"remind:{i}" for i in range(len(rule.remind) + 1)]
        steps += [f"escalate:{i}" for i in range(len(rule.escalate))]
    return [f"deadline:{deadline.id}:{v}:{step}" for v in range(1, deadline.version + 1) for step in steps]


async def owner_of(services: Services, transfer: Transfer, owner: Owner) -> str:
    """The one person who owns a clock, when it is one person the bot knows; "" for a channel's clock."""
    if owner is Owner.REQUESTER:
        return transfer.requester_object_id
    if owner is Owner.ALLOCATED_WORKER:
        return transfer.worker_object_id
    if owner in (Owner.REQUESTERS_MANAGER, Owner.ALLOCATED_WORKERS_MANAGER):
        person = transfer.requester_object_id if owner is Owner.REQUESTERS_MANAGER else transfer.worker_object_id
        managers = sorted(await services.line_managers.managers_of(transfer.tenant_id, person)) if person else []
        return managers[0] if managers else ""
    return ""


def _instant(at: When, services: Services) -> datetime:
    if isinstance(at, datetime):
        return at
    calendar = calendar_of(services)
    return datetime.combine(at, time(0), tzinfo=calendar.zone).astimezone(UTC)


async def queue_jobs(
    uow: UnitOfWork, services: Services, deadline: Deadline, rule: DeadlineRule, now: datetime
) -> None:
    """The reminders still ahead, the due notice and the escalations of one version of a deadline."""
    calendar, working = calendar_of(services), services.profile.working
    base = {"deadline_id": deadline.id, "version": deadline.version}
    prefix = f"deadline:{deadline.id}:{deadline.version}"
    reminders = reminder_times(rule, deadline.due_at, calendar, working, not_before=deadline.started_at)
    if deadline.snoozed_until is not None:
        reminders = sorted({*(t for t in reminders if t > deadline.snoozed_until), deadline.snoozed_until})
    for i, at in enumerate(t for t in reminders if t >= now):
        await schedule(uow, REMIND, {**base, "at": at.isoformat()}, at, now, key=f"{prefix}:remind:{i}")
    if rule.kind is Kind.EARLIEST:
        return  # nothing falls overdue when a step may not happen before a time
    await schedule(
        uow, DUE, {**base, "at": deadline.due_at.isoformat()}, max(now, deadline.due_at), now, key=f"{prefix}:due"
    )
    for i, (_step, at) in enumerate(escalation_times(rule, deadline.due_at, calendar, working)):
        await schedule(
            uow, ESCALATE, {**base, "step": i, "at": at.isoformat()}, max(now, at), now, key=f"{prefix}:escalate:{i}"
        )


async def settle(
    uow: UnitOfWork, services: Services, deadline: Deadline, state: DeadlineState, now: datetime, *, note: str = ""
) -> Deadline | None:
    """Settle a clock once, and take its pending jobs off the outbox in the same transaction."""
    settled = await uow.deadlines.settle(deadline, state, now, note=note)
    if settled is not None:
        await uow.deadlines.cancel_queued(job_keys(settled, rule_of(services, deadline.rule_key)))
    return settled


async def record_facts(
    uow: UnitOfWork, services: Services, transfer: Transfer, facts: Sequence[tuple[Fact, When]], now: datetime
) -> list[Deadline]:
    """Settle the clocks these facts stop, then start the clocks they start; returns the clocks started."""
    recorded = {fact for fact, _ in facts}
    for deadline in await uow.deadlines.for_transfer(transfer.id, open_only=True):
        rule = rule_of(services, deadline.rule_key)
        if recorded & CANCELLING:
            await settle(uow, services, deadline, DeadlineState.CANCELLED, now)
        elif rule is not None and recorded & set(rule.stops_on):
            state = DeadlineState.NOT_POSSIBLE if Fact.JOINT_VISIT_NOT_POSSIBLE in recorded else DeadlineState.MET
            # An earliest date's step recorded before it: done, but too soon, and the record says so.
            early = rule.kind is Kind.EARLIEST and now < deadline.due_at
            await settle(uow, services, deadline, state, now, note="Done before the earliest date" if early else "")
    if recorded & CANCELLING:
        return []
    started: list[Deadline] = []
    calendar, working = calendar_of(services), services.profile.working
    for fact, at in facts:
        for rule in rules_for(
            services.profile,
            fact,
            direction=transfer.direction,
            from_team=transfer.from_team,
            to_service=transfer.to_service,
            route=transfer.route.value,
        ):
            running = await uow.deadlines.start(
                tenant_id=transfer.tenant_id,
                transfer_id=transfer.id,
                case_reference=transfer.case_reference,
                rule=rule,
                owner_object_id=await owner_of(services, transfer, rule.owner),
                started_at=_instant(at, services),
                due_at=due_at(rule, at, calendar, working),
                now=now,
            )
            if running is None:
                continue
            if recorded & set(rule.stops_on) and rule.kind is not Kind.EARLIEST:
                # Started and met by the same move (a worker named as the case is allocated): met at once.
                running = await uow.deadlines.settle(running, DeadlineState.MET, now) or running
            else:
                await queue_jobs(uow, services, running, rule, now)
            started.append(running)
    return started
