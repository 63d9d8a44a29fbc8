"""Every card renderer with the data a person would typically see: invented cases, initials only.

The gallery (`make cards`) renders these beside the worst cases (`gallery.worst`) so anyone changing a card
sees it as a social worker, a coordinator or a manager would.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

from cards.booking import ClinicChoice, render_booking_form, render_booking_review, render_clinic_picker
from cards.booking_notices import (
    render_booked,
    render_booking_cancelled,
    render_cancel_booking,
    render_clinic_reminder,
    render_manager_note,
    render_my_bookings,
    render_offer_expired,
    render_refusal,
    render_waitlist_joined,
    render_waitlist_offer,
)
from cards.case_history import render_case_history
from cards.clinic_agenda import (
    render_agenda,
    render_assessment_step_down,
    render_clinic_cancelled_notice,
    render_clinic_change_form,
    render_clinic_changed,
    render_discussion_recorded,
    render_reason,
)
from cards.common import (
    render_apology,
    render_error,
    render_help,
    render_no_role,
    render_notice,
    render_welcome,
)
from cards.consent import render_consent_choice, render_consent_form
from cards.dead_letters import (
    render_dead_letter,
    render_dead_letter_gone,
    render_dead_letter_settled,
    render_dead_letters,
    render_drop_confirm,
)
from cards.deadlines import (
    render_deadline_overdue,
    render_deadline_reminder,
    render_extension_form,
    render_my_deadlines,
)
from cards.delivery import Mention, late_note, render_digest, with_mentions, with_note
from cards.disputes import render_dispute_card, render_dispute_form
from cards.outcomes import render_decision_choice, render_outcome_form, render_outcome_history
from cards.retention import render_removed_under_retention
from cards.transfer_card import (
    render_transfer_card,
    render_transfer_list,
    render_transfer_notice,
    render_transfer_refused,
)
from cards.transfer_decisions import render_decision_form, render_transfer_details
from cards.transfer_forms import (
    render_direction_picker,
    render_transfer_sent,
    render_urgent_recorded,
    urgent_warning_block,
)
from cards.transfer_stages import render_transfer_form, render_transfer_review
from cards.weekly_digest import render_weekly_digest
from domain.booking import BookingStatus
from domain.clinic import ClinicDate
from domain.consent_terms import ConsentStatus as ConsentAnswer
from domain.directions import Direction
from domain.outcome_terms import OutcomeDecision
from domain.transfer_machine import Event
from gallery.typical_data import (
    CAL,
    CAPABILITIES,
    CORRECTED,
    DAY,
    DEAD_LETTER,
    DEADLINE,
    DETAILS,
    DIGEST,
    DISPUTE,
    DISPUTED,
    HISTORY,
    JOIN,
    NOW,
    ON_MEETING,
    PROFILES,
    REDCAR,
    REQUEST,
    ROLES,
    ROW,
    SETTLE,
    SETTLED,
    SLOTS,
    SUBMITTED,
    TRANSFER,
    VERSION,
    WHOLE,
    Card,
    _booking,
)

# One typical card per renderer (and for a renderer whose card differs by what it is for, a few).
TYPICAL: dict[str, Callable[[], Card]] = {
    "render_help": lambda: render_help(CAPABILITIES, role_titles=ROLES, authority="Redcar & Cleveland"),
    "render_welcome": lambda: render_welcome(
        CAPABILITIES, name="S.W.", in_channel=False, authority="Redcar & Cleveland", role_titles=ROLES
    ),
    "render_error": lambda: render_error("That date can't be used", "The decision date is in the future."),
    "render_no_role": lambda: render_no_role(
        ["Social worker", "Team manager"], ask="Ask your administrator to give you a role in the bot."
    ),
    "render_apology": lambda: render_apology("4f2a9c1e0b7d"),
    "render_notice": lambda: render_notice(
        "Clinic moved", ["The clinic on Thursday 24 December is now on Tuesday 29 December."]
    ),
    "render_clinic_picker": lambda: render_clinic_picker([ClinicChoice(ClinicDate(DAY, DAY), SLOTS)], CAL),
    "render_booking_form": lambda: render_booking_form(CAL, slot=SLOTS[1], reference_example="DEMO-0001"),
    "render_booking_review": lambda: render_booking_review(DETAILS, CAL, draft_id=1, version=2, slot=SLOTS[1]),
    "render_booked": lambda: render_booked(_booking(1), CAL, join_url=JOIN),
    "render_my_bookings": lambda: render_my_bookings([_booking(0), _booking(3)], [DAY, None], CAL),
    "render_booking_cancelled": lambda: render_booking_cancelled(_booking(1), CAL, why="You cancelled it."),
    "render_cancel_booking": lambda: render_cancel_booking(_booking(1), CAL),
    "render_refusal": lambda: render_refusal("This slot was taken a moment ago.", next_clinic=DAY),
    "render_waitlist_joined": lambda: render_waitlist_joined(DAY),
    "render_waitlist_offer": lambda: render_waitlist_offer(
        _booking(2, BookingStatus.HELD), CAL, hold_until="3pm today"
    ),
    "render_offer_expired": lambda: render_offer_expired(
        replace(_booking(2, BookingStatus.HELD), hold_expires_at=NOW), CAL
    ),
    "render_clinic_reminder": lambda: render_clinic_reminder(_booking(1), CAL, join_url=JOIN),
    "render_manager_note": lambda: render_manager_note(
        DETAILS, worker="S.W.", standard_due=date(2026, 12, 24), clinic=DAY
    ),
    "render_agenda": lambda: render_agenda(
        DAY, [_booking(i, worker=w) for i, w in enumerate(["S.W.", "A.K.", "J.P."])], CAL, can_mark=True
    ),
    "render_reason": lambda: render_reason(_booking(0), CAL),
    "render_clinic_change_form": lambda: render_clinic_change_form([DAY, DAY + timedelta(days=28)], drawn_at=NOW),
    "render_clinic_cancelled_notice": lambda: render_clinic_cancelled_notice(
        _booking(1), CAL, reason="Bank holiday", still_waiting=False
    ),
    "render_clinic_changed": lambda: render_clinic_changed(DAY, cancelled=False, told=4),
    "render_assessment_step_down": lambda: render_assessment_step_down(drawn_at=NOW),
    "render_direction_picker": lambda: render_direction_picker([Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_UP]),
    "render_transfer_form": lambda: render_transfer_form(
        REDCAR, Direction.STEP_DOWN_EARLY_HELP, values={}, booking_id=1
    ),
    "render_transfer_form[step up]": lambda: render_transfer_form(
        REDCAR,
        Direction.STEP_UP,
        values={},
        urgent=urgent_warning_block(day_phone="01642 000 000", out_of_hours_phone="01642 000 001", front_door="MACH"),
    ),
    "render_transfer_form[carried on]": lambda: render_transfer_form(
        REDCAR, Direction.STEP_DOWN_EARLY_HELP, values={"case_reference": "DEMO-0111"}, resumed=True, today=DAY
    ),
    "render_transfer_form[consent, not yet answered]": lambda: render_transfer_form(
        REDCAR, Direction.STEP_DOWN_EARLY_HELP, values={"case_reference": "DEMO-0004"}, stage="consent", today=DAY
    ),
    "render_transfer_form[consent given]": lambda: render_transfer_form(
        REDCAR, Direction.STEP_DOWN_EARLY_HELP, values={"consent_status": "given"}, stage="consent", today=DAY
    ),
    "render_transfer_form[agreement and checklist]": lambda: render_transfer_form(
        REDCAR, Direction.STEP_DOWN_EARLY_HELP, values={"manager": "T.M."}, stage="agreement", today=DAY
    ),
    "render_transfer_review": lambda: render_transfer_review(
        REQUEST, REDCAR, draft_id=1, version=2, wording="", missing=[], channel_title="Early Help Coordinators"
    ),
    "render_transfer_sent": lambda: render_transfer_sent(
        SUBMITTED,
        REDCAR,
        sent_to="the coordinators' channel",
        comes_back_here=False,
        next_due="Due by Thursday 24 December 2026, 5pm",
    ),
    "render_transfer_sent[local mode]": lambda: render_transfer_sent(
        SUBMITTED, REDCAR, sent_to="the coordinators' channel", comes_back_here=True, next_due="No deadline yet"
    ),
    "render_urgent_recorded": lambda: render_urgent_recorded("MACH"),
    "render_transfer_card": lambda: render_transfer_card(
        SUBMITTED,
        REDCAR,
        CAL,
        events=[Event.ACCEPT, Event.DECLINE, Event.ASK_FOR_INFORMATION],
        deadlines=[WHOLE],
        now=NOW,
    ),
    "render_transfer_card[accepted]": lambda: render_transfer_card(
        ON_MEETING,
        REDCAR,
        CAL,
        events=[Event.START_CO_WORKING, Event.RECORD_JOINT_VISIT],
        deadlines=[DEADLINE, WHOLE],
        now=NOW,
    ),
    "render_transfer_details": lambda: render_transfer_details(
        ON_MEETING, REDCAR, CAL, outcome=CORRECTED, disputes=[SETTLED]
    ),
    "render_decision_choice": lambda: render_decision_choice(SUBMITTED, REDCAR),
    "render_outcome_form": lambda: render_outcome_form(SUBMITTED, REDCAR, CAL, OutcomeDecision.AGREED, today=DAY),
    "render_outcome_form[external agency]": lambda: render_outcome_form(
        SUBMITTED, REDCAR, CAL, OutcomeDecision.EXTERNAL_AGENCY, today=DAY
    ),
    "render_outcome_form[correction]": lambda: render_outcome_form(
        ON_MEETING, REDCAR, CAL, OutcomeDecision.AGREED, today=DAY, previous=VERSION
    ),
    "render_outcome_history": lambda: render_outcome_history([CORRECTED, VERSION], ON_MEETING, REDCAR, CAL),
    "render_case_history": lambda: render_case_history(HISTORY, REDCAR, CAL),
    "render_removed_under_retention": render_removed_under_retention,
    "render_consent_choice": lambda: render_consent_choice(
        SUBMITTED,
        PROFILES["york"],
        [ConsentAnswer.GIVEN, ConsentAnswer.REFUSED, ConsentAnswer.WITHDRAWN, ConsentAnswer.NOT_SOUGHT_RISK],
    ),
    "render_consent_form": lambda: render_consent_form(SUBMITTED, PROFILES["york"], ConsentAnswer.GIVEN, today=DAY),
    "render_consent_form[withdrawn]": lambda: render_consent_form(
        ON_MEETING, REDCAR, ConsentAnswer.WITHDRAWN, today=DAY
    ),
    "render_dispute_form": lambda: render_dispute_form(ON_MEETING, REDCAR),
    "render_dispute_card": lambda: render_dispute_card(
        DISPUTE, DISPUTED, REDCAR, CAL, due="Due by Thursday 3 December 2026, 5pm"
    ),
    "render_dispute_card[settled]": lambda: render_dispute_card(SETTLED, ON_MEETING, REDCAR, CAL),
    "render_decision_form": lambda: render_decision_form(SUBMITTED, REDCAR, Event.ACCEPT),
    "render_decision_form[decline]": lambda: render_decision_form(SUBMITTED, REDCAR, Event.DECLINE),
    "render_transfer_list": lambda: render_transfer_list(
        "Your requests",
        [TRANSFER, replace(SUBMITTED, id=5, details=REQUEST.model_copy(update={"case_reference": "DEMO-0005"}))],
        CAL,
        REDCAR,
        deadlines={4: [DEADLINE]},
        now=NOW,
    ),
    "render_deadline_reminder": lambda: render_deadline_reminder(
        DEADLINE,
        "DEMO-0004",
        CAL,
        NOW,
        settle=SETTLE,
        snooze_to=[NOW + timedelta(days=1)],
        reassign_to=[("A.K.", "a")],
        extendable=False,
    ),
    "render_deadline_overdue": lambda: render_deadline_overdue(
        DEADLINE, "DEMO-0004", CAL, datetime(2026, 12, 10, 9, tzinfo=UTC), to_whom="", settle=SETTLE
    ),
    "render_extension_form": lambda: render_extension_form(DEADLINE, "DEMO-0004", CAL, NOW),
    "render_my_deadlines": lambda: render_my_deadlines([DEADLINE, WHOLE], {4: "DEMO-0004"}, CAL, NOW),
    "render_weekly_digest": lambda: render_weekly_digest(DIGEST, CAL),
    "render_transfer_notice": lambda: render_transfer_notice(
        TRANSFER, REDCAR, "Accepted: DEMO-0004", ["Allocated to E.W. in Early help team East."]
    ),
    "render_transfer_refused": lambda: render_transfer_refused(
        TRANSFER, "Only the Early Help Coordinators this request was sent to can accept it."
    ),
    "render_discussion_recorded": lambda: render_discussion_recorded("DEMO-0001", "S.W.", DAY),
    "render_dead_letter": lambda: render_dead_letter(DEAD_LETTER),
    "render_dead_letters": lambda: render_dead_letters([DEAD_LETTER, replace(DEAD_LETTER, id=18)], more=0),
    "render_drop_confirm": lambda: render_drop_confirm(DEAD_LETTER),
    "render_dead_letter_settled": lambda: render_dead_letter_settled(DEAD_LETTER, sent_again=True),
    "render_dead_letter_gone": lambda: render_dead_letter_gone(17),
    "render_digest": lambda: render_digest(
        [ROW, replace(ROW, key="deadline:2:1:reminder:0", summary="Due soon: DEMO-0007, whole step down")]
    ),
    "render_digest[mentioned, late]": lambda: with_note(
        with_mentions(render_digest([ROW]), [Mention("29:demo-tm", "T.M.")]), late_note("Wednesday 9 December, 5pm")
    ),
}
