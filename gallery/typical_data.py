"""Invented, typical data for the gallery's cards: case references like DEMO-0004, initials only
(gallery.typical builds the cards from it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

from bot.profile_files import all_profiles
from bot.settings import REPO_ROOT
from cards.case_history import CaseHistory
from cards.common import (
    Capability,
)
from cards.dead_letters import (
    DeadLetterView,
)
from cards.deadlines import (
    CaseButton,
)
from cards.delivery import DigestItem
from domain.booking import Booking, BookingDetails, BookingStatus, Slot
from domain.case_history import AuditEntry
from domain.deadline_rules import Kind, Owner
from domain.deadlines import Deadline
from domain.directions import Direction
from domain.disputes import Dispute, DisputeState, Settlement
from domain.outcome_terms import MeetingKind, OutcomeDecision
from domain.outcomes import Outcome, OutcomeAction, OutcomeVersion
from domain.transfer_machine import Event, State
from domain.transfer_record import Allocation, Decisions, DisputeNote, LastDecision, OutcomeNote, Transfer
from domain.transfers import TransferDetails
from domain.weekly_digest import Digest, DueItem
from domain.working_days import WorkingCalendar

Card = dict[str, Any]

PROFILES = all_profiles(REPO_ROOT / "profiles")
REDCAR = PROFILES["redcar"]
DORSET = PROFILES["dorset"]
CAL = WorkingCalendar.from_profile(REDCAR.working)
DAY = date(2026, 12, 10)  # a clinic Thursday
NOW = datetime(2026, 12, 2, 10, 15, tzinfo=UTC)
START = datetime(2026, 12, 10, 10, 0, tzinfo=UTC)
SLOTS = [
    Slot(i + 1, DAY, i, START + timedelta(minutes=20 * i), START + timedelta(minutes=20 * (i + 1)), 1, 0)
    for i in range(6)
]
JOIN = "https://teams.microsoft.com/l/meetup-join/19%3ameeting_DEMO%40thread.v2/0"

CAPABILITIES = [
    Capability("book", "Book a clinic slot", "Pick a slot at the next step-down clinic.", "booking.start"),
    Capability("new transfer", "Ask to move a case", "Step down, step across or step up, with consent."),
    Capability("my transfers", "Your requests", "What you asked for and where each one is."),
    Capability("my deadlines", "Your deadlines", "What is due, soonest first."),
]
ROLES = ["Social worker"]

DETAILS = BookingDetails(
    case_reference="DEMO-0001",
    team="Field team 2",
    direction=Direction.STEP_DOWN_EARLY_HELP,
    decision_date=date(2026, 11, 26),
    reason="Needs now met through the child in need plan; family keen to work with early help.",
    manager_agreed=True,
)


def _booking(i: int, status: BookingStatus = BookingStatus.BOOKED, worker: str = "S.W.") -> Booking:
    slot = SLOTS[i % len(SLOTS)]
    return Booking(
        id=i + 1,
        slot_id=slot.id,
        clinic_date=DAY,
        starts_at=slot.starts_at,
        ends_at=slot.ends_at,
        tenant_id="t",
        worker_object_id="o",
        worker_name=worker,
        case_reference=f"DEMO-{i + 1:04d}",
        team=DETAILS.team,
        direction=DETAILS.direction,
        decision_date=DETAILS.decision_date,
        reason=DETAILS.reason,
        manager_agreed=True,
        status=status,
        version=1,
    )


REQUEST = TransferDetails.model_validate(
    {
        "case_reference": "DEMO-0004",
        "child_initials": "A.B.",
        "children_count": 2,
        "direction": "step_down_early_help",
        "from_team": REDCAR.transfers.from_teams[0],
        "to_service": REDCAR.transfers.to_services[Direction.STEP_DOWN_EARLY_HELP][0],
        "reason": "The child in need plan's goals are met; school attendance is back to 96%.",
        "outstanding_needs": "Support with routines at home; the parents' own wellbeing.",
        "level_of_need": "",
        "route": "clinic",
        "consent": {
            "status": "given",
            "relationship": "Mother",
            "initials": "C.B.",
            "how": "In person",
            "on": "2026-11-27",
        },
        "manager": {"manager": "T.M.", "decided_on": "2026-11-26"},
        "checklist": {i.key: True for i in REDCAR.transfers.checklist(Direction.STEP_DOWN_EARLY_HELP)},
        "discussed_with": "E.H.C.",
        "discussed_on": "2026-11-27",
    }
)
TRANSFER = Transfer(
    id=4,
    version=3,
    state=State.ACCEPTED,
    paused_from=None,
    tenant_id="t",
    requester_object_id="o",
    requester_name="S.W.",
    details=REQUEST,
    receiving_channel="coordinators",
    wording="",
    decision=Decisions(
        allocation=Allocation(team="Early help team East", worker_name="E.W.", joint_visit_on=DAY),
        last=LastDecision(event=Event.ACCEPT, by_name="E.H.C.", by_object_id="c"),
    ),
    gaps=(),
    last_actor_name="E.H.C.",
)
SUBMITTED = replace(TRANSFER, state=State.SUBMITTED, decision=Decisions(), version=1, last_actor_name="S.W.")
DEADLINE = Deadline(
    id=1,
    version=1,
    tenant_id="t",
    transfer_id=4,
    case_reference="DEMO-0004",
    rule_key="joint_visit",
    title="Joint visit with the family",
    kind=Kind.LATEST,
    owner=Owner.ALLOCATED_WORKER,
    owner_object_id="o",
    started_at=NOW,
    due_at=datetime(2026, 12, 9, 17, tzinfo=UTC),
)
WHOLE = replace(
    DEADLINE, id=2, rule_key="whole_step_down", title="Whole step down", due_at=datetime(2026, 12, 24, 17, tzinfo=UTC)
)
SETTLE = [CaseButton("Joint visit done", "transfer.form", {"record_id": 4, "version": 3, "event": "joint_visit_done"})]
OUTCOME = Outcome(
    meeting_kind=MeetingKind.CLINIC,
    meeting_on=DAY,
    decision=OutcomeDecision.AGREED,
    team="Early help team East",
    lead_practitioner="E.W.",
    actions=(OutcomeAction(what="Book the handover visit", owner="S.W.", due=date(2026, 12, 15)),),
    final_meeting_on=date(2026, 12, 14),
    extras={
        "critical_worry": "The children are often late for school since the move.",
        "wellbeing_goal": "The children arrive at school on time every day.",
        "handover_at_last_cin": "The allocated early help worker attended",
    },
)
VERSION = OutcomeVersion(
    transfer_id=4,
    version=1,
    outcome=OUTCOME,
    correction_reason="",
    recorded_by_name="E.H.C.",
    recorded_by_object_id="c",
    recorded_at=START,
)
CORRECTED = replace(VERSION, version=2, correction_reason="The clinic was on the Thursday, not the Wednesday.")
ON_MEETING = replace(
    TRANSFER,
    decision=Decisions(
        allocation=TRANSFER.decision.allocation,
        outcome=OutcomeNote(
            decision=OutcomeDecision.AGREED, meeting_kind=MeetingKind.CLINIC, meeting_on=DAY, version=2, corrected=True
        ),
        last=LastDecision(event=Event.OUTCOME_AGREED, by_name="E.H.C.", by_object_id="c"),
    ),
)
DISPUTE = Dispute(
    id=1,
    version=1,
    transfer_id=4,
    state=DisputeState.OPEN,
    decision_event=Event.OUTCOME_AGREED,
    outcome_version=2,
    about="The clinic agreed the step down before the school's view was heard.",
    raised_by_object_id="o",
    raised_by_name="S.W.",
    raised_at=NOW,
)
SETTLED = replace(
    DISPUTE,
    version=2,
    state=DisputeState.SETTLED,
    settlement=Settlement.UPHELD,
    settlement_note="The school's view was in the report; the decision stands.",
    settled_by_name="T.M.",
    settled_at=NOW + timedelta(hours=3),
)
DISPUTED = replace(
    ON_MEETING,
    decision=ON_MEETING.decision.model_copy(
        update={"dispute": DisputeNote(dispute_id=1, open=True, raised_on=NOW.date(), raised_by_name="S.W.")}
    ),
)
DEAD_LETTER = DeadLetterView(
    id=17,
    attempts=8,
    kind="send.personal",
    target="S.W.'s personal chat",
    due="Wednesday 2 December 2026, 10am",
    died="Wednesday 2 December 2026, 4pm",
    error="403 Forbidden: the bot is not installed for this person",
    error_class="permanent",
    key="transfer:4:3:requester",
)
ITEMS = (
    DueItem("DEMO-0004", "Joint visit with the family", datetime(2026, 12, 9, 17, tzinfo=UTC)),
    DueItem("DEMO-0007", "Whole step down", datetime(2026, 12, 10, 17, tzinfo=UTC)),
)
DIGEST = Digest(
    week_starting=datetime(2026, 12, 7, 9, tzinfo=UTC),
    open_by_team=(("Field team 1", 3), ("Field team 2", 5)),
    due_this_week=ITEMS,
    overdue=ITEMS[:1],
    unnamed=("DEMO-0009",),
    median_days=24.5,
    transferred=11,
    standard_days=28,
)
ROW = DigestItem(
    "deadline:1:1:reminder:0", "Due soon: DEMO-0004, joint visit with the family", "Wednesday 9 December, 5pm"
)

HISTORY = CaseHistory(
    reference="DEMO-0004",
    transfers=[ON_MEETING],
    outcomes={4: [VERSION, CORRECTED]},
    disputes=[SETTLED],
    events=[
        AuditEntry(9, NOW + timedelta(hours=3), "m", "dispute.settled", "transfer", "4"),
        AuditEntry(8, NOW, "o", "dispute.raised", "transfer", "4"),
        AuditEntry(7, START, "c", "outcome.recorded", "transfer", "4"),
        AuditEntry(6, START - timedelta(days=8), "o", "transfer.submitted", "transfer", "4"),
    ],
    names={"o": "S.W.", "c": "E.H.C.", "m": "T.M."},
    as_of=9,
)
