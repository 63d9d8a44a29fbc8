"""The largest data each card renderer is given in practice: long names, the longest lists, every field set
(gallery.worst builds the cards from it)."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

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
from domain.booking import REASON_MAX, TEAM_MAX, Booking, BookingDetails, BookingStatus, Slot
from domain.case_history import AuditEntry
from domain.clinic import ClinicDate
from domain.deadline_rules import Kind, Owner
from domain.deadlines import Deadline, Extension
from domain.directions import Direction
from domain.disputes import Dispute, DisputeState, Settlement
from domain.outcome_terms import MeetingKind, OutcomeDecision
from domain.outcomes import ACTIONS_MAX, Outcome, OutcomeAction, OutcomeVersion
from domain.profiles import Working
from domain.roles import ROLE_TITLES
from domain.transfer_machine import Event, State
from domain.transfer_record import (
    Allocation,
    Decisions,
    Decline,
    DisputeNote,
    ExternalReferral,
    InformationAdded,
    InformationAsked,
    LastDecision,
    OutcomeNote,
    PreviousWorker,
    Transfer,
)
from domain.transfers import TransferDetails
from domain.weekly_digest import Digest, DueItem
from domain.working_days import WorkingCalendar

LONG = "W" * 400
MANY_CAPABILITIES = [
    Capability(f"command {i} {LONG[:40]}", f"Title {i}", LONG[:200], f"area.verb_{i}") for i in range(12)
]
ALL_ROLES = list(ROLE_TITLES.values())

CAL = WorkingCalendar.from_profile(Working())
DAY = date(2026, 12, 10)
START = datetime(2026, 12, 10, 9, 30, tzinfo=UTC)
SLOTS = [
    Slot(i + 1, DAY, i, START + timedelta(minutes=30 * i), START + timedelta(minutes=30 * (i + 1)), 20, i)
    for i in range(12)
]
DETAILS = BookingDetails(
    case_reference="WWWWWW-99999999",
    team="W" * TEAM_MAX,
    direction=Direction.STEP_DOWN_UNIVERSAL,
    decision_date=date(2026, 11, 1),
    reason="W" * REASON_MAX,
    manager_agreed=True,
)


def _booking(i: int, status: BookingStatus = BookingStatus.BOOKED) -> Booking:
    return Booking(
        id=i + 1,
        slot_id=i + 1,
        clinic_date=DAY,
        starts_at=SLOTS[i % 12].starts_at,
        ends_at=SLOTS[i % 12].ends_at,
        tenant_id="t",
        worker_object_id="o",
        worker_name="W" * 128,
        case_reference=DETAILS.case_reference,
        team=DETAILS.team,
        direction=DETAILS.direction,
        decision_date=DETAILS.decision_date,
        reason=DETAILS.reason,
        manager_agreed=True,
        status=status,
        version=99,
    )


MOVED_CLINIC = ClinicDate(DAY, DAY, moved=True, reason=LONG[:200])
URL = "https://teams.microsoft.com/l/meetup-join/" + "W" * 300

PROFILES = all_profiles(REPO_ROOT / "profiles")
ROCHDALE = PROFILES["rochdale"]  # the longest lists and checklists
REQUEST = TransferDetails.model_validate(
    {
        "case_reference": "WWWWWW-99999999",
        "child_initials": "WWWWWWWW",
        "children_count": 15,
        "direction": "step_down_early_help",
        "from_team": ROCHDALE.transfers.from_teams[0],
        "to_service": ROCHDALE.transfers.to_services[Direction.STEP_DOWN_EARLY_HELP][0],
        "reason": "W" * 1000,
        "outstanding_needs": "W" * 1000,
        "level_of_need": "",
        "route": "direct",
        "consent": {
            "status": "not_sought_risk",
            "risk_reason": "W" * 500,
            "agreed_by": "W" * 80,
        },
        "manager": {"manager": "W" * 80, "decided_on": "2026-11-01"},
        "checklist": {i.key: False for i in ROCHDALE.transfers.checklist(Direction.STEP_DOWN_EARLY_HELP)},
        "discussed_with": "W" * 80,
        "discussed_on": "2026-11-02",
    }
)
TRANSFER = Transfer(
    id=10**9,
    version=10**6,
    state=State.GAPS_OPEN,
    paused_from=None,
    tenant_id="t",
    requester_object_id="o",
    requester_name="W" * 128,
    details=REQUEST,
    receiving_channel="coordinators",
    wording="W" * 300,
    decision=Decisions(
        allocation=Allocation(team="W" * 80, worker_name="W" * 80, joint_visit_on=DAY),
        decline=Decline(reason="W" * 300, note="W" * 300),
        information_asked=InformationAsked(asked="W" * 1000),
        information_added=InformationAdded(added="W" * 1000),
        previous_worker=PreviousWorker(name="W" * 80, object_id="p"),
        external=ExternalReferral(agency="W" * 80),
        outcome=OutcomeNote(
            decision=OutcomeDecision.DEFERRED,
            meeting_kind=MeetingKind.WEEKLY_MEETING,
            meeting_on=DAY,
            version=10**6,
            corrected=True,
            deferred_to=DAY,
            final_meeting_outside_window=True,
        ),
        dispute=DisputeNote(dispute_id=10**9, open=False, raised_on=DAY, raised_by_name="W" * 80, settlement="changed"),
        last=LastDecision(event=Event.MARK_GAPS, by_name="W" * 80, by_object_id="o"),
    ),
    gaps=tuple(i.key for i in ROCHDALE.transfers.checklist(Direction.STEP_DOWN_EARLY_HELP)),
    last_actor_name="W" * 128,
)
DEAD_LETTER = DeadLetterView(
    id=10**12,
    attempts=99,
    kind="send.conversation",
    target="The " + "W" * 40 + " channel",
    due=LONG[:60],
    died=LONG[:60],
    error=LONG,
    error_class="transient",
    key="k" * 255,
)
FORM_VALUES = {"case_reference": "W" * 32, "reason": "W" * 1000, "outstanding_needs": "W" * 1000}

DEADLINE = Deadline(
    id=10**9,
    version=10**6,
    tenant_id="t",
    transfer_id=10**9,
    case_reference="WWWWWW-99999999",
    rule_key="w" * 40,
    title="W" * 80,
    kind=Kind.LATEST,
    owner=Owner.ALLOCATED_WORKER,
    owner_object_id="o",
    started_at=START,
    due_at=START + timedelta(days=3),
    extension=Extension("W" * 300, "W" * 80, START),
)
DEADLINES = [replace(DEADLINE, id=i, due_at=START + timedelta(days=i)) for i in range(40)]
SETTLE = [CaseButton("W" * 40, "transfer.form", {"record_id": 10**9, "version": 10**6, "event": "accept"})] * 3
ITEMS = tuple(DueItem("WWWWWW-99999999", "W" * 80, START) for _ in range(40))
DIGEST = Digest(
    week_starting=START,
    open_by_team=tuple((f"{'W' * 78}{i:02d}", 999) for i in range(20)),
    due_this_week=ITEMS,
    overdue=ITEMS,
    unnamed=tuple("WWWWWW-99999999" for _ in range(40)),
    median_days=123.5,
    transferred=9999,
    standard_days=28,
)

REDCAR = PROFILES["redcar"]  # the most outcome fields
OUTCOME = Outcome(
    meeting_kind=MeetingKind.CLINIC,
    meeting_on=DAY,
    decision=OutcomeDecision.AGREED,
    reason="W" * 300,
    note="W" * 300,
    deferred_to=DAY,
    missing="W" * 1000,
    agency="W" * 80,
    team="W" * 80,
    lead_practitioner="W" * 80,
    actions=tuple(OutcomeAction(what="W" * 200, owner="W" * 80, due=DAY) for _ in range(ACTIONS_MAX)),
    final_meeting_on=DAY + timedelta(days=30),
    extras={f.key: (f.choices[0] if f.choices else "W" * 1000) for f in REDCAR.outcomes.fields},
)
VERSION = OutcomeVersion(
    transfer_id=10**9,
    version=10**6,
    outcome=OUTCOME,
    correction_reason="W" * 300,
    recorded_by_name="W" * 128,
    recorded_by_object_id="o",
    recorded_at=START,
)
REDCAR_TRANSFER = replace(TRANSFER, details=REQUEST.model_copy(update={"to_service": "Internal Early Help team"}))
DISPUTE = Dispute(
    id=10**9,
    version=10**6,
    transfer_id=10**9,
    state=DisputeState.OPEN,
    decision_event=Event.OUTCOME_NOT_AGREED,
    outcome_version=10**6,
    about="W" * 300,
    raised_by_object_id="o",
    raised_by_name="W" * 128,
    raised_at=START,
)
SETTLED = replace(
    DISPUTE,
    state=DisputeState.SETTLED,
    settlement=Settlement.CHANGED,
    settlement_note="W" * 300,
    settled_by_name="W" * 128,
    settled_at=START,
)

# A case's whole history at its largest: many requests, corrected outcomes, disputes and a long audit trail.
CASE_TRANSFERS = [replace(REDCAR_TRANSFER, id=i + 1) for i in range(30)]
CASE_HISTORY = CaseHistory(
    reference="WWWWWW-99999999",
    transfers=CASE_TRANSFERS,
    outcomes={t.id: [replace(VERSION, transfer_id=t.id, version=v + 1) for v in range(9)] for t in CASE_TRANSFERS},
    disputes=[replace(SETTLED, id=i + 1) for i in range(40)],
    events=[AuditEntry(10**9 - i, START, f"o{i % 7}", "w" * 64, "transfer", "9" * 19) for i in range(600)],
    names={f"o{i}": "W" * 128 for i in range(7)},
    as_of=10**9,
)
