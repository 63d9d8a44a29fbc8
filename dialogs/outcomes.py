"""Recording what a clinic, meeting or panel decided, correcting it, and reading its versions.

"Record outcome" (on the request's card, a clinic agenda's booking, or `record outcome <reference>`) asks
what the meeting decided, then gives that decision's short form. Recording moves the request through the
life cycle by the decision's event, through `move_transfer` like every other move, and stores the outcome
as its first version; a correction stores the next version with its reason and leaves the request where
it stands. Whoever may record the decision may correct it; the decision itself is not corrected (a
different decision is a dispute: dialogs/disputes.py).
"""

from __future__ import annotations

from pydantic import ValidationError

from cards.common import render_error
from cards.outcomes import (
    OutcomeForm,
    RecordOutcome,
    StartOutcome,
    StartOutcomeForCase,
    render_decision_choice,
    render_outcome_form,
    render_outcome_history,
)
from cards.payloads import form_date
from cards.transfer_card import ViewTransfer
from dialogs.audit_trail import audit
from dialogs.case_access import Case, load_case
from dialogs.clinic_rules import calendar_of
from dialogs.router import Refused, Router, payload_problem
from dialogs.transfer_decisions import move_transfer, stale_card
from dialogs.transfer_effects import refresh_channel_card, send_notices, viewer_card
from dialogs.turn import Card, Reply, Services, Turn
from domain.case_roles import CASE_ROLES, CHAIRS
from domain.outcome_terms import DECISION_TITLES, MeetingKind, OutcomeDecision
from domain.outcomes import (
    DECISION_EVENTS,
    Outcome,
    OutcomeAction,
    OutcomeVersion,
    correct_refusal,
    decisions_offered,
    meeting_title,
    outcome_problems,
    window_warning,
)
from domain.roles import Person, Role
from domain.transfer_decide import Refusal, admissible
from domain.transfer_events import Party
from domain.transfer_inputs import OutcomeInput
from domain.transfer_notices import Notice
from domain.transfer_record import Decisions, Transfer
from storage.uow import UnitOfWork

router = Router()

RECORDERS = CHAIRS | {Role.COORDINATOR}
NONE_TO_RECORD = (
    "I found no open request for {reference} whose outcome you can record. If the social worker has not sent "
    "the request yet, they do that first; the outcome is recorded on it."
)


def _may_record(case: Case, turn: Turn, services: Services) -> Refusal | None:
    """None when this person may record some outcome on this request now; else why not (the first reason)."""
    first: Refusal | None = None
    for decision in decisions_offered(services.profile):
        move = admissible(case.transfer, DECISION_EVENTS[decision], turn.actor, case.relations, services.profile)
        if not isinstance(move, Refusal):
            return None
        first = first or move
    return first


async def _current(uow: UnitOfWork, services: Services, turn: Turn, record_id: int, version: int, action: str) -> Case:
    case = await load_case(uow, services, turn, record_id, action)
    if case.transfer.version != version:
        raise stale_card(turn, services, case)
    return case


@router.action("outcome.start", payload=StartOutcome, roles=CASE_ROLES)
async def start(turn: Turn, services: Services, payload: StartOutcome) -> Reply:
    async with services.uow() as uow:
        case = await _current(uow, services, turn, payload.record_id, payload.version, "outcome.start")
        why = _may_record(case, turn, services)
        if why is not None:
            raise case.refused(turn, "outcome.start", why.reason, why.kind.value)
    return Reply(cards=[render_decision_choice(case.transfer, services.profile)])


async def for_case(turn: Turn, services: Services, reference: str) -> Reply:
    """The open request for a case reference whose outcome this person may record, newest first."""
    wanted = reference.strip().upper()
    profile = services.profile
    if not profile.is_case_reference(wanted):
        return Reply(
            cards=[
                render_error(
                    "Which case?",
                    f"Give the case reference, like {profile.case_reference_example}: record outcome "
                    f"{profile.case_reference_example}.",
                )
            ]
        )
    async with services.uow() as uow:
        transfers = [t for t in await uow.transfers.for_case(wanted) if t.open and t.tenant_id == turn.actor.tenant_id]
        for transfer in reversed(transfers):
            try:
                case = await load_case(uow, services, turn, transfer.id, "outcome.start")
            except Refused:
                continue
            if _may_record(case, turn, services) is None:
                return Reply(cards=[render_decision_choice(case.transfer, profile)])
    return Reply(cards=[render_error("Nothing to record", NONE_TO_RECORD.format(reference=wanted))])


@router.command("record outcome", roles=RECORDERS, description="Record what a clinic, meeting or panel decided")
async def record_command(turn: Turn, services: Services, args: str) -> Reply:
    return await for_case(turn, services, args)


@router.action("outcome.for_case", payload=StartOutcomeForCase, roles=RECORDERS)
async def for_case_action(turn: Turn, services: Services, payload: StartOutcomeForCase) -> Reply:
    return await for_case(turn, services, payload.case_reference)


def _form(
    services: Services,
    turn: Turn,
    transfer: Transfer,
    decision: OutcomeDecision,
    *,
    previous: OutcomeVersion | None = None,
    note: str = "",
) -> Card:
    calendar = calendar_of(services)
    today = calendar.local_date(turn.now)
    return render_outcome_form(
        transfer, services.profile, calendar, decision, today=today, previous=previous, note=note
    )


@router.action("outcome.form", payload=OutcomeForm, roles=CASE_ROLES)
async def form(turn: Turn, services: Services, payload: OutcomeForm) -> Reply:
    """One decision's form, or the form correcting the latest outcome."""
    async with services.uow() as uow:
        case = await _current(uow, services, turn, payload.record_id, payload.version, "outcome.form")
        transfer = case.transfer
        if payload.correct:
            why = correct_refusal(transfer, turn.actor, case.relations, services.profile)
            latest = await uow.outcomes.latest(transfer.id)
            if why is not None or latest is None:
                raise case.refused(turn, "outcome.correct", why or "No outcome is recorded yet.", "access")
            return Reply(cards=[_form(services, turn, transfer, latest.outcome.decision, previous=latest)])
        if payload.decision not in decisions_offered(services.profile):
            why_not = f"In {services.profile.authority} a meeting does not hand a request to an external agency."
            raise case.refused(turn, "outcome.form", why_not, "not_applicable")
        move = admissible(transfer, DECISION_EVENTS[payload.decision], turn.actor, case.relations, services.profile)
        if isinstance(move, Refusal):
            raise case.refused(turn, "outcome.form", move.reason, move.kind.value)
    return Reply(cards=[_form(services, turn, transfer, payload.decision)])


def outcome_of(payload: RecordOutcome, actor: Person) -> Outcome | str:
    """The form's flat fields as an outcome, or what is wrong with them (nothing is looked up here)."""
    meeting_on = form_date(payload.meeting_on)
    if meeting_on is None:
        return "Give the meeting's date with the date picker."
    dates = {"deferred_to": payload.deferred_to, "final_meeting_on": payload.final_meeting_on}
    if any(value and form_date(value) is None for value in dates.values()):
        return "Enter each date with the date picker."
    actions: list[OutcomeAction] = []
    for what, owner, due in payload.action_rows():
        day = form_date(due)
        if not (what and owner and day):
            return "Give each action what it is, whose it is and when it is due (or leave the whole row empty)."
        actions.append(OutcomeAction(what=what[:200], owner=owner[:80], due=day))
    try:
        kind = MeetingKind(payload.meeting_kind)
    except ValueError:
        return "Choose the meeting from the list."
    lead = actor.name if payload.lead_is_me else payload.lead_practitioner
    try:
        return Outcome(
            meeting_kind=kind,
            meeting_on=meeting_on,
            decision=payload.decision,
            reason=payload.reason,
            note=payload.note,
            deferred_to=form_date(payload.deferred_to),
            missing=payload.missing,
            agency=payload.agency,
            team=payload.team[:80],
            lead_practitioner=lead[:80],
            lead_is_me=payload.lead_is_me,
            actions=tuple(actions),
            final_meeting_on=form_date(payload.final_meeting_on),
            extras=payload.extras(),
        )
    except ValidationError as exc:
        return payload_problem(exc)


@router.change("outcome.record", payload=RecordOutcome, roles=CASE_ROLES)
async def record(turn: Turn, services: Services, payload: RecordOutcome, uow: UnitOfWork) -> Reply:
    """An outcome form sent back: checked whole, then the decision's move and the outcome's first version."""
    outcome = outcome_of(payload, turn.actor)
    if isinstance(outcome, str):
        case = await load_case(uow, services, turn, payload.record_id, "outcome.record")
        previous = await uow.outcomes.latest(case.transfer.id) if payload.correct else None
        raise Refused(
            Reply(cards=[_form(services, turn, case.transfer, payload.decision, previous=previous, note=outcome)])
        )
    if payload.correct:
        return await _correct(uow, turn, services, payload, outcome)
    version = await uow.outcomes.next_version(payload.record_id)
    transfer = await uow.transfers.get(payload.record_id)
    warning = window_warning(outcome, transfer, services.profile, calendar_of(services)) if transfer else None
    reply = await move_transfer(
        uow,
        turn,
        services,
        payload.record_id,
        payload.version,
        outcome.event,
        OutcomeInput(outcome=outcome, version=version),
        "outcome.record",
        form=lambda case, why: _form(services, turn, case.transfer, payload.decision, note=why),
        note=warning or f"Outcome recorded: {DECISION_TITLES[outcome.decision].lower()}.",
    )
    await uow.outcomes.add(
        payload.record_id,
        version,
        outcome,
        correction_reason="",
        by_name=turn.actor.name,
        by_object_id=turn.actor.object_id,
        now=turn.now,
    )
    await audit(
        uow,
        turn,
        "outcome.recorded",
        "transfer",
        str(payload.record_id),
        detail={"version": version, "decision": outcome.decision.value, "meeting": outcome.meeting_kind.value},
    )
    return reply


def _corrected_decisions(transfer: Transfer, outcome: Outcome, version: int, warning: bool) -> Decisions:
    """What the request's record says after a correction: the outcome's note, and the details it carries."""
    decision = transfer.decision
    note = decision.outcome
    changes: dict[str, object] = {}
    if note is not None:
        changes["outcome"] = note.model_copy(
            update={
                "meeting_kind": outcome.meeting_kind,
                "meeting_on": outcome.meeting_on,
                "version": version,
                "corrected": True,
                "deferred_to": outcome.deferred_to,
                "final_meeting_outside_window": warning,
            }
        )
    if outcome.decision is OutcomeDecision.NOT_AGREED and decision.decline is not None:
        changes["decline"] = decision.decline.model_copy(update={"reason": outcome.reason, "note": outcome.note})
    if outcome.decision is OutcomeDecision.MORE_INFORMATION and decision.information_asked is not None:
        changes["information_asked"] = decision.information_asked.model_copy(update={"asked": outcome.missing})
    if outcome.decision is OutcomeDecision.EXTERNAL_AGENCY and decision.external is not None:
        changes["external"] = decision.external.model_copy(update={"agency": outcome.agency})
    return decision.model_copy(update=changes)


async def _correct(uow: UnitOfWork, turn: Turn, services: Services, payload: RecordOutcome, outcome: Outcome) -> Reply:
    profile, calendar = services.profile, calendar_of(services)
    case = await _current(uow, services, turn, payload.record_id, payload.version, "outcome.correct")
    transfer = case.transfer
    latest = await uow.outcomes.latest(transfer.id)
    why = correct_refusal(transfer, turn.actor, case.relations, profile)
    if why is not None or latest is None:
        raise case.refused(turn, "outcome.correct", why or "No outcome is recorded yet.", "access")
    # Who has the case is not corrected here: a practitioner still to be named is named from the card.
    outcome = outcome.model_copy(
        update={
            "team": latest.outcome.team,
            "lead_practitioner": latest.outcome.lead_practitioner,
            "lead_is_me": latest.outcome.lead_is_me,
        }
    )
    problems = outcome_problems(
        outcome,
        transfer,
        profile,
        calendar.local_date(turn.now),
        corrects=latest,
        correction_reason=payload.correction_reason,
    )
    if problems:
        raise Refused(
            Reply(
                cards=[
                    _form(services, turn, transfer, latest.outcome.decision, previous=latest, note=" ".join(problems))
                ]
            )
        )
    version = latest.version + 1
    warning = window_warning(outcome, transfer, profile, calendar)
    decisions = _corrected_decisions(transfer, outcome, version, warning is not None)
    after = await uow.transfers.annotate(
        transfer, decisions, actor_object_id=turn.actor.object_id, actor_name=turn.actor.name, now=turn.now
    )
    if after is None:
        raise stale_card(turn, services, await load_case(uow, services, turn, transfer.id, "outcome.correct"))
    await uow.outcomes.add(
        transfer.id,
        version,
        outcome,
        correction_reason=payload.correction_reason.strip(),
        by_name=turn.actor.name,
        by_object_id=turn.actor.object_id,
        now=turn.now,
    )
    await audit(
        uow,
        turn,
        "outcome.corrected",
        "transfer",
        str(transfer.id),
        detail={"version": version, "corrects": latest.version},
    )
    await refresh_channel_card(uow, services, after, turn.now)
    headline = f"Outcome corrected: {after.case_reference}"
    lines = (
        f"The outcome of the {meeting_title(outcome.meeting_kind, profile)} was corrected by "
        f"{turn.actor.name or 'a colleague'} (version {version}).",
        "Open the request to see what changed.",
    )
    notices = [
        Notice(Party.REQUESTER, after.requester_object_id, headline, lines),
        Notice(Party.REQUESTERS_MANAGER, "", headline, lines),
        Notice(Party.ALLOCATED_WORKER, after.worker_object_id, headline, lines),
    ]
    await send_notices(uow, services, after, [n for n in notices if n.object_id != turn.actor.object_id], turn.now)
    moved = case.after(after, services, turn, await uow.deadlines.for_transfer(after.id))
    note = warning or f"Correction saved: version {version}."
    return Reply(cards=[viewer_card(services, moved, turn, note=note)])


@router.action("outcome.history", payload=ViewTransfer, roles=CASE_ROLES)
async def history(turn: Turn, services: Services, payload: ViewTransfer) -> Reply:
    """Every version of the outcome, the latest first: for the people on the case, and audited."""
    async with services.uow() as uow:
        case = await load_case(uow, services, turn, payload.record_id, "outcome.history")
        versions = await uow.outcomes.versions(case.transfer.id)
        await audit(
            uow, turn, "outcome.history_viewed", "transfer", str(case.transfer.id), detail={"versions": len(versions)}
        )
    card = render_outcome_history(versions, case.transfer, services.profile, calendar_of(services))
    return Reply(cards=[card], private=True)
