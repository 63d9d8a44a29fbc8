"""What a person does with a deadline: see it, snooze its reminder, give it to a colleague, record more time.

Settling a deadline is the case's own business (the reminder's "Mark done" opens the request's form for the
fact that settles it), so every change here is about the clock alone, and each asks the same case-access
rule first: only the people on the case see it, only its owner (or their manager) changes it.
"""

from __future__ import annotations

from datetime import date, datetime

from cards.common import render_error
from cards.deadlines import (
    ExtendDeadline,
    ReassignDeadline,
    ShowDeadline,
    SnoozeDeadline,
    render_deadline_reminder,
    render_extension_form,
    render_my_deadlines,
)
from cards.transfer_card import case_label
from dialogs.audit_trail import audit
from dialogs.case_access import Case, load_case, receiving_scope, refusal
from dialogs.clinic_rules import calendar_of
from dialogs.deadline_jobs import reassign_choices, settle_buttons, snooze_choices
from dialogs.deadlines import job_keys, queue_jobs, rule_of
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.case_roles import CASE_ROLES
from domain.deadline_rules import DeadlineRule
from domain.deadlines import Deadline
from domain.transfer_events import Relation
from storage.uow import UnitOfWork

router = Router()

ONLY_THE_OWNER = "Only the person this deadline belongs to, or their manager, can change it."


async def _case_of(
    uow: UnitOfWork, services: Services, turn: Turn, deadline_id: int, version: int | None, action: str
) -> tuple[Deadline, DeadlineRule, Case]:
    deadline = await uow.deadlines.get(deadline_id)
    if deadline is None:
        raise refusal(turn, None, deadline_id, action, "That deadline is not one you are on.", "no_such_deadline")
    case = await load_case(uow, services, turn, deadline.transfer_id, action)
    rule = rule_of(services, deadline.rule_key)
    if rule is None:
        raise Refused(Reply(cards=[_gone()]))
    if version is not None and (deadline.version != version or not deadline.open):
        raise Refused(Reply(cards=[_card(services, case, deadline, rule, turn, note="This card was out of date.")]))
    return deadline, rule, case


def _gone() -> dict[str, object]:
    return render_error("That deadline has ended", "The procedure no longer has it: open the request instead.")


async def _may_change(services: Services, turn: Turn, deadline: Deadline, case: Case) -> bool:
    """The owner, their line manager, or (for a clock a channel owns) the side it was sent to."""
    actor = turn.actor.object_id
    if deadline.owner_object_id:
        if actor == deadline.owner_object_id:
            return True
        return actor in await services.line_managers.managers_of(deadline.tenant_id, deadline.owner_object_id)
    return Relation.RECEIVING_SIDE in case.relations or Relation.CHAIR in case.relations


def _card(
    services: Services,
    case: Case,
    deadline: Deadline,
    rule: DeadlineRule,
    turn: Turn,
    *,
    note: str = "",
    reassign_to: list[tuple[str, str]] | None = None,
) -> dict[str, object]:
    return render_deadline_reminder(
        deadline,
        case_label(case.transfer, services.profile),
        calendar_of(services),
        turn.now,
        settle=settle_buttons(case.transfer, rule) if deadline.open else [],
        snooze_to=snooze_choices(deadline, services, turn.now) if deadline.open else [],
        reassign_to=reassign_to or [],
        extendable=rule.extendable and deadline.open,
        late=note,
    )


async def _requeue(uow: UnitOfWork, services: Services, before: Deadline, after: Deadline, now: datetime) -> None:
    """A changed deadline's old jobs come off the outbox and its new version's go on, in one transaction."""
    rule = rule_of(services, after.rule_key)
    await uow.deadlines.cancel_queued(job_keys(before, rule))
    if rule is not None:
        await queue_jobs(uow, services, after, rule, now)


@router.action("deadline.show", payload=ShowDeadline, roles=CASE_ROLES)
async def show(turn: Turn, services: Services, payload: ShowDeadline) -> Reply:
    async with services.uow() as uow:
        deadline, rule, case = await _case_of(uow, services, turn, payload.record_id, None, "deadline.show")
        choices = await reassign_choices(uow, case.transfer, deadline) if deadline.open else []
    return Reply(cards=[_card(services, case, deadline, rule, turn, reassign_to=choices)], private=True)


@router.change("deadline.snooze", payload=SnoozeDeadline, roles=CASE_ROLES)
async def snooze(turn: Turn, services: Services, payload: SnoozeDeadline, uow: UnitOfWork) -> Reply:
    deadline, rule, case = await _case_of(uow, services, turn, payload.record_id, payload.version, "deadline.snooze")
    if not await _may_change(services, turn, deadline, case):
        raise refusal(turn, case.transfer, deadline.id, "deadline.snooze", ONLY_THE_OWNER, "access")
    until = payload.until
    if until.tzinfo is None or not turn.now < until < deadline.due_at:
        raise Refused(
            Reply(cards=[_card(services, case, deadline, rule, turn, note="Choose a time before it is due.")])
        )
    after = await uow.deadlines.snooze(deadline, until, turn.now)
    if after is None:
        raise Refused(Reply(cards=[_card(services, case, deadline, rule, turn, note="This card was out of date.")]))
    await _requeue(uow, services, deadline, after, turn.now)
    await audit(uow, turn, "deadline.snoozed", "deadline", str(deadline.id), detail={"until": until.isoformat()})
    note = f"You'll be reminded again {calendar_of(services).format_when(until)}."
    return Reply(cards=[_card(services, case, after, rule, turn, note=note)])


@router.change("deadline.reassign", payload=ReassignDeadline, roles=CASE_ROLES)
async def reassign(turn: Turn, services: Services, payload: ReassignDeadline, uow: UnitOfWork) -> Reply:
    deadline, rule, case = await _case_of(uow, services, turn, payload.record_id, payload.version, "deadline.reassign")
    if not await _may_change(services, turn, deadline, case):
        raise refusal(turn, case.transfer, deadline.id, "deadline.reassign", ONLY_THE_OWNER, "access")
    scope = await receiving_scope(uow, case.transfer)
    if not scope or await uow.rosters.is_member(scope, payload.to) is not True:
        note = "Choose a colleague on the receiving team."
        raise Refused(Reply(cards=[_card(services, case, deadline, rule, turn, note=note)]))
    after = await uow.deadlines.reassign(deadline, payload.to, turn.now)
    if after is None:
        raise Refused(Reply(cards=[_card(services, case, deadline, rule, turn, note="This card was out of date.")]))
    await _requeue(uow, services, deadline, after, turn.now)
    await audit(uow, turn, "deadline.reassigned", "deadline", str(deadline.id), detail={"to": payload.to})
    return Reply(cards=[_card(services, case, after, rule, turn, note="It is theirs now: they will be reminded.")])


@router.action("deadline.extend_form", payload=ShowDeadline, roles=CASE_ROLES)
async def extend_form(turn: Turn, services: Services, payload: ShowDeadline) -> Reply:
    async with services.uow() as uow:
        deadline, rule, case = await _case_of(
            uow, services, turn, payload.record_id, payload.version, "deadline.extend_form"
        )
    if not rule.extendable:
        raise Refused(Reply(cards=[_card(services, case, deadline, rule, turn, note="This one is not extended.")]))
    label = case_label(case.transfer, services.profile)
    return Reply(cards=[render_extension_form(deadline, label, calendar_of(services), turn.now)])


@router.change("deadline.extend", payload=ExtendDeadline, roles=CASE_ROLES)
async def extend(turn: Turn, services: Services, payload: ExtendDeadline, uow: UnitOfWork) -> Reply:
    """More time agreed in supervision (Cheshire East's C&F assessment): the new date, why, and who agreed."""
    deadline, rule, case = await _case_of(uow, services, turn, payload.record_id, payload.version, "deadline.extend")
    if not await _may_change(services, turn, deadline, case):
        raise refusal(turn, case.transfer, deadline.id, "deadline.extend", ONLY_THE_OWNER, "access")
    calendar = calendar_of(services)
    label = case_label(case.transfer, services.profile)
    problems: list[str] = []
    try:
        day = date.fromisoformat(payload.due_on)
    except ValueError:
        day = None
        problems.append("Choose the new date with the date picker.")
    if not rule.extendable:
        problems.append("This deadline is not extended.")
    if day is not None and day <= calendar.local_date(deadline.due_at):
        problems.append("The new date comes after the one it replaces.")
    if len(payload.reason) < 3:
        problems.append("Say why more time is needed.")
    if len(payload.agreed_by) < 2:
        problems.append("Name the manager who agreed it.")
    if problems or day is None:
        form = render_extension_form(deadline, label, calendar, turn.now, note=" ".join(problems))
        raise Refused(Reply(cards=[form]))
    after = await uow.deadlines.extend(
        deadline, calendar.due_at(day), reason=payload.reason, agreed_by=payload.agreed_by, now=turn.now
    )
    if after is None:
        raise Refused(Reply(cards=[_card(services, case, deadline, rule, turn, note="This card was out of date.")]))
    await _requeue(uow, services, deadline, after, turn.now)
    await audit(uow, turn, "deadline.extended", "deadline", str(deadline.id), detail={"to": day.isoformat()})
    return Reply(cards=[_card(services, case, after, rule, turn, note="More time is recorded.")])


async def my_deadlines(turn: Turn, services: Services) -> Reply:
    async with services.uow() as uow:
        mine = await uow.deadlines.owned_by(turn.actor.tenant_id, [turn.actor.object_id])
        labels: dict[int, str] = {}
        for transfer_id in {d.transfer_id for d in mine}:
            transfer = await uow.transfers.get(transfer_id)
            if transfer is not None:
                labels[transfer_id] = case_label(transfer, services.profile)
    card = render_my_deadlines(mine, labels, calendar_of(services), turn.now)
    return Reply(cards=[card], private=True)


@router.command("my deadlines", roles=CASE_ROLES, description="What is due from you, soonest first")
async def my_deadlines_command(turn: Turn, services: Services, _args: str) -> Reply:
    return await my_deadlines(turn, services)
