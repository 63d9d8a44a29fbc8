"""Recording the family's consent from a request's card: given, refused, withdrawn, given again, not sought.

"Record consent" (the card's one button for the consent events) asks what to record, then gives that status's
short form. Every entry is appended to the case's consent record and audited; the request's card shows the
latest. A withdrawal pauses the request at its step and consent given again resumes it, both through
`move_transfer` like every other move; the worker and the receiving side are told what happens next. The other
entries leave the request where it stands. A bad entry gets its form back saying why, and writes nothing.
"""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from cards.consent import ConsentForm, RecordConsent, StartConsent, render_consent_choice, render_consent_form
from cards.payloads import form_date
from cards.transfer_card import render_transfer_notice
from dialogs.audit_trail import audit
from dialogs.case_access import Case, load_case
from dialogs.clinic_rules import calendar_of
from dialogs.notices import post_to_conversation
from dialogs.router import Refused, Router, payload_problem
from dialogs.transfer_decisions import move_transfer, stale_card
from dialogs.transfer_effects import refresh_channel_card, send_notices, viewer_card
from dialogs.turn import Card, Reply, Services, Turn
from domain.case_roles import CASE_ROLES
from domain.consent import (
    STATUS_EVENTS,
    ConsentEntry,
    as_recorded,
    consent_line,
    current_consent,
    entry_problems,
    record_refusal,
    statuses_offered,
)
from domain.consent_terms import ConsentStatus, method_of
from domain.transfer_events import Party
from domain.transfer_inputs import ConsentInput
from domain.transfer_machine import STATE_TITLES
from domain.transfer_notices import Notice
from domain.transfer_record import Transfer
from domain.working_days import format_date
from storage.uow import UnitOfWork

router = Router()

_DONE: dict[ConsentStatus, str] = {
    ConsentStatus.GIVEN: "Recorded: consent given.",
    ConsentStatus.REFUSED: "Recorded: consent refused.",
    ConsentStatus.NOT_SOUGHT_RISK: "Recorded: consent not sought, with the reason and the manager who agreed.",
    ConsentStatus.WITHDRAWN: (
        "Consent withdrawn: the request is paused at its step until consent is given again or it is withdrawn."
    ),
    ConsentStatus.GIVEN_AGAIN: "Consent given again: the request goes on from the step it was paused at.",
}


async def _current(uow: UnitOfWork, services: Services, turn: Turn, record_id: int, version: int, action: str) -> Case:
    """The case as this person stands to it, refused when they may not record consent on it now."""
    case = await load_case(uow, services, turn, record_id, action)
    if case.transfer.version != version:
        raise stale_card(turn, services, case)
    why = record_refusal(case.transfer, turn.actor, case.relations, services.profile)
    if why is not None:
        raise case.refused(turn, action, why, "access" if why.startswith("Only") else "state")
    return case


def _form(
    services: Services,
    turn: Turn,
    transfer: Transfer,
    status: ConsentStatus,
    *,
    note: str = "",
    values: dict[str, Any] | None = None,
) -> Card:
    today = calendar_of(services).local_date(turn.now)
    return render_consent_form(transfer, services.profile, status, today=today, note=note, values=values)


def choice_card(services: Services, transfer: Transfer, note: str = "") -> Card:
    """What can be recorded on this request now (the consent events' buttons on old cards land here too)."""
    return render_consent_choice(transfer, services.profile, statuses_offered(transfer), note)


@router.action("consent.start", payload=StartConsent, roles=CASE_ROLES)
async def start(turn: Turn, services: Services, payload: StartConsent) -> Reply:
    async with services.uow() as uow:
        case = await _current(uow, services, turn, payload.record_id, payload.version, "consent.start")
    return Reply(cards=[choice_card(services, case.transfer)])


@router.action("consent.form", payload=ConsentForm, roles=CASE_ROLES)
async def form(turn: Turn, services: Services, payload: ConsentForm) -> Reply:
    async with services.uow() as uow:
        case = await _current(uow, services, turn, payload.record_id, payload.version, "consent.form")
    transfer = case.transfer
    status = as_recorded(payload.status, current_consent(transfer))
    if status not in statuses_offered(transfer):
        return Reply(cards=[choice_card(services, transfer, "That can't be recorded on this request as it stands.")])
    return Reply(cards=[_form(services, turn, transfer, status)])


def entry_of(payload: RecordConsent, status: ConsentStatus) -> ConsentEntry | str:
    """The form's flat fields as an entry, or what is wrong with them (nothing is looked up here)."""
    on = form_date(payload.on)
    if on is None:
        return "Give the date with the date picker."
    try:
        return ConsentEntry(
            status=status,
            on=on,
            relationship=payload.relationship if status is not ConsentStatus.NOT_SOUGHT_RISK else "",
            initials=payload.initials if status is not ConsentStatus.NOT_SOUGHT_RISK else "",
            method=method_of(payload.method) if status is not ConsentStatus.NOT_SOUGHT_RISK else None,
            scopes=tuple(payload.scope_values()) if status in (ConsentStatus.GIVEN, ConsentStatus.GIVEN_AGAIN) else (),
            risk_reason=payload.risk_reason if status is ConsentStatus.NOT_SOUGHT_RISK else "",
            agreed_by=payload.agreed_by if status is ConsentStatus.NOT_SOUGHT_RISK else "",
        )
    except ValidationError as exc:
        return payload_problem(exc)


def _values(payload: RecordConsent) -> dict[str, Any]:
    return payload.model_dump(exclude={"verb", "v", "record_id", "version", "status"})


@router.change("consent.record", payload=RecordConsent, roles=CASE_ROLES)
async def record(turn: Turn, services: Services, payload: RecordConsent, uow: UnitOfWork) -> Reply:
    """A consent form sent back: checked whole, then appended; a withdrawal or consent given again moves it."""
    case = await _current(uow, services, turn, payload.record_id, payload.version, "consent.record")
    transfer = case.transfer
    status = as_recorded(payload.status, current_consent(transfer))
    entry = entry_of(payload, status)
    today = calendar_of(services).local_date(turn.now)
    problems = [entry] if isinstance(entry, str) else entry_problems(entry, transfer, services.profile, today)
    if problems or isinstance(entry, str):
        card = _form(services, turn, transfer, status, note=" ".join(problems), values=_values(payload))
        raise Refused(Reply(cards=[card]))
    number = await uow.consents.next_entry(transfer.id)
    note = entry.note(number)
    event = STATUS_EVENTS.get(status)
    if event is not None:
        reply = await move_transfer(
            uow,
            turn,
            services,
            transfer.id,
            payload.version,
            event,
            ConsentInput(consent=note),
            "consent.record",
            form=lambda c, why: _form(services, turn, c.transfer, status, note=why, values=_values(payload)),
            note=_DONE[status],
        )
        after = await uow.transfers.get(transfer.id)
    else:
        decisions = transfer.decision.model_copy(update={"consent": note})
        after = await uow.transfers.annotate(
            transfer, decisions, actor_object_id=turn.actor.object_id, actor_name=turn.actor.name, now=turn.now
        )
        if after is None:
            raise stale_card(turn, services, await load_case(uow, services, turn, transfer.id, "consent.record"))
        await refresh_channel_card(uow, services, after, turn.now)
        moved = case.after(after, services, turn, await uow.deadlines.for_transfer(after.id))
        reply = Reply(cards=[viewer_card(services, moved, turn, note=_DONE[status])])
    await uow.consents.add(
        transfer.id,
        transfer.case_reference,
        entry,
        entry=number,
        by_name=turn.actor.name,
        by_object_id=turn.actor.object_id,
        now=turn.now,
    )
    await audit(
        uow,
        turn,
        "consent.recorded",
        "transfer",
        str(transfer.id),
        detail={"entry": number, "status": status.value, "scopes": [s.value for s in entry.scopes]},
    )
    if event is not None and after is not None:
        await _tell(uow, services, turn, after, status, entry)
    return reply


async def _tell(
    uow: UnitOfWork, services: Services, turn: Turn, after: Transfer, status: ConsentStatus, entry: ConsentEntry
) -> None:
    """The requester, the allocated worker (in personal chat) and the receiving side (in its channel): what
    happened to the family's consent and what happens next."""
    who = turn.actor.name or "a colleague"
    if status is ConsentStatus.WITHDRAWN:
        headline = f"Consent withdrawn: {after.case_reference}"
        lines = [
            f"The family's consent was withdrawn on {format_date(entry.on)} (recorded by {who}).",
            "The request waits at its step: nothing moves until consent is given again or the request is withdrawn.",
        ]
    else:
        headline = f"Consent given again: {after.case_reference}"
        lines = [
            f"{consent_line(entry.note(1), initials=False)} (recorded by {who}).",
            f"The request goes on from the step it was paused at: {STATE_TITLES[after.state].lower()}.",
        ]
    notices = [
        Notice(Party.REQUESTER, after.requester_object_id, headline, tuple(lines)),
        Notice(Party.ALLOCATED_WORKER, after.worker_object_id, headline, tuple(lines)),
    ]
    await send_notices(uow, services, after, [n for n in notices if n.object_id != turn.actor.object_id], turn.now)
    if after.channel_conversation_id:
        card = render_transfer_notice(after, services.profile, headline, lines)
        await post_to_conversation(
            uow, conversation_id=after.channel_conversation_id, card=card, now=turn.now, summary=headline
        )
