"""The largest input each card renderer is given in practice: the gallery draws these, and the card catalogue
test checks each against the Adaptive Card 1.5 schema and Teams' size limit."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from datetime import timedelta
from functools import partial
from typing import Any

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
from cards.case_history import CaseHistory, render_case_history
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
from cards.delivery import MAX_DIGEST, DigestItem, Mention, late_note, render_digest, with_mentions, with_note
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
from domain.consent import ConsentEntry, ConsentRecord
from domain.consent_terms import ConsentMethod, ConsentScope, ConsentStatus
from domain.directions import Direction
from domain.outcome_terms import OutcomeDecision
from domain.transfer_machine import Event, State
from domain.transfer_record import (
    Authorised,
)
from domain.transfers import Route
from gallery.worst_data import (
    ALL_ROLES,
    CAL,
    CASE_HISTORY,
    DAY,
    DEAD_LETTER,
    DEADLINE,
    DEADLINES,
    DETAILS,
    DIGEST,
    DISPUTE,
    FORM_VALUES,
    LONG,
    MANY_CAPABILITIES,
    MOVED_CLINIC,
    PROFILES,
    REDCAR,
    REDCAR_TRANSFER,
    REQUEST,
    ROCHDALE,
    SETTLE,
    SETTLED,
    SLOTS,
    START,
    TRANSFER,
    URL,
    VERSION,
    _booking,
)

# The largest input each renderer can be given in practice; a new renderer must be added here.
WORST_CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "render_help": lambda: render_help(
        MANY_CAPABILITIES, role_titles=ALL_ROLES, authority=LONG[:80], no_role_hint=LONG[:200]
    ),
    "render_welcome": lambda: render_welcome(
        MANY_CAPABILITIES, name=LONG[:100], in_channel=False, authority=LONG[:80], role_titles=ALL_ROLES
    ),
    "render_error": lambda: render_error(LONG[:120], LONG, hints=[LONG[:200]] * 5),
    "render_no_role": lambda: render_no_role(ALL_ROLES, ask=LONG[:300]),
    "render_apology": lambda: render_apology("0123456789ab"),
    "render_notice": lambda: render_notice(LONG[:120], [LONG[:300]] * 5),
    "render_clinic_picker": lambda: render_clinic_picker(
        [ClinicChoice(MOVED_CLINIC, SLOTS) for _ in range(10)], CAL, moving=_booking(0)
    ),
    "render_booking_form": lambda: render_booking_form(
        CAL, slot=SLOTS[0], moving=5, prefill=DETAILS, problems=[LONG[:200]] * 6, reference_example="W" * 32
    ),
    "render_booking_review": lambda: render_booking_review(
        DETAILS, CAL, draft_id=10**9, version=10**6, slot=SLOTS[0], late_warning=LONG, moving=_booking(1)
    ),
    "render_booked": lambda: render_booked(_booking(0), CAL, join_url=URL, note=LONG),
    "render_my_bookings": lambda: render_my_bookings([_booking(i) for i in range(12)], [DAY, None] * 3, CAL),
    "render_booking_cancelled": lambda: render_booking_cancelled(_booking(0), CAL, why=LONG),
    "render_cancel_booking": lambda: render_cancel_booking(_booking(0), CAL),
    "render_refusal": lambda: render_refusal(LONG, next_clinic=DAY),
    "render_waitlist_joined": lambda: render_waitlist_joined(DAY),
    "render_waitlist_offer": lambda: render_waitlist_offer(_booking(0, BookingStatus.HELD), CAL, hold_until=LONG[:60]),
    "render_offer_expired": lambda: render_offer_expired(
        replace(_booking(0, BookingStatus.HELD), hold_expires_at=START), CAL
    ),
    "render_clinic_reminder": lambda: render_clinic_reminder(_booking(0), CAL, join_url=URL),
    "render_manager_note": lambda: render_manager_note(DETAILS, worker="W" * 128, standard_due=DAY, clinic=DAY),
    "render_agenda": lambda: render_agenda(DAY, [_booking(i) for i in range(30)], CAL, can_mark=True, cancelled=True),
    "render_reason": lambda: render_reason(_booking(0), CAL),
    "render_clinic_change_form": lambda: render_clinic_change_form(
        [DAY] * 4, drawn_at=START, problems=[LONG[:200]] * 3
    ),
    "render_clinic_cancelled_notice": lambda: render_clinic_cancelled_notice(
        _booking(0), CAL, reason=LONG[:300], still_waiting=True
    ),
    "render_clinic_changed": lambda: render_clinic_changed(DAY, cancelled=True, told=999),
    "render_assessment_step_down": lambda: render_assessment_step_down(drawn_at=START, problems=[LONG[:200]] * 4),
    "render_direction_picker": lambda: render_direction_picker(list(Direction)),
    "render_transfer_form": lambda: render_transfer_form(
        ROCHDALE,
        Direction.STEP_DOWN_EARLY_HELP,
        values=FORM_VALUES,
        problems=[LONG[:200]] * 12,
        booking_id=1,
        urgent=urgent_warning_block(day_phone="0" * 20, out_of_hours_phone="0" * 20, front_door="W" * 40),
    ),
    **{
        f"render_transfer_form[{stage}, {status}]": partial(
            render_transfer_form,
            ROCHDALE,
            Direction.STEP_DOWN_EARLY_HELP,
            values={**FORM_VALUES, "consent_status": status, "consent_risk_reason": "W" * 500},
            problems=[LONG[:200]] * 12,
            booking_id=1,
            stage=stage,
            today=DAY,
        )
        for stage in ("consent", "agreement")
        for status in ("given", "not_sought_risk")
    },
    "render_transfer_review": lambda: render_transfer_review(
        REQUEST,
        ROCHDALE,
        draft_id=10**9,
        version=10**6,
        wording="W" * 300,
        missing=[i.label for i in ROCHDALE.transfers.checklist(Direction.STEP_DOWN_EARLY_HELP)],
        channel_title=LONG[:80],
    ),
    "render_transfer_sent": lambda: render_transfer_sent(
        TRANSFER, ROCHDALE, sent_to=LONG[:80], comes_back_here=True, next_due=LONG[:80]
    ),
    "render_urgent_recorded": lambda: render_urgent_recorded("W" * 40),
    "render_transfer_card": lambda: render_transfer_card(
        TRANSFER, ROCHDALE, CAL, events=list(Event), deadlines=DEADLINES, now=START
    ),
    "render_transfer_details": lambda: render_transfer_details(
        TRANSFER, ROCHDALE, CAL, outcome=VERSION, disputes=[SETTLED] * 3
    ),
    "render_decision_choice": lambda: render_decision_choice(REDCAR_TRANSFER, REDCAR, note=LONG),
    **{
        f"render_outcome_form[{decision.value}]": partial(
            render_outcome_form, REDCAR_TRANSFER, REDCAR, CAL, decision, today=DAY, note=LONG
        )
        for decision in OutcomeDecision
    },
    "render_outcome_form[correction]": lambda: render_outcome_form(
        REDCAR_TRANSFER, REDCAR, CAL, OutcomeDecision.AGREED, today=DAY, previous=VERSION, note=LONG
    ),
    "render_outcome_history": lambda: render_outcome_history([VERSION] * 9, REDCAR_TRANSFER, REDCAR, CAL),
    "render_case_history": lambda: render_case_history(CASE_HISTORY, REDCAR, CAL),
    "render_case_history[page 2]": lambda: render_case_history(CASE_HISTORY, REDCAR, CAL, page=2),
    "render_case_history[last page]": lambda: render_case_history(CASE_HISTORY, REDCAR, CAL, page=10**4),
    "render_case_history[one request, nothing yet]": lambda: render_case_history(
        CaseHistory(reference="WWWWWW-99999999", transfers=[TRANSFER]), ROCHDALE, CAL
    ),
    "render_removed_under_retention": render_removed_under_retention,
    "render_dispute_form": lambda: render_dispute_form(TRANSFER, ROCHDALE, note=LONG),
    "render_dispute_card": lambda: render_dispute_card(DISPUTE, TRANSFER, ROCHDALE, CAL, due=LONG[:80], note=LONG),
    "render_dispute_card[settled]": lambda: render_dispute_card(SETTLED, TRANSFER, ROCHDALE, CAL),
    "render_decision_form": lambda: render_decision_form(TRANSFER, ROCHDALE, Event.MARK_GAPS, note=LONG),
    **{
        f"render_decision_form[{event.value}]": partial(
            render_decision_form, TRANSFER, ROCHDALE, event, suggested_worker="W" * 80, note=LONG
        )
        for event in Event
    },
    "render_transfer_list": lambda: render_transfer_list(
        LONG[:80], [TRANSFER] * 20, CAL, ROCHDALE, deadlines={TRANSFER.id: DEADLINES}, now=START
    ),
    "render_deadline_reminder": lambda: render_deadline_reminder(
        DEADLINE,
        "W" * 40,
        CAL,
        START,
        settle=SETTLE,
        snooze_to=[START + timedelta(days=i) for i in range(10)],
        reassign_to=[("W" * 128, "o" * 64)] * 40,
        extendable=True,
        late=LONG[:200],
    ),
    "render_deadline_overdue": lambda: render_deadline_overdue(
        DEADLINE, "W" * 40, CAL, START + timedelta(days=9), to_whom=LONG[:200], settle=SETTLE
    ),
    "render_extension_form": lambda: render_extension_form(DEADLINE, "W" * 40, CAL, START, note=LONG[:300]),
    "render_my_deadlines": lambda: render_my_deadlines(DEADLINES, {i: "W" * 40 for i in range(40)}, CAL, START),
    "render_weekly_digest": lambda: render_weekly_digest(DIGEST, CAL),
    "render_transfer_notice": lambda: render_transfer_notice(TRANSFER, ROCHDALE, LONG[:120], [LONG[:300]] * 4),
    "render_transfer_refused": lambda: render_transfer_refused(TRANSFER, LONG),
    "render_discussion_recorded": lambda: render_discussion_recorded("W" * 32, "W" * 80, DAY, wording=LONG[:200]),
    "render_dead_letter": lambda: render_dead_letter(DEAD_LETTER),
    "render_dead_letters": lambda: render_dead_letters([DEAD_LETTER] * 15, more=10**6),
    "render_drop_confirm": lambda: render_drop_confirm(DEAD_LETTER),
    "render_dead_letter_settled": lambda: render_dead_letter_settled(DEAD_LETTER, sent_again=False),
    "render_dead_letter_gone": lambda: render_dead_letter_gone(10**12),
    "render_digest": lambda: render_digest([DigestItem("k" * 255, "W" * 400, LONG[:60], late=True)] * MAX_DIGEST),
    # What the sender adds as it sends: 20 mentions (its most), a late line, on the largest reminder-like card.
    "render_digest[mentioned]": lambda: with_note(
        with_mentions(
            render_digest([DigestItem("k" * 255, "W" * 400, LONG[:60], late=True)] * MAX_DIGEST),
            [Mention("29:" + "W" * 120, "W" * 64)] * 20,
        ),
        late_note(LONG[:60]),
    ),
}

# The family's consent: the largest an entry can be, on a request paused for it.
CONSENT_LARGEST = ConsentEntry(
    status=ConsentStatus.NOT_SOUGHT_RISK,
    on=DAY,
    relationship="W" * 40,
    initials="W" * 8,
    method=ConsentMethod.AT_MEETING,
    scopes=tuple(ConsentScope),
    risk_reason="W" * 500,
    agreed_by="W" * 80,
)
CONSENT_RECORDS = [
    ConsentRecord(10**9, "WWWWWW-99999999", i, entry, "W" * 128, "o", START)
    for i, entry in enumerate(
        [CONSENT_LARGEST, CONSENT_LARGEST.model_copy(update={"status": ConsentStatus.GIVEN_AGAIN})] * 6, start=1
    )
]
CONSENT_NOTE = CONSENT_LARGEST.model_copy(update={"status": ConsentStatus.GIVEN_AGAIN}).note(10**6)
PAUSED = replace(
    TRANSFER,
    state=State.PAUSED,
    paused_from=State.GAPS_OPEN,
    decision=TRANSFER.decision.model_copy(update={"consent": CONSENT_NOTE}),
)
CONSENTED = replace(PAUSED, state=State.SUBMITTED, paused_from=None)
CONSENT_VALUES = {
    "relationship": "W" * 80,
    "initials": "W" * 16,
    "risk_reason": "W" * 1000,
    "agreed_by": "W" * 160,
    "scopes": ",".join(s.value for s in ConsentScope),
}
WORST_CASES.update(
    {
        "render_consent_choice": lambda: render_consent_choice(CONSENTED, ROCHDALE, list(ConsentStatus), note=LONG),
        **{
            f"render_consent_form[{status.value}]": partial(
                render_consent_form, CONSENTED, ROCHDALE, status, today=DAY, note=LONG, values=CONSENT_VALUES
            )
            for status in ConsentStatus
        },
        "render_transfer_card[consent]": lambda: render_transfer_card(
            PAUSED, ROCHDALE, CAL, events=list(Event), deadlines=DEADLINES, now=START
        ),
        "render_transfer_details[consent]": lambda: render_transfer_details(
            PAUSED, ROCHDALE, CAL, outcome=VERSION, disputes=[SETTLED] * 3, consents=CONSENT_RECORDS
        ),
        "render_outcome_history[consent]": lambda: render_outcome_history([VERSION] * 9, PAUSED, REDCAR, CAL),
    }
)

# Each authority's decision route: a Redcar step down the MACH manager authorises before it is accepted.
AWAITING_AUTHORISATION = replace(
    TRANSFER,
    state=State.SUBMITTED,
    details=REQUEST.model_copy(
        update={"from_team": "Field social work team", "to_service": "Internal Early Help team", "route": Route.CLINIC}
    ),
)
AUTHORISED = replace(
    AWAITING_AUTHORISATION,
    decision=AWAITING_AUTHORISATION.decision.model_copy(update={"authorised": Authorised(by_name="W" * 80, at=START)}),
)
WORST_CASES.update(
    {
        "render_transfer_card[awaiting an authorisation]": lambda: render_transfer_card(
            AWAITING_AUTHORISATION, REDCAR, CAL, events=list(Event), deadlines=DEADLINES, now=START
        ),
        "render_transfer_card[authorised]": lambda: render_transfer_card(
            AUTHORISED, REDCAR, CAL, events=list(Event), deadlines=DEADLINES, now=START
        ),
        "render_transfer_form[the route picked from the answers]": lambda: render_transfer_form(
            PROFILES["dorset"], Direction.STEP_UP, values=FORM_VALUES, problems=[LONG] * 12
        ),
        "render_transfer_form[a route to choose]": lambda: render_transfer_form(
            PROFILES["cheshire_east"], Direction.STEP_UP, values=FORM_VALUES, problems=[LONG] * 12
        ),
    }
)
