"""The clinic's waiting list: join it, answer an offer of a freed slot, or tell the team manager of a delay."""

from __future__ import annotations

from cards.booking import AnswerOffer, JoinWaitlist, StartWaitlist, TellManager, render_booking_form
from cards.booking_notices import render_booked, render_booking_cancelled, render_manager_note, render_waitlist_joined
from cards.common import render_error, render_notice
from dialogs import clinic_jobs
from dialogs.audit_trail import audit
from dialogs.booking import BOOKERS, FLOW
from dialogs.clinic_rules import calendar_of, clinic_of, next_open_clinic
from dialogs.notices import post_to_conversation
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.booking import BookingDetails, BookingStatus, WaitStatus
from domain.clinic import step_down_due

router = Router()


@router.action("booking.waitlist_start", payload=StartWaitlist, roles=BOOKERS)
async def start(turn: Turn, services: Services, payload: StartWaitlist) -> Reply:
    form = render_booking_form(
        calendar_of(services),
        slot=None,
        waitlist_for=payload.clinic_date,
        reference_example=services.profile.case_reference_example,
    )
    return Reply(cards=[form])


@router.action("booking.waitlist_join", payload=JoinWaitlist, roles=BOOKERS)
async def join(turn: Turn, services: Services, payload: JoinWaitlist) -> Reply:
    async with services.uow() as uow:
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        if not await uow.actions.claim(f"waitlist:{payload.draft_id}:{payload.version}", "waitlist_join", turn.now):
            return Reply(cards=[render_waitlist_joined(None)])  # a double click: joined once already
        if draft is None or (draft.id, draft.version) != (payload.draft_id, payload.version):
            raise Refused(Reply(cards=[render_error("That card has expired", "Start again from the clinic list.")]))
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


@router.action("booking.offer", payload=AnswerOffer, roles=BOOKERS)
async def answer_offer(turn: Turn, services: Services, payload: AnswerOffer) -> Reply:
    calendar = calendar_of(services)
    async with services.uow() as uow:
        held = await uow.clinic.booking(payload.record_id)
        if held is None or held.worker_object_id != turn.actor.object_id:
            return Reply(cards=[render_error("That offer isn't yours", "Only the person it was held for can take it.")])
        if held.status is not BookingStatus.HELD or held.version != payload.version:
            return Reply(cards=[render_booking_cancelled(held, calendar, why="This offer has ended.")])
        status = BookingStatus.BOOKED if payload.accept else BookingStatus.CANCELLED
        changed = await uow.clinic.change_status(held, status, turn.now, expected=frozenset({BookingStatus.HELD}))
        if changed is None:
            return Reply(cards=[render_booking_cancelled(held, calendar, why="This offer has ended.")])
        entry = await uow.clinic.entry_offered(held.id)
        await audit(
            uow, turn, "booking.offer_accepted" if payload.accept else "booking.offer_declined", "booking", str(held.id)
        )
        if payload.accept:
            if entry is not None:
                await uow.clinic.set_wait_status(entry.id, WaitStatus.BOOKED, turn.now)
            await clinic_jobs.after_booking(uow, services, changed, turn.now)
            return Reply(cards=[render_booked(changed, calendar, join_url=services.clinic_join_url)])
        if entry is not None:
            await uow.clinic.set_wait_status(entry.id, WaitStatus.WITHDRAWN, turn.now)
        await uow.clinic.release_seat(held.slot_id)
        await clinic_jobs.offer_freed_seat(uow, services, held.slot_id, turn.now)
    return Reply(cards=[render_booking_cancelled(changed, calendar, why="You turned the slot down.")])


@router.action("booking.tell_manager", payload=TellManager, roles=BOOKERS)
async def tell_manager(turn: Turn, services: Services, payload: TellManager) -> Reply:
    """Post a note to the managers' channel: the next clinic is late for the 28-day standard."""
    clinic = clinic_of(services)
    channel = services.channels.get("managers")
    if clinic is None or not channel:
        return Reply(cards=[render_error("There is no managers' channel", "Tell your team manager directly.")])
    async with services.uow() as uow:
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        if draft is None or draft.id != payload.draft_id:
            return Reply(cards=[render_error("That card has expired", "Start again from the clinic list.")])
        details = BookingDetails.model_validate(draft.data["details"])
        upcoming = await next_open_clinic(uow, services, turn.now)
        note = render_manager_note(
            details,
            worker=turn.actor.name,
            standard_due=step_down_due(clinic, details.decision_date),
            clinic=upcoming,
        )
        await post_to_conversation(
            uow,
            conversation_id=channel,
            card=note,
            now=turn.now,
            dedupe_key=f"late-note:{draft.id}:{draft.version}",
            summary=f"{details.case_reference}: step down may miss the standard",
        )
        await audit(uow, turn, "booking.manager_told", "draft", str(draft.id))
    return Reply(cards=[render_notice("Your team manager will see a note", ["It went to the managers' channel."])])
