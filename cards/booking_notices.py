"""Cards after booking: booked, my bookings, cancelled, refusals, the waiting list, reminders, notes."""

from __future__ import annotations

from datetime import date

from cards.elements import Json, card, container, execute, facts, heading, text
from domain.booking import Booking, BookingDetails
from domain.directions import DIRECTION_TITLES
from domain.working_days import WorkingCalendar, format_date


def _when(booking: Booking, calendar: WorkingCalendar) -> str:
    return calendar.format_when(booking.starts_at)


# -- after booking ------------------------------------------------------------------------------------------
def _booking_facts(booking: Booking, calendar: WorkingCalendar) -> Json:
    return facts(
        [
            ("When", _when(booking, calendar)),
            ("Case reference", booking.case_reference),
            ("Direction", DIRECTION_TITLES[booking.direction]),
        ]
    )


CANCEL_MEANS = "Cancelling frees your slot, and offers it to the next social worker waiting for this clinic."


def cancel_confirmation(booking: Booking) -> Json:
    """The second ask before a booking is cancelled: what it will do, and the button that does it."""
    ids = {"record_id": booking.id, "version": booking.version, "confirmed": True}
    inner = card(
        [text(f"Cancel the booking for {booking.case_reference}?", weight="Bolder"), text(CANCEL_MEANS)],
        [execute("Yes, cancel the booking", "booking.cancel", ids, style="destructive")],
    )
    inner.pop("msteams", None)
    return {"type": "Action.ShowCard", "title": "Cancel", "card": inner}


def _manage(booking: Booking) -> list[Json]:
    ids = {"record_id": booking.id, "version": booking.version}
    return [execute("Move", "booking.move", ids), cancel_confirmation(booking)]


def render_cancel_booking(booking: Booking, calendar: WorkingCalendar) -> Json:
    """Asked once more, for a cancel pressed on a card from before the question was asked."""
    ids = {"record_id": booking.id, "version": booking.version, "confirmed": True}
    body = [heading("Cancel this booking?"), _booking_facts(booking, calendar), text(CANCEL_MEANS)]
    return card(
        body,
        [
            execute("Yes, cancel the booking", "booking.cancel", ids, style="destructive"),
            execute("Keep it", "booking.mine"),
        ],
    )


def render_booked(booking: Booking, calendar: WorkingCalendar, *, join_url: str = "", note: str = "") -> Json:
    """The booking made: when, the join link, buttons to move or cancel it, and the transfer request."""
    body: list[Json] = [heading("You're booked at the step-down clinic"), _booking_facts(booking, calendar)]
    if note:
        body.append(text(note))
    body.append(text("You'll get a reminder the working day before.", subtle=True))
    actions = _manage(booking)
    actions.append(
        execute(
            "Start the transfer request",
            "transfer.start",
            {"direction": booking.direction.value, "booking_id": booking.id},
        )
    )
    if join_url:
        actions.insert(0, {"type": "Action.OpenUrl", "title": "Join the clinic on Teams", "url": join_url})
    return card(body, actions)


def render_my_bookings(bookings: list[Booking], waiting: list[date | None], calendar: WorkingCalendar) -> Json:
    body: list[Json] = [heading("Your clinic bookings")]
    if not bookings:
        body.append(text("You have no upcoming bookings."))
    for booking in bookings[:10]:
        label = "Held for you" if booking.status.value == "held" else "Booked"
        body.append(
            container(
                [
                    text(f"{label}: {_when(booking, calendar)}", weight="Bolder"),
                    text(f"{booking.case_reference} · {DIRECTION_TITLES[booking.direction]}", subtle=True),
                    {"type": "ActionSet", "actions": _manage(booking)},
                ],
                style="emphasis",
            )
        )
    for wanted in waiting[:5]:
        body.append(text("On the waiting list for " + (format_date(wanted) if wanted else "the earliest clinic")))
    return card(body, [execute("Book a slot", "booking.show")])


def render_booking_cancelled(booking: Booking, calendar: WorkingCalendar, *, why: str = "") -> Json:
    body = [heading("Booking cancelled"), _booking_facts(booking, calendar)]
    if why:
        body.append(text(why))
    return card(body, [execute("Book another slot", "booking.show")])


def render_refusal(reason: str, *, next_clinic: date | None) -> Json:
    """Why this booking can't be made (nothing was written), and where to go instead."""
    body: list[Json] = [
        container([text("That slot can't be booked", weight="Bolder"), text(reason)], style="attention"),
        text("Nothing was saved.", subtle=True),
    ]
    if next_clinic is not None:
        body.append(text(f"The next clinic open for booking is on {format_date(next_clinic)}."))
    return card(body, [execute("See the next clinics", "booking.show")])


def render_waitlist_joined(wanted: date | None) -> Json:
    where = format_date(wanted) if wanted else "the earliest clinic with room"
    return card(
        [
            heading("You're on the waiting list"),
            text(f"If a slot frees up at {where}, I'll hold it for you and send you a card to accept it."),
        ],
        [execute("My bookings", "booking.mine")],
    )


def render_waitlist_offer(booking: Booking, calendar: WorkingCalendar, *, hold_until: str) -> Json:
    """A freed slot held for the next social worker waiting."""
    ids = {"record_id": booking.id, "version": booking.version}
    return card(
        [
            heading("A clinic slot is free for you"),
            _booking_facts(booking, calendar),
            text(f"It's held for you until {hold_until}; after that it goes to the next person waiting."),
        ],
        [
            execute("Accept the slot", "booking.offer", {**ids, "accept": True}, style="positive"),
            execute("No thanks", "booking.offer", {**ids, "accept": False}),
        ],
    )


def render_offer_expired(booking: Booking, calendar: WorkingCalendar) -> Json:
    """An offer accepted after its hold ran out: refused, and nothing was booked."""
    until = f" until {calendar.format_when(booking.hold_expires_at)}" if booking.hold_expires_at else ""
    return card(
        [
            container(
                [
                    text("This offer has run out", weight="Bolder"),
                    text(f"The slot was held for you{until}. It now goes to the next person waiting."),
                ],
                style="attention",
            ),
            _booking_facts(booking, calendar),
            text("Nothing was booked.", subtle=True),
        ],
        [execute("See the next clinics", "booking.show"), execute("My bookings", "booking.mine")],
    )


def render_clinic_reminder(booking: Booking, calendar: WorkingCalendar, *, join_url: str = "") -> Json:
    actions = _manage(booking)
    if join_url:
        actions.insert(0, {"type": "Action.OpenUrl", "title": "Join the clinic on Teams", "url": join_url})
    return card([heading("Step-down clinic tomorrow"), _booking_facts(booking, calendar)], actions)


def render_manager_note(details: BookingDetails, *, worker: str, standard_due: date, clinic: date | None) -> Json:
    """A note to the managers' channel: the next free clinic is late for the 28-day standard."""
    return card(
        [
            heading("A step down may miss the 28-day standard"),
            facts(
                [
                    ("Case reference", details.case_reference),
                    ("Social worker", worker),
                    ("Decided on", format_date(details.decision_date)),
                    ("Standard due", format_date(standard_due)),
                    ("Next free clinic", format_date(clinic) if clinic else "none open"),
                ]
            ),
        ]
    )
