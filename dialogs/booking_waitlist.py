"""The clinic's waiting list: join it, answer an offer of a freed slot, or tell the team manager of a delay."""

from __future__ import annotations

from cards.booking import AnswerOffer, JoinWaitlist, StartWaitlist, TellManager, render_booking_form
from cards.booking_notices import (
    render_booked,
    render_booking_cancelled,
    render_manager_note,
    render_offer_expired,
    render_waitlist_joined,
)
from cards.common import render_error, render_notice
from dialogs import clinic_jobs
from dialogs.audit_trail import audit
from dialogs.booking import BOOKERS, FLOW, no_clinic, not_yours
from dialogs.clinic_rules import calendar_of, next_open_clinic, schedule_of
from dialogs.notices import post_to_conversation
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import BookingDetails, BookingStatus, EndReason, WaitStatus, clinic_directions
from domain.clinic import step_down_due
from domain.drafts import Draft
from storage.uow import UnitOfWork

router = Router()

HELD = frozenset({BookingStatus.HELD})


def _expired() -> Refused:
    return Refused(Reply(cards=[render_error("That card has expired", "Start again from the clinic list.")]))


async def _the_draft(uow: UnitOfWork, turn: Turn, draft_id: int, version: int) -> Draft:
    """The booking flow's draft the card was drawn from, or a refusal when it has moved on or gone."""
    draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
    if draft is None or (draft.id, draft.version) != (draft_id, version):
        raise _expired()
    return draft


@router.action("booking.waitlist_start", payload=StartWaitlist, roles=BOOKERS)
async def start(turn: Turn, services: Services, payload: StartWaitlist) -> Reply:
    calendar = calendar_of(services)
    form = render_booking_form(
        calendar,
        slot=None,
        waitlist_for=payload.clinic_date,
        reference_example=services.profile.case_reference_example,
        today=calendar.local_date(turn.now),
        directions=clinic_directions(services.profile),
    )
    return Reply(cards=[form])


@router.change("booking.waitlist_join", payload=JoinWaitlist, roles=BOOKERS)
async def join(turn: Turn, services: Services, payload: JoinWaitlist, uow: UnitOfWork) -> Reply:
    draft = await _the_draft(uow, turn, payload.draft_id, payload.version)
    details = BookingDetails.model_validate(draft.data["details"])
    if draft.data.get("slot_id") is None:
        await uow.drafts.discard(turn.actor.tenant_id, turn.actor.object_id, FLOW)
    # With a slot (a late clinic) the draft stays, so the slot can still be booked meanwhile.
    entry = await uow.clinic.join_waitlist(
        clinic_date=None,
        tenant_id=turn.actor.tenant_id,
        worker_object_id=turn.actor.object_id,
        worker_name=turn.actor.name,
        details=details,
        now=turn.now,
    )
    await audit(uow, turn, "booking.waitlist_joined", "waitlist", str(entry.id))
    return Reply(cards=[render_waitlist_joined(None)])


@router.change("booking.offer", payload=AnswerOffer, roles=BOOKERS)
async def answer_offer(turn: Turn, services: Services, payload: AnswerOffer, uow: UnitOfWork) -> Reply:
    calendar = calendar_of(services)
    held = await uow.clinic.booking(payload.record_id)
    if held is None or (held.tenant_id, held.worker_object_id) != (turn.actor.tenant_id, turn.actor.object_id):
        raise not_yours(payload.record_id, "That offer isn't yours", "Only the person it was held for can take it.")
    ended = Refused(Reply(cards=[render_booking_cancelled(held, calendar, why="This offer has ended.")]))
    if held.status is not BookingStatus.HELD or held.version != payload.version:
        raise ended
    clinics = await schedule_of(uow, services)
    if not payload.accept:
        declined = await clinic_jobs.end_booking(
            uow, services, clinics, held, EndReason.OFFER_DECLINED, turn.now, turn=turn
        )
        if declined is None:
            raise ended
        return Reply(cards=[render_booking_cancelled(declined, calendar, why="You turned the slot down.")])
    if held.hold_has_run_out(turn.now):
        # The hold's job may not have run yet; the seat is no longer this person's to take either way.
        raise Refused(Reply(cards=[render_offer_expired(held, calendar)]))
    if clinics is None or clinics.held_on(held.clinic_date) is None:
        raise Refused(Reply(cards=[render_booking_cancelled(held, calendar, why="That clinic was cancelled.")]))
    booked = await uow.clinic.change_status(held, BookingStatus.BOOKED, turn.now, expected=HELD)
    if booked is None:
        raise ended
    entry = await uow.clinic.entry_offered(held.id)
    if entry is not None:
        await uow.clinic.set_wait_status(entry.id, WaitStatus.BOOKED, turn.now)
    await audit(uow, turn, "booking.offer_accepted", "booking", str(held.id))
    await clinic_jobs.after_booking(uow, services, clinics, booked, turn.now)
    return Reply(cards=[render_booked(booked, calendar, join_url=services.clinic_join_url)])


@router.change("booking.tell_manager", payload=TellManager, roles=BOOKERS)
async def tell_manager(turn: Turn, services: Services, payload: TellManager, uow: UnitOfWork) -> Reply:
    """Post a note to the managers' channel: the next clinic is late for the 28-day standard."""
    channel = services.channels.get("managers")
    if not channel:
        raise Refused(Reply(cards=[render_error("There is no managers' channel", "Tell your team manager directly.")]))
    clinics = await schedule_of(uow, services)
    if clinics is None:
        raise Refused(no_clinic())
    draft = await _the_draft(uow, turn, payload.draft_id, payload.version)
    details = BookingDetails.model_validate(draft.data["details"])
    note = render_manager_note(
        details,
        worker=turn.actor.name,
        standard_due=step_down_due(clinics.clinic, details.decision_date),
        clinic=await next_open_clinic(uow, clinics, turn.now),
    )
    await post_to_conversation(
        uow,
        conversation_id=channel,
        card=note,
        now=turn.now,
        summary=f"{details.case_reference}: step down may miss the standard",
    )
    await audit(uow, turn, "booking.manager_told", "draft", str(draft.id))
    return Reply(cards=[render_notice("Your team manager will see a note", ["It went to the managers' channel."])])
