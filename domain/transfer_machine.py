"""The transfer request's life cycle: one table of (state, event, roles) -> state, applied and drawn.

Who may do what, decided from the five procedures (../shared/seeds):

- The requester side asks for the move: a social worker (incl. the Assessment Team) for a step down or
  step across, an early help worker for a step up. Their team manager (or early help team manager)
  agreed it in supervision and may act for them. Transitions marked `requester_side` (submit,
  resubmit, withdraw) also need the actor to be the requester, or to hold a manager role: the domain
  cannot tell whose manager someone is, so the dialog checks the team before it passes the role.
- The receiving side decides: the early help coordinator / practice manager (step downs), the front
  door (step ups: its own three decisions, and accept / decline / ask like the others), and a team
  manager or early help team manager of the receiving team (step across, co-work). They check
  readiness, mark and resolve gaps, accept, decline or ask for information.
- The meeting chair records a meeting's outcome (Dorset, Cheshire East, York): agreed -> accepted,
  not agreed -> declined, deferred -> scheduled again, more information needed -> returned; and puts
  requests on the agenda.
- A head of service may do whatever a manager may (Rochdale escalates unresolved gaps to them).
- The administrator configures the bot and makes no transitions.

Choices the issue left open:

- Readiness gaps block acceptance (Rochdale's non-negotiable standards): nothing accepts from
  `gaps_open`; the gaps are resolved first (back to `submitted`), but a request may still be declined
  or returned while they are open. A deferral from `gaps_open` is no event: the request simply stays there.
- `transferred` is open: the handover and closing tasks happen before `closed`.
- The front door does not complete or close a transfer: it decides and hands over, the receiving team
  holds the case afterwards.
- An Assessment Team social worker may record the joint visit too (York: the joint handover follows
  the assessment's completion).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum

from domain.roles import Role


class State(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SCHEDULED = "scheduled"
    GAPS_OPEN = "gaps_open"
    ACCEPTED = "accepted"
    DECLINED = "declined"
    RETURNED = "returned"
    CO_WORKING = "co_working"
    JOINT_VISIT_DONE = "joint_visit_done"
    TRANSFERRED = "transferred"
    CLOSED = "closed"
    PAUSED = "paused"
    WITHDRAWN = "withdrawn"


class Event(StrEnum):
    SUBMIT = "submit"
    SCHEDULE = "schedule"
    MARK_GAPS = "mark_gaps"
    RESOLVE_GAPS = "resolve_gaps"
    ACCEPT = "accept"
    DECLINE = "decline"
    ASK_FOR_INFORMATION = "ask_for_information"
    RESUBMIT = "resubmit"
    START_CO_WORKING = "start_co_working"
    RECORD_JOINT_VISIT = "record_joint_visit"
    COMPLETE_TRANSFER = "complete_transfer"
    CLOSE = "close"
    WITHDRAW_CONSENT = "withdraw_consent"
    GIVE_CONSENT_AGAIN = "give_consent_again"
    WITHDRAW = "withdraw"
    OUTCOME_AGREED = "outcome_agreed"
    OUTCOME_NOT_AGREED = "outcome_not_agreed"
    OUTCOME_DEFERRED = "outcome_deferred"
    MORE_INFORMATION_NEEDED = "more_information_needed"
    THRESHOLD_MET = "threshold_met"
    ROUTE_TO_EARLY_HELP = "route_to_early_help"
    NO_FURTHER_ACTION = "no_further_action"


STATE_TITLES: dict[State, str] = {
    State.DRAFT: "Draft",
    State.SUBMITTED: "Submitted",
    State.SCHEDULED: "Scheduled for a clinic, meeting or panel",
    State.GAPS_OPEN: "Readiness gaps open",
    State.ACCEPTED: "Accepted and allocated",
    State.DECLINED: "Declined",
    State.RETURNED: "Returned for information",
    State.CO_WORKING: "Co-working",
    State.JOINT_VISIT_DONE: "Joint visit done",
    State.TRANSFERRED: "Transferred",
    State.CLOSED: "Closed",
    State.PAUSED: "Paused (consent withdrawn)",
    State.WITHDRAWN: "Withdrawn",
}

EVENT_TITLES: dict[Event, str] = {
    Event.SUBMIT: "Submit",
    Event.SCHEDULE: "Schedule",
    Event.MARK_GAPS: "Mark readiness gaps",
    Event.RESOLVE_GAPS: "Gaps resolved",
    Event.ACCEPT: "Accept",
    Event.DECLINE: "Decline",
    Event.ASK_FOR_INFORMATION: "Ask for information",
    Event.RESUBMIT: "Resubmit",
    Event.START_CO_WORKING: "Start co-working",
    Event.RECORD_JOINT_VISIT: "Joint visit done",
    Event.COMPLETE_TRANSFER: "Transfer complete",
    Event.CLOSE: "Close",
    Event.WITHDRAW_CONSENT: "Consent withdrawn",
    Event.GIVE_CONSENT_AGAIN: "Consent given again",
    Event.WITHDRAW: "Withdraw",
    Event.OUTCOME_AGREED: "Outcome agreed",
    Event.OUTCOME_NOT_AGREED: "Outcome not agreed",
    Event.OUTCOME_DEFERRED: "Outcome deferred",
    Event.MORE_INFORMATION_NEEDED: "More information needed",
    Event.THRESHOLD_MET: "Threshold met",
    Event.ROUTE_TO_EARLY_HELP: "Route to early help",
    Event.NO_FURTHER_ACTION: "No further action",
}

# Plain words for each role in a refusal; a dialog may swap in the profile's labels (see `role_refusal`).
ROLE_WORDS: dict[Role, str] = {
    Role.SOCIAL_WORKER: "a social worker",
    Role.ASSESSMENT_SOCIAL_WORKER: "an Assessment Team social worker",
    Role.EARLY_HELP_WORKER: "an early help worker",
    Role.COORDINATOR: "an early help coordinator or practice manager",
    Role.FRONT_DOOR: "the front door",
    Role.TEAM_MANAGER: "a team manager",
    Role.EARLY_HELP_TEAM_MANAGER: "an early help team manager",
    Role.MEETING_CHAIR: "the meeting chair",
    Role.HEAD_OF_SERVICE: "a head of service",
    Role.ADMINISTRATOR: "an administrator",
}

FINAL_STATES: frozenset[State] = frozenset({State.DECLINED, State.CLOSED, State.WITHDRAWN})
# A draft is neither: it has not been sent, so nobody else sees it (discarding it is the drafts' business).
OPEN_STATES: frozenset[State] = frozenset(set(State) - FINAL_STATES - {State.DRAFT})
_PAUSABLE = tuple(state for state in State if state in OPEN_STATES and state is not State.PAUSED)

_REQUESTERS = frozenset({Role.SOCIAL_WORKER, Role.ASSESSMENT_SOCIAL_WORKER, Role.EARLY_HELP_WORKER})
# Managers stand in for the requester on the requester's side and for the receiving team on the other.
_MANAGERS = frozenset({Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER, Role.HEAD_OF_SERVICE})
_REQUESTER_SIDE = _REQUESTERS | _MANAGERS
_DECIDERS = frozenset({Role.COORDINATOR, Role.FRONT_DOOR}) | _MANAGERS
_CHAIR = frozenset({Role.MEETING_CHAIR})
_FRONT_DOOR = frozenset({Role.FRONT_DOOR})
_HOLDERS = frozenset({Role.COORDINATOR}) | _MANAGERS
_EITHER_SIDE = _REQUESTER_SIDE | _DECIDERS
_ANYONE_ON_THE_CASE = _EITHER_SIDE | _CHAIR


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State | None  # None only for GIVE_CONSENT_AGAIN: back to the state it was paused from
    roles: frozenset[Role]  # any one of these
    requester_side: bool = False  # the actor must also be the requester or hold a manager role


def _rows(sources: tuple[State, ...], event: Event, target: State | None, roles: frozenset[Role]) -> list[Transition]:
    return [Transition(source, event, target, roles) for source in sources]


_WAITING = (State.SUBMITTED, State.SCHEDULED)
_UNDECIDED = (State.SUBMITTED, State.SCHEDULED, State.GAPS_OPEN)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DRAFT, Event.SUBMIT, State.SUBMITTED, _REQUESTER_SIDE, requester_side=True),
    Transition(State.SUBMITTED, Event.SCHEDULE, State.SCHEDULED, _DECIDERS | _CHAIR),
    *_rows(_WAITING, Event.OUTCOME_DEFERRED, State.SCHEDULED, _CHAIR),
    *_rows(_WAITING, Event.MARK_GAPS, State.GAPS_OPEN, _DECIDERS),
    Transition(State.GAPS_OPEN, Event.RESOLVE_GAPS, State.SUBMITTED, _DECIDERS),
    *_rows(_WAITING, Event.ACCEPT, State.ACCEPTED, _DECIDERS),
    *_rows(_WAITING, Event.THRESHOLD_MET, State.ACCEPTED, _FRONT_DOOR),
    *_rows(_WAITING, Event.OUTCOME_AGREED, State.ACCEPTED, _CHAIR),
    *_rows(_UNDECIDED, Event.DECLINE, State.DECLINED, _DECIDERS),
    *_rows(_UNDECIDED, Event.ROUTE_TO_EARLY_HELP, State.DECLINED, _FRONT_DOOR),
    *_rows(_UNDECIDED, Event.NO_FURTHER_ACTION, State.DECLINED, _FRONT_DOOR),
    *_rows(_UNDECIDED, Event.OUTCOME_NOT_AGREED, State.DECLINED, _CHAIR),
    *_rows(_UNDECIDED, Event.ASK_FOR_INFORMATION, State.RETURNED, _DECIDERS),
    *_rows(_UNDECIDED, Event.MORE_INFORMATION_NEEDED, State.RETURNED, _CHAIR),
    Transition(State.RETURNED, Event.RESUBMIT, State.SUBMITTED, _REQUESTER_SIDE, requester_side=True),
    Transition(State.ACCEPTED, Event.START_CO_WORKING, State.CO_WORKING, _EITHER_SIDE),
    *_rows((State.ACCEPTED, State.CO_WORKING), Event.RECORD_JOINT_VISIT, State.JOINT_VISIT_DONE, _EITHER_SIDE),
    Transition(State.JOINT_VISIT_DONE, Event.COMPLETE_TRANSFER, State.TRANSFERRED, _HOLDERS),
    Transition(State.TRANSFERRED, Event.CLOSE, State.CLOSED, _HOLDERS),
    *_rows(_PAUSABLE, Event.WITHDRAW_CONSENT, State.PAUSED, _ANYONE_ON_THE_CASE),
    Transition(State.PAUSED, Event.GIVE_CONSENT_AGAIN, None, _ANYONE_ON_THE_CASE),
    *(
        Transition(source, Event.WITHDRAW, State.WITHDRAWN, _REQUESTER_SIDE, requester_side=True)
        for source in State
        if source in OPEN_STATES
    ),
)

_BY_KEY: dict[tuple[State, Event], Transition] = {(t.source, t.event): t for t in TRANSITIONS}


@dataclass(frozen=True)
class Move:
    source: State
    event: Event
    target: State
    paused_from: State | None  # set when target is PAUSED: the state to resume


class IllegalTransition(Exception):
    """A refused event, with a sentence for the card saying why.

    `needed_roles` is empty when the state was wrong, else the roles that may make the move (so a dialog
    can say it again with the profile's labels through `role_refusal`).
    """

    def __init__(
        self,
        reason: str,
        *,
        state: State,
        event: Event,
        needed_roles: frozenset[Role] = frozenset(),
        requester_side: bool = False,
    ) -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state
        self.event = event
        self.needed_roles = needed_roles
        self.requester_side = requester_side


# "A declined request can't be accepted."
_AS_SUBJECT: dict[State, str] = {
    State.DRAFT: "A draft request",
    State.SUBMITTED: "A submitted request",
    State.SCHEDULED: "A scheduled request",
    State.GAPS_OPEN: "A request with readiness gaps open",
    State.ACCEPTED: "An accepted request",
    State.DECLINED: "A declined request",
    State.RETURNED: "A request returned for information",
    State.CO_WORKING: "A request in co-working",
    State.JOINT_VISIT_DONE: "A request whose joint visit is done",
    State.TRANSFERRED: "A transferred request",
    State.CLOSED: "A closed request",
    State.PAUSED: "A request paused for consent",
    State.WITHDRAWN: "A withdrawn request",
}

# What a request can't undergo ("can't be accepted"), then what a person can't do ("can accept a request").
_PHRASES: dict[Event, tuple[str, str]] = {
    Event.SUBMIT: ("be submitted", "submit a request"),
    Event.SCHEDULE: ("be scheduled", "schedule a request"),
    Event.MARK_GAPS: ("have readiness gaps marked", "mark readiness gaps"),
    Event.RESOLVE_GAPS: ("have readiness gaps resolved", "mark readiness gaps resolved"),
    Event.ACCEPT: ("be accepted", "accept a request"),
    Event.DECLINE: ("be declined", "decline a request"),
    Event.ASK_FOR_INFORMATION: ("be returned for information", "ask for more information"),
    Event.RESUBMIT: ("be resubmitted", "resubmit a request"),
    Event.START_CO_WORKING: ("start co-working", "start co-working"),
    Event.RECORD_JOINT_VISIT: ("have a joint visit recorded", "record the joint visit"),
    Event.COMPLETE_TRANSFER: ("be marked transferred", "complete a transfer"),
    Event.CLOSE: ("be closed", "close a request"),
    Event.WITHDRAW_CONSENT: ("be paused for consent", "record that consent was withdrawn"),
    Event.GIVE_CONSENT_AGAIN: ("be resumed", "record that consent was given again"),
    Event.WITHDRAW: ("be withdrawn", "withdraw a request"),
    Event.OUTCOME_AGREED: ("be recorded as agreed", "record a meeting's outcome"),
    Event.OUTCOME_NOT_AGREED: ("be recorded as not agreed", "record a meeting's outcome"),
    Event.OUTCOME_DEFERRED: ("be deferred", "record a meeting's outcome"),
    Event.MORE_INFORMATION_NEEDED: ("be sent back for more information", "record a meeting's outcome"),
    Event.THRESHOLD_MET: ("be accepted for social care", "decide that the threshold is met"),
    Event.ROUTE_TO_EARLY_HELP: ("be routed to early help", "route a request to early help"),
    Event.NO_FURTHER_ACTION: ("be closed with no further action", "decide no further action"),
}

_ACCEPTING = frozenset({Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED})


def _either(words: list[str]) -> str:
    return words[0] if len(words) == 1 else ", ".join(words[:-1]) + " or " + words[-1]


def state_refusal(state: State, event: Event) -> str:
    """Why `event` can't happen in `state`, as a sentence."""
    sentence = f"{_AS_SUBJECT[state]} can't {_PHRASES[event][0]}"
    if state is State.PAUSED and event is not Event.WITHDRAW:
        return sentence + " until consent is given again."
    if state is State.GAPS_OPEN and event in _ACCEPTING:
        return sentence + " until its readiness gaps are resolved."
    return sentence + "."


def role_refusal(
    event: Event,
    needed_roles: frozenset[Role],
    *,
    requester_side: bool = False,
    words: Mapping[Role, str] = ROLE_WORDS,
) -> str:
    """Who may make `event`, as a sentence; `words` may carry the profile's labels instead of plain ones."""
    doing = _PHRASES[event][1]
    if requester_side:
        askers = _either([words[role] for role in Role if role in needed_roles - _MANAGERS])
        managers = _either([words[role] for role in Role if role in needed_roles & _MANAGERS])
        return f"Only the requester ({askers}) or their manager ({managers}) can {doing}."
    return f"Only {_either([words[role] for role in Role if role in needed_roles])} can {doing}."


def _permits(transition: Transition, roles: frozenset[Role], is_requester: bool) -> bool:
    if not roles & transition.roles:
        return False
    return not transition.requester_side or is_requester or bool(roles & _MANAGERS)


def apply(
    state: State, event: Event, *, roles: frozenset[Role], is_requester: bool, paused_from: State | None = None
) -> Move:
    """The move `event` makes from `state` for someone holding `roles`, or IllegalTransition saying why not.

    `paused_from` is the stored state to resume when `state` is PAUSED (ignored otherwise); a missing or
    impossible one there is a programming error (ValueError), not a refusal.
    """
    transition = _BY_KEY.get((state, event))
    if transition is None:
        raise IllegalTransition(state_refusal(state, event), state=state, event=event)
    if not _permits(transition, roles, is_requester):
        raise IllegalTransition(
            role_refusal(event, transition.roles, requester_side=transition.requester_side),
            state=state,
            event=event,
            needed_roles=transition.roles,
            requester_side=transition.requester_side,
        )
    if transition.target is None:
        if paused_from not in _PAUSABLE:
            raise ValueError(f"a paused request resumes to one of {[s.value for s in _PAUSABLE]}, not {paused_from!r}")
        return Move(state, event, paused_from, None)
    return Move(state, event, transition.target, state if transition.target is State.PAUSED else None)


def allowed_events(state: State, *, roles: frozenset[Role], is_requester: bool) -> list[Event]:
    """The events someone holding `roles` may raise in `state`, in the table's order (the card's buttons)."""
    return [t.event for t in TRANSITIONS if t.source is state and _permits(t, roles, is_requester)]


def _label(event: Event) -> str:
    title = EVENT_TITLES[event]
    return title[:1].lower() + title[1:]


def mermaid() -> str:
    """The table as a Mermaid stateDiagram-v2, for the README (a test keeps the two the same)."""
    edges: dict[tuple[State, State], list[Event]] = {}
    for transition in TRANSITIONS:
        targets = _PAUSABLE if transition.target is None else (transition.target,)
        for target in targets:
            edges.setdefault((transition.source, target), []).append(transition.event)
    lines = ["stateDiagram-v2"]
    lines += [f"    {state.value} : {STATE_TITLES[state]}" for state in State]
    lines.append(f"    [*] --> {State.DRAFT.value}")
    lines += [
        f"    {source.value} --> {target.value} : {' / '.join(_label(event) for event in events)}"
        for (source, target), events in edges.items()
    ]
    lines += [f"    {state.value} --> [*]" for state in State if state in FINAL_STATES]
    return "\n".join(lines) + "\n"
