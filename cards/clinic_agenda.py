"""Cards for the coordinators (the agenda, a booking's reason, changing clinic dates) and Assessment Team."""

from __future__ import annotations

from datetime import date, datetime

from pydantic import Field

from cards.elements import Json, card, container, execute, facts, heading, not_now, text
from cards.payloads import ID_MAX, ActionPayload, RecordAction
from domain.booking import Booking, BookingStatus
from domain.directions import DIRECTION_TITLES
from domain.working_days import WorkingCalendar, format_date


class ShowAgenda(ActionPayload):
    clinic_date: date | None = None


class ViewReason(ActionPayload):
    record_id: int = Field(ge=1, le=ID_MAX)


class MarkAttendance(RecordAction):
    outcome: BookingStatus

    def attended_outcome(self) -> bool:
        return self.outcome in (BookingStatus.DISCUSSED, BookingStatus.DID_NOT_ATTEND)


class ChangeClinicDay(ActionPayload):
    clinic_date: str = Field("", max_length=10)
    reason: str = Field("", max_length=300)
    # When the form was drawn: the same form sent twice is one action, the same answer on a new form another.
    drawn_at: datetime | None = None


class StartClinicChange(ActionPayload):
    pass


class RecordDiscussion(ActionPayload):
    case_reference: str = Field("", max_length=64)
    coordinator: str = Field("", max_length=80)
    discussed_on: str = Field("", max_length=10)
    drawn_at: datetime | None = None  # as ChangeClinicDay's


_STATUS_WORDS = {
    BookingStatus.BOOKED: "Booked",
    BookingStatus.HELD: "Held for the waiting list",
    BookingStatus.DISCUSSED: "Discussed",
    BookingStatus.DID_NOT_ATTEND: "Did not attend",
}


def render_agenda(
    clinic_day: date, bookings: list[Booking], calendar: WorkingCalendar, *, can_mark: bool, cancelled: bool = False
) -> Json:
    """The clinic's slots with case reference, worker and direction; the reason only on demand."""
    body: list[Json] = [heading(f"Step-down clinic agenda: {format_date(clinic_day)}")]
    if cancelled:
        body.append(container([text("This clinic was cancelled.", weight="Bolder")], style="attention"))
    if not bookings:
        body.append(text("No bookings yet."))
    for booking in bookings[:24]:
        ids = {"record_id": booking.id, "version": booking.version}
        actions: list[Json] = [execute("View reason", "booking.reason", {"record_id": booking.id})]
        if can_mark and booking.status is BookingStatus.BOOKED:
            actions.append(execute("Discussed", "booking.mark", {**ids, "outcome": BookingStatus.DISCUSSED.value}))
            actions.append(
                execute("Did not attend", "booking.mark", {**ids, "outcome": BookingStatus.DID_NOT_ATTEND.value})
            )
        if can_mark and booking.status is BookingStatus.DISCUSSED:
            # The clinic chose the service and pathway: recorded on the social worker's request for the case.
            actions.append(execute("Record outcome", "outcome.for_case", {"case_reference": booking.case_reference}))
        body.append(
            container(
                [
                    text(
                        f"{calendar.format_when(booking.starts_at).split(', ')[-1]} · {booking.case_reference}",
                        weight="Bolder",
                    ),
                    text(
                        f"{booking.worker_name or 'Social worker'} · {DIRECTION_TITLES[booking.direction]} · "
                        f"{_STATUS_WORDS.get(booking.status, booking.status.value)}",
                        subtle=True,
                    ),
                    {"type": "ActionSet", "actions": actions},
                ],
                style="emphasis",
            )
        )
    return card(body, [execute("Refresh", "clinic.agenda", {"clinic_date": clinic_day.isoformat()})])


def render_reason(booking: Booking, calendar: WorkingCalendar) -> Json:
    """A booking's reason: shown to coordinators only, and every view is audited."""
    return card(
        [
            heading(f"{booking.case_reference}: reason for the step down"),
            facts(
                [
                    ("When", calendar.format_when(booking.starts_at)),
                    ("Social worker", booking.worker_name or "Not recorded"),
                    ("Team", booking.team),
                    ("Decided with their manager", format_date(booking.decision_date)),
                ]
            ),
            text(booking.reason),
            text("Your view of this reason is recorded.", subtle=True),
        ]
    )


def _drawn(at: datetime | None) -> Json:
    return {"drawn_at": at.isoformat()} if at is not None else {}


def render_clinic_change_form(
    next_dates: list[date], *, drawn_at: datetime | None = None, problems: list[str] | None = None
) -> Json:
    """For a coordinator: cancel one clinic date with a reason, or add an extra clinic."""
    body: list[Json] = [heading("Change the clinic calendar")]
    if problems:
        body.append(container([text(p) for p in problems], style="attention"))
    if next_dates:
        body.append(text("Next clinics: " + "; ".join(format_date(d) for d in next_dates), subtle=True))
    body += [
        {
            "type": "Input.Date",
            "id": "clinic_date",
            "label": "Clinic date",
            "isRequired": True,
            "errorMessage": "Choose a date",
        },
        {
            "type": "Input.Text",
            "id": "reason",
            "label": "Reason (booked social workers see it when a clinic is cancelled)",
            "maxLength": 300,
        },
    ]
    return card(
        body,
        [
            execute("Cancel that clinic", "clinic.cancel", _drawn(drawn_at), style="destructive"),
            execute("Add an extra clinic on that date", "clinic.add", _drawn(drawn_at)),
            not_now("clinic.agenda"),
        ],
    )


def render_clinic_cancelled_notice(
    booking: Booking, calendar: WorkingCalendar, *, reason: str, still_waiting: bool = False
) -> Json:
    """To a booked social worker, or one a seat was held for (who stays on the waiting list)."""
    body: list[Json] = [
        heading("Your step-down clinic was cancelled"),
        facts([("Was", calendar.format_when(booking.starts_at)), ("Case reference", booking.case_reference)]),
    ]
    if reason:
        body.append(text(f"Reason: {reason}"))
    if still_waiting:
        body.append(text("You're still on the waiting list: I'll hold the next slot that frees up for you."))
    else:
        body.append(text("Please book the next clinic."))
    return card(body, [execute("See the next clinics", "booking.show")])


def render_clinic_changed(day: date, *, cancelled: bool, told: int) -> Json:
    if cancelled:
        lines = [f"The clinic on {format_date(day)} is cancelled.", f"{told} booked social worker(s) will be told."]
    else:
        lines = [f"An extra clinic on {format_date(day)} is open for booking."]
    return card([heading("Clinic calendar changed"), *[text(line) for line in lines]])


def render_assessment_step_down(
    *, drawn_at: datetime | None = None, problems: list[str] | None = None, today: date | None = None
) -> Json:
    """Assessment Team social workers need no booking: they record their discussion with a coordinator."""
    body: list[Json] = [
        heading("Request a step down now"),
        text(
            "Assessment Team social workers don't book the clinic: ring an Early Help Coordinator, "
            "then record who you spoke to and when."
        ),
    ]
    if problems:
        body.append(container([text(p) for p in problems], style="attention"))
    body += [
        {
            "type": "Input.Text",
            "id": "case_reference",
            "label": "Case reference",
            "isRequired": True,
            "errorMessage": "Enter the case reference",
            "maxLength": 32,
        },
        {
            "type": "Input.Text",
            "id": "coordinator",
            "label": "Early Help Coordinator you discussed it with",
            "isRequired": True,
            "errorMessage": "Enter who you spoke to",
            "maxLength": 80,
        },
        {
            "type": "Input.Date",
            "id": "discussed_on",
            "label": "Date of the discussion",
            "isRequired": True,
            "errorMessage": "Enter the date of the discussion: today or earlier",
            **({"max": today.isoformat()} if today else {}),
        },
    ]
    return card(
        body,
        [
            execute("Record the discussion", "booking.discussed", _drawn(drawn_at), style="positive"),
            not_now("help.show"),
        ],
    )


def render_discussion_recorded(case_reference: str, coordinator: str, on: date, *, wording: str = "") -> Json:
    """The discussion kept for the transfer request; `wording` is the profile's, and says nothing when empty."""
    body: list[Json] = [
        heading("Discussion recorded"),
        facts([("Case reference", case_reference), ("Discussed with", coordinator), ("On", format_date(on))]),
    ]
    if wording:
        body.append(text(f"Your request can carry the wording: “{wording}”"))
    body.append(text("Start the transfer request now: it opens with these details filled in.", subtle=True))
    return card(
        body,
        [
            execute(
                "Start the transfer request", "transfer.start", {"direction": "step_down_early_help"}, style="positive"
            )
        ],
    )
