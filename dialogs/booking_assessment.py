"""Assessment Team social workers step down without a booking: they record their discussion with a coordinator."""

from __future__ import annotations

from datetime import date, timedelta

from cards.clinic_agenda import RecordDiscussion, render_assessment_step_down, render_discussion_recorded
from dialogs.audit_trail import audit
from dialogs.clinic_rules import calendar_of
from dialogs.router import Refused, Router
from dialogs.turn import Reply, Services, Turn
from domain.roles import Role
from domain.working_days import WorkingCalendar
from storage.uow import UnitOfWork

router = Router()


def assessment_card(turn: Turn, services: Services) -> Reply:
    today = calendar_of(services).local_date(turn.now)
    return Reply(cards=[render_assessment_step_down(drawn_at=turn.now, today=today)])


@router.change("booking.discussed", payload=RecordDiscussion, roles={Role.ASSESSMENT_SOCIAL_WORKER})
async def record_discussion(turn: Turn, services: Services, payload: RecordDiscussion, uow: UnitOfWork) -> Reply:
    calendar = WorkingCalendar.from_profile(services.profile.working)
    problems: list[str] = []
    reference = payload.case_reference.strip().upper()
    if not services.profile.is_case_reference(reference):
        problems.append("The case reference is not in the expected form.")
    if len(payload.coordinator.strip()) < 2:
        problems.append("Say which coordinator you spoke to.")
    try:
        on = date.fromisoformat(payload.discussed_on)
        if on > calendar.local_date(turn.now):
            problems.append("The discussion can't be in the future.")
    except ValueError:
        problems.append("Enter the date of the discussion.")
        on = calendar.local_date(turn.now)
    if problems:
        raise Refused(
            Reply(
                cards=[
                    render_assessment_step_down(
                        drawn_at=turn.now, problems=problems, today=calendar.local_date(turn.now)
                    )
                ]
            )
        )
    # The transfer request flow picks this draft up when it lands.
    await uow.drafts.start(
        turn.actor.tenant_id,
        turn.actor.object_id,
        "transfer",
        {
            "case_reference": reference,
            "route": "direct",
            "discussed_with": payload.coordinator.strip(),
            "discussed_on": on.isoformat(),
        },
        turn.now,
        timedelta(days=14),
    )
    await audit(uow, turn, "booking.assessment_discussed", "case", reference, detail={"discussed_on": on.isoformat()})
    wording = services.profile.transfers.wording
    return Reply(cards=[render_discussion_recorded(reference, payload.coordinator.strip(), on, wording=wording)])
