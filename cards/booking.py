"""Cards of the step-down clinic booking: the slot picker, the form, review, booked, my bookings, offers."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from pydantic import Field

from cards.elements import Json, card, container, execute, facts, heading, text
from cards.payloads import ID_MAX, VERSION_MAX, ActionPayload, RecordAction
from domain.booking import REASON_MAX, TEAM_MAX, Booking, BookingDetails, Slot
from domain.clinic import ClinicDate
from domain.directions import CLINIC_DIRECTIONS, DIRECTION_TITLES, Direction
from domain.working_days import WorkingCalendar, format_date


# -- payloads ---------------------------------------------------------------------------------------
class ShowClinics(ActionPayload):
    moving: int | None = Field(None, ge=1, le=ID_MAX, description="the booking being moved, if any")


class PickSlot(ActionPayload):
    slot_id: int = Field(ge=1, le=ID_MAX)
    moving: int | None = Field(None, ge=1, le=ID_MAX)


class ReviewBooking(ActionPayload):
    """The form's inputs: checked by BookingDetails in the dialog, so each problem can be named."""

    slot_id: int | None = Field(None, ge=1, le=ID_MAX)
    waitlist: bool = False
    moving: int | None = Field(None, ge=1, le=ID_MAX)
    case_reference: str = Field("", max_length=64)
    team: str = Field("", max_length=TEAM_MAX * 2)
    direction: str = Field(Direction.STEP_DOWN_EARLY_HELP.value, max_length=40)
    decision_date: str = Field("", max_length=10)
    reason: str = Field("", max_length=REASON_MAX * 2)
    manager_agreed: bool = False


class ConfirmBooking(ActionPayload):
    draft_id: int = Field(ge=1, le=ID_MAX)
    version: int = Field(ge=1, le=VERSION_MAX)


class JoinWaitlist(ConfirmBooking):
    pass


class StartWaitlist(ActionPayload):
    clinic_date: date | None = None


class CancelBooking(RecordAction):
    confirmed: bool = False  # the second ask's button says so; a bare cancel gets the question first


class MoveBooking(RecordAction):
    pass


class AnswerOffer(RecordAction):
    accept: bool


class TellManager(ConfirmBooking):
    pass


@dataclass(frozen=True)
class ClinicChoice:
    """One clinic as the picker shows it: its day, its slots with seats, and why it moved if it did."""

    clinic: ClinicDate
    slots: list[Slot]

    @property
    def full(self) -> bool:
        return all(s.free == 0 for s in self.slots)


def _slot_label(slot: Slot, calendar: WorkingCalendar) -> str:
    return calendar.format_when(slot.starts_at).split(", ")[-1]


def _when(booking: Booking, calendar: WorkingCalendar) -> str:
    return calendar.format_when(booking.starts_at)


# -- the picker, the form, the review ------------------------------------------------------------------
def render_clinic_picker(
    choices: list[ClinicChoice], calendar: WorkingCalendar, *, moving: Booking | None = None
) -> Json:
    """The next clinics with their free slots; a full clinic offers its waiting list."""
    body: list[Json] = [heading("Book the step-down clinic")]
    if moving is not None:
        body.append(
            text(
                f"Moving {moving.case_reference} from {_when(moving, calendar)}. "
                "You keep that slot until you confirm the new one."
            )
        )
    if not choices:
        body.append(text("There is no clinic open for booking at the moment. Please try again later."))
    for choice in choices:
        title = format_date(choice.clinic.actual)
        items: list[Json] = [text(title, weight="Bolder")]
        if choice.clinic.moved and choice.clinic.reason:
            items.append(text(choice.clinic.reason, subtle=True))
        free = [s for s in choice.slots if s.free > 0]
        if free:
            items.append(text(f"{len(free)} of {len(choice.slots)} slots free", subtle=True))
            items.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        execute(
                            _slot_label(s, calendar),
                            "booking.pick",
                            {"slot_id": s.id, "moving": moving.id if moving else None},
                        )
                        for s in free[:6]
                    ],
                }
            )
        else:
            items.append(text("This clinic is full.", weight="Bolder"))
            items.append(
                {
                    "type": "ActionSet",
                    "actions": [
                        execute(
                            "Join the waiting list",
                            "booking.waitlist_start",
                            {"clinic_date": choice.clinic.actual.isoformat()},
                        )
                    ],
                }
            )
        body.append(container(items, style="emphasis"))
    return card(body, [execute("My bookings", "booking.mine")])


def render_booking_form(
    calendar: WorkingCalendar,
    *,
    slot: Slot | None,
    waitlist_for: date | None = None,
    moving: int | None = None,
    prefill: BookingDetails | None = None,
    values: dict[str, str] | None = None,
    problems: list[str] | None = None,
    reference_example: str = "DEMO-0001",
    today: date | None = None,
    directions: tuple[Direction, ...] = CLINIC_DIRECTIONS,
) -> Json:
    """The details the clinic needs; the booking is made only after the review. `today` caps the decision date.

    `directions` are the step downs the profile's clinic offers (Redcar's has no step down to universal services).
    """
    given = values or {}
    if prefill is not None:
        given = {
            "case_reference": prefill.case_reference,
            "team": prefill.team,
            "direction": prefill.direction.value,
            "decision_date": prefill.decision_date.isoformat(),
            "reason": prefill.reason,
            "manager_agreed": "true" if prefill.manager_agreed else "false",
            **given,
        }
    if slot is not None:
        title = f"Your slot: {calendar.format_when(slot.starts_at)}"
    elif waitlist_for is not None:
        title = f"Waiting list for {format_date(waitlist_for)}"
    else:
        title = "Waiting list for the earliest clinic with room"
    body: list[Json] = [heading("Step-down clinic: about the case"), text(title, weight="Bolder")]
    if problems:
        body.append(container([text(p) for p in problems], style="attention"))
    body += [
        text("Never enter the child's name: the case reference is enough.", subtle=True),
        {
            "type": "Input.Text",
            "id": "case_reference",
            "label": "Case reference",
            "placeholder": reference_example,
            "isRequired": True,
            "errorMessage": "Enter the case reference",
            "maxLength": 32,
            "value": given.get("case_reference", ""),
        },
        {
            "type": "Input.Text",
            "id": "team",
            "label": "Your team",
            "isRequired": True,
            "errorMessage": "Enter your team",
            "maxLength": TEAM_MAX,
            "value": given.get("team", ""),
        },
        {
            "type": "Input.ChoiceSet",
            "id": "direction",
            "label": "Direction",
            "style": "expanded",
            "isRequired": True,
            "errorMessage": "Choose the direction",
            "value": given.get("direction", Direction.STEP_DOWN_EARLY_HELP.value),
            "choices": [{"title": DIRECTION_TITLES[d], "value": d.value} for d in directions],
        },
        {
            "type": "Input.Date",
            "id": "decision_date",
            "label": "Date you and your team manager decided to step down (the 28 days start here)",
            "isRequired": True,
            "errorMessage": "Enter the date of the decision: today or earlier",
            "value": given.get("decision_date", ""),
            **({"max": today.isoformat()} if today else {}),
        },
        {
            "type": "Input.Text",
            "id": "reason",
            "label": f"Short reason for the step down (at most {REASON_MAX} characters)",
            "isMultiline": True,
            "isRequired": True,
            "errorMessage": "Give a short reason",
            "maxLength": REASON_MAX,
            "value": given.get("reason", ""),
        },
        {
            "type": "Input.Toggle",
            "id": "manager_agreed",
            "label": "Team manager's agreement",
            "title": "My team manager agreed to the step down",
            "valueOn": "true",
            "valueOff": "false",
            "value": given.get("manager_agreed", "false"),
        },
    ]
    data: dict[str, object] = {"moving": moving}
    if slot is not None:
        data["slot_id"] = slot.id
    else:
        data["waitlist"] = True
        data["slot_id"] = None
    review = execute("Review", "booking.review", data, style="positive")
    return card(body, [review, execute("Back to the clinics", "booking.show", {"moving": moving})])


def render_booking_review(
    details: BookingDetails,
    calendar: WorkingCalendar,
    *,
    draft_id: int,
    version: int,
    slot: Slot | None,
    waitlist_for: date | None = None,
    late_warning: str | None = None,
    moving: Booking | None = None,
) -> Json:
    """What will be booked; nothing is written until Confirm."""
    where = (
        calendar.format_when(slot.starts_at)
        if slot
        else (format_date(waitlist_for) if waitlist_for else "the earliest clinic with room")
    )
    body: list[Json] = [
        heading("Check and confirm" if slot else "Join the waiting list?"),
        facts(
            [
                ("Clinic", where),
                ("Case reference", details.case_reference),
                ("Team", details.team),
                ("Direction", DIRECTION_TITLES[details.direction]),
                ("Decided with your manager", format_date(details.decision_date)),
                ("Team manager agreed", "Yes" if details.manager_agreed else "No"),
            ]
        ),
        text(details.reason, subtle=True),
    ]
    if moving is not None:
        body.append(text(f"This replaces your booking on {_when(moving, calendar)}."))
    actions: list[Json] = []
    ids = {"draft_id": draft_id, "version": version}
    if late_warning:
        body.append(container([text(late_warning, weight="Bolder")], style="warning"))
        actions.append(execute("Join the waiting list for an earlier slot", "booking.waitlist_join", ids))
        actions.append(execute("Tell my team manager", "booking.tell_manager", ids))
    if slot is not None:
        actions.insert(0, execute("Confirm booking", "booking.confirm", ids, style="positive"))
    else:
        actions.insert(0, execute("Join the waiting list", "booking.waitlist_join", ids, style="positive"))
    actions.append(execute("Change", "booking.show", {"moving": moving.id if moving else None}))
    return card(body, actions)
