"""The deadline jobs the outbox runs: a reminder to the owner, the notice that it is now overdue, each escalation.

Each job reads the deadline afresh and does nothing for a version that has moved on (snoozed, extended,
reassigned) or a clock that is settled. Reminders go in working hours only: one that comes due at 2am (a
process was down, say) waits for the next working morning, and says it is late.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from cards.deadlines import CaseButton, render_deadline_overdue, render_deadline_reminder
from cards.transfer_card import BUTTON_TITLES, case_label
from dialogs.audit_trail import audit_system
from dialogs.case_access import receiving_scope
from dialogs.clinic_jobs import schedule
from dialogs.clinic_rules import calendar_of
from dialogs.deadlines import DUE, ESCALATE, REMIND, rule_of
from dialogs.jobs import job
from dialogs.notices import notify_person, post_to_conversation
from dialogs.turn import Services
from domain.deadline_rules import DeadlineRule, EscalateTo
from domain.deadline_times import escalation_times, next_working_moment
from domain.deadlines import Deadline
from domain.transfer_events import EVENTS
from domain.transfer_machine import Event, State, events_from
from domain.transfer_record import Transfer
from storage.uow import UnitOfWork

# A job run this long after its time is late (the process was down, or the queue was long).
LATE_AFTER = timedelta(minutes=30)
SNOOZE_CHOICES = 4


def settle_buttons(transfer: Transfer, rule: DeadlineRule) -> list[CaseButton]:
    """The request's own buttons that record a fact settling this clock (their forms open first)."""
    possible = set(events_from(transfer.state))
    found: list[CaseButton] = []
    for event, event_rule in EVENTS.items():
        if event not in possible or not set(rule.stops_on) & (event_rule.records | event_rule.step_up_records):
            continue
        found.append(_button(transfer, event))
    if Event.RECORD_WHAT_HAPPENED in possible and set(rule.stops_on) - {f for r in EVENTS.values() for f in r.records}:
        found.append(_button(transfer, Event.RECORD_WHAT_HAPPENED, "Record it"))
    return found


def _button(transfer: Transfer, event: Event, title: str = "") -> CaseButton:
    data: dict[str, object] = {"record_id": transfer.id, "version": transfer.version, "event": event.value}
    return CaseButton(title or BUTTON_TITLES[event], "transfer.form", data)


def snooze_choices(deadline: Deadline, services: Services, now: datetime) -> list[datetime]:
    """The next few working mornings still before the deadline."""
    calendar, working = calendar_of(services), services.profile.working
    found: list[datetime] = []
    day = calendar.local_date(now)
    for _ in range(SNOOZE_CHOICES):
        day = calendar.working_days_after(day, 1)
        at = calendar.to_utc(datetime.combine(day, working.reminder_window_start, tzinfo=calendar.zone))
        if at >= deadline.due_at:
            break
        found.append(at)
    return found


async def _load(
    uow: UnitOfWork, services: Services, name: str, payload: dict[str, Any], now: datetime
) -> tuple[Deadline, Transfer, DeadlineRule] | None:
    """The deadline a job is about, its request and its rule; None once it moved on or was settled, or while
    the request is paused for the family's consent (the job is then put off to the next working morning)."""
    deadline = await uow.deadlines.get(int(payload["deadline_id"]))
    if deadline is None or not deadline.open or deadline.version != int(payload["version"]):
        return None
    transfer = await uow.transfers.get(deadline.transfer_id)
    rule = rule_of(services, deadline.rule_key)
    if transfer is None or rule is None or await _held_while_paused(uow, services, name, payload, transfer, now):
        return None
    return deadline, transfer, rule


async def _held_while_paused(
    uow: UnitOfWork, services: Services, name: str, payload: dict[str, Any], transfer: Transfer, now: datetime
) -> bool:
    """A request paused for the family's consent nags nobody: its reminders, overdue notices and escalations
    wait, looked at again each working morning, and go once consent is given again (saying they are late)."""
    if transfer.state is not State.PAUSED:
        return False
    calendar = calendar_of(services)
    working = services.profile.working
    tomorrow = calendar.working_days_after(calendar.local_date(now), 1)
    again = calendar.to_utc(datetime.combine(tomorrow, working.reminder_window_start, tzinfo=calendar.zone))
    step = payload.get("step", payload.get("at", ""))
    key = f"{name}:{payload['deadline_id']}:{payload['version']}:{step}:paused:{tomorrow.isoformat()}"
    await schedule(uow, name, payload, again, now, key=key[:255])
    return True


def _overdue_card(
    services: Services, deadline: Deadline, transfer: Transfer, rule: DeadlineRule, now: datetime, to_whom: str
) -> dict[str, Any]:
    label = case_label(transfer, services.profile)
    settle = settle_buttons(transfer, rule)
    return render_deadline_overdue(deadline, label, calendar_of(services), now, to_whom=to_whom, settle=settle)


def _late(payload: dict[str, Any], services: Services, now: datetime) -> str:
    at = datetime.fromisoformat(str(payload.get("at", now.isoformat())))
    if now - at <= LATE_AFTER:
        return ""
    return f"This was due to reach you {calendar_of(services).format_when(at)}, and is sent late."


async def _managers_of(services: Services, transfer: Transfer, person: str) -> list[str]:
    return sorted(await services.line_managers.managers_of(transfer.tenant_id, person)) if person else []


async def _to_owner(
    uow: UnitOfWork,
    services: Services,
    deadline: Deadline,
    transfer: Transfer,
    card: dict[str, Any],
    now: datetime,
    *,
    summary: str,
    key: str,
    extra: dict[str, Any],
) -> None:
    """The owner's personal chat (their manager if Teams can't reach them), or the receiving channel."""
    if deadline.owner_object_id:
        managers = await _managers_of(services, transfer, deadline.owner_object_id)
        fallback: dict[str, Any] = {"object_id": managers[0]} if managers else {}
        if not fallback and services.channels.get("managers"):
            fallback = {"conversation_id": services.channels["managers"]}
        await notify_person(
            uow,
            tenant_id=deadline.tenant_id,
            object_id=deadline.owner_object_id,
            card=card,
            now=now,
            dedupe_key=key,
            summary=summary,
            extra={**extra, **({"fallback": fallback} if fallback else {})},
        )
        return
    channel = transfer.channel_conversation_id or services.channels.get("managers", "")
    if channel:
        await post_to_conversation(
            uow, conversation_id=channel, card=card, now=now, dedupe_key=key, summary=summary, extra=extra
        )


async def reassign_choices(uow: UnitOfWork, transfer: Transfer, deadline: Deadline) -> list[tuple[str, str]]:
    scope = await receiving_scope(uow, transfer)
    members = await uow.rosters.members(scope) if scope else []
    return [(m.name or "A colleague", m.object_id) for m in members if m.object_id != deadline.owner_object_id][:20]


@job(REMIND)
async def remind(services: Services, payload: dict[str, Any], now: datetime) -> None:
    calendar = calendar_of(services)
    async with services.uow() as uow:
        found = await _load(uow, services, REMIND, payload, now)
        if found is None:
            return
        deadline, transfer, rule = found
        when = next_working_moment(now, calendar, services.profile.working)
        if when > now:
            # Outside working hours: the next working morning, still saying when it was meant for.
            key = f"deadline:{deadline.id}:{deadline.version}:remind:late:{payload.get('at', '')}"
            await schedule(uow, REMIND, payload, when, now, key=key[:255])
            return
        card = render_deadline_reminder(
            deadline,
            case_label(transfer, services.profile),
            calendar,
            now,
            settle=settle_buttons(transfer, rule),
            snooze_to=snooze_choices(deadline, services, now),
            reassign_to=await reassign_choices(uow, transfer, deadline),
            extendable=rule.extendable,
            late=_late(payload, services, now),
        )
        await _to_owner(
            uow,
            services,
            deadline,
            transfer,
            card,
            now,
            summary=f"{deadline.case_reference}: {deadline.title}",
            key=f"deadline:{deadline.id}:{deadline.version}:remind-card:{payload.get('at', '')}"[:255],
            extra={"fold": True},
        )


@job(DUE)
async def now_overdue(services: Services, payload: dict[str, Any], now: datetime) -> None:
    """The due time passed with the clock still open: a new message, so the owner is notified."""
    async with services.uow() as uow:
        found = await _load(uow, services, DUE, payload, now)
        if found is None or now < found[0].due_at:
            return
        deadline, transfer, rule = found
        to_whom = "It is now overdue: settle it, or say why it can't be done in time."
        card = _overdue_card(services, deadline, transfer, rule, now, to_whom)
        mention = [deadline.owner_object_id] if deadline.owner_object_id else []
        await _to_owner(
            uow,
            services,
            deadline,
            transfer,
            card,
            now,
            summary=f"Overdue: {deadline.case_reference}",
            key=f"deadline:{deadline.id}:{deadline.version}:overdue-card",
            extra={"mention": mention},
        )
        await audit_system(uow, now, transfer.tenant_id, "deadline.overdue", "deadline", str(deadline.id))


@job(ESCALATE)
async def escalate(services: Services, payload: dict[str, Any], now: datetime) -> None:
    """One step of the profile's chain: the owner's manager, the managers' channel, or a named role."""
    calendar = calendar_of(services)
    async with services.uow() as uow:
        found = await _load(uow, services, ESCALATE, payload, now)
        if found is None:
            return
        deadline, transfer, rule = found
        steps = escalation_times(rule, deadline.due_at, calendar, services.profile.working)
        index = int(payload.get("step", 0))
        if index >= len(steps):
            return
        step, _at = steps[index]
        owner_managers = await _managers_of(services, transfer, deadline.owner_object_id)
        people: list[str] = []
        who = "the owner's manager"
        if step.to is EscalateTo.OWNERS_MANAGER:
            people = owner_managers
        elif step.to is EscalateTo.ROLE and step.role is not None:
            people = list(services.role_holders.get(step.role, ()))
            who = services.profile.role_title(step.role)
            # From now on they stand in a relationship to the case, for this escalation.
            await uow.transfers.escalate(transfer.id, step.role)
        else:
            who = "the managers' channel"
        card = _overdue_card(services, deadline, transfer, rule, now, f"Overdue and not settled: this goes to {who}.")
        key = f"deadline:{deadline.id}:{deadline.version}:escalation-card:{index}"
        for person in people:
            await notify_person(
                uow,
                tenant_id=deadline.tenant_id,
                object_id=person,
                card=card,
                now=now,
                dedupe_key=f"{key}:{person}"[:255],
                summary=f"Escalated: {deadline.case_reference}",
            )
        channel = services.channels.get("managers")
        if channel and (step.to is not EscalateTo.OWNERS_MANAGER or not people):
            mention = sorted(
                {*people, *owner_managers, *([deadline.owner_object_id] if deadline.owner_object_id else [])}
            )
            await post_to_conversation(
                uow,
                conversation_id=channel,
                card=card,
                now=now,
                dedupe_key=key,
                summary=f"Escalated: {deadline.case_reference}",
                extra={"mention": mention},
            )
        await audit_system(
            uow, now, transfer.tenant_id, "deadline.escalated", "deadline", str(deadline.id), {"to": step.to.value}
        )


__all__ = ["escalate", "now_overdue", "remind", "settle_buttons", "snooze_choices"]
