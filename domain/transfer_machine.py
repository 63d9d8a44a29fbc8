"""The transfer request's life cycle: one table of (state, event) -> state, applied and drawn.

Who may raise each event, and what it means beyond the move, is the event table's business
(domain/transfer_events.py); this table only says which moves exist. Choices the procedures left open:

- Readiness gaps block acceptance (Rochdale's non-negotiable standards): nothing accepts from
  `gaps_open`; the gaps are resolved first (back to `submitted`), but a request may still be declined
  or returned while they are open. A deferral from `gaps_open` is no event: the request simply stays there.
- `transferred` is open: the handover and closing tasks happen before `closed`.
- Consent withdrawn pauses a request at its step; consent given again resumes it at the same step.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


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
    REFERRED_EXTERNALLY = "referred_externally"


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
    RECORD_WHAT_HAPPENED = "record_what_happened"
    JOINT_VISIT_NOT_POSSIBLE = "joint_visit_not_possible"
    REFER_EXTERNALLY = "refer_externally"
    NAME_WORKER = "name_worker"
    AUTHORISE = "authorise"


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
    State.REFERRED_EXTERNALLY: "Referred to an external agency",
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
    Event.RECORD_WHAT_HAPPENED: "Record what happened",
    Event.JOINT_VISIT_NOT_POSSIBLE: "Joint visit not possible",
    Event.REFER_EXTERNALLY: "Referred externally",
    Event.NAME_WORKER: "Name the worker",
    Event.AUTHORISE: "Authorise",
}
# What happened, for a notice's title ("Accepted: DEMO-0004"): EVENT_TITLES are the buttons' words.
EVENT_DONE: dict[Event, str] = {
    Event.SUBMIT: "Sent",
    Event.SCHEDULE: "Scheduled",
    Event.MARK_GAPS: "Readiness gaps marked",
    Event.RESOLVE_GAPS: "Gaps resolved",
    Event.ACCEPT: "Accepted",
    Event.DECLINE: "Declined",
    Event.ASK_FOR_INFORMATION: "Information asked for",
    Event.RESUBMIT: "Resubmitted",
    Event.START_CO_WORKING: "Co-working started",
    Event.RECORD_JOINT_VISIT: "Joint visit done",
    Event.COMPLETE_TRANSFER: "Transfer complete",
    Event.CLOSE: "Closed",
    Event.WITHDRAW_CONSENT: "Paused: consent withdrawn",
    Event.GIVE_CONSENT_AGAIN: "Resumed: consent given again",
    Event.WITHDRAW: "Withdrawn",
    Event.OUTCOME_AGREED: "Agreed at the meeting",
    Event.OUTCOME_NOT_AGREED: "Not agreed at the meeting",
    Event.OUTCOME_DEFERRED: "Deferred by the meeting",
    Event.MORE_INFORMATION_NEEDED: "More information needed",
    Event.THRESHOLD_MET: "Threshold met",
    Event.ROUTE_TO_EARLY_HELP: "Routed to early help",
    Event.NO_FURTHER_ACTION: "No further action",
    Event.RECORD_WHAT_HAPPENED: "Recorded",
    Event.JOINT_VISIT_NOT_POSSIBLE: "Joint visit not possible",
    Event.REFER_EXTERNALLY: "Referred externally",
    Event.NAME_WORKER: "Worker named",
    Event.AUTHORISE: "Authorised",
}

FINAL_STATES: frozenset[State] = frozenset({State.DECLINED, State.CLOSED, State.WITHDRAWN, State.REFERRED_EXTERNALLY})
# A draft is neither: it has not been sent, so nobody else sees it (discarding it is the drafts' business).
OPEN_STATES: frozenset[State] = frozenset(set(State) - FINAL_STATES - {State.DRAFT})
PAUSABLE = tuple(state for state in State if state in OPEN_STATES and state is not State.PAUSED)


@dataclass(frozen=True)
class Transition:
    source: State
    event: Event
    target: State | None  # None only for GIVE_CONSENT_AGAIN: back to the state it was paused from


def _rows(sources: tuple[State, ...], event: Event, target: State | None) -> list[Transition]:
    return [Transition(source, event, target) for source in sources]


_WAITING = (State.SUBMITTED, State.SCHEDULED)
_UNDECIDED = (State.SUBMITTED, State.SCHEDULED, State.GAPS_OPEN)
_HELD = (State.ACCEPTED, State.CO_WORKING, State.JOINT_VISIT_DONE, State.TRANSFERRED)

TRANSITIONS: tuple[Transition, ...] = (
    Transition(State.DRAFT, Event.SUBMIT, State.SUBMITTED),
    Transition(State.SUBMITTED, Event.SCHEDULE, State.SCHEDULED),
    *_rows(_WAITING, Event.OUTCOME_DEFERRED, State.SCHEDULED),
    *_rows(_WAITING, Event.MARK_GAPS, State.GAPS_OPEN),
    Transition(State.GAPS_OPEN, Event.RESOLVE_GAPS, State.SUBMITTED),
    *_rows(_WAITING, Event.ACCEPT, State.ACCEPTED),
    *_rows(_WAITING, Event.THRESHOLD_MET, State.ACCEPTED),
    *_rows(_WAITING, Event.OUTCOME_AGREED, State.ACCEPTED),
    *_rows(_UNDECIDED, Event.DECLINE, State.DECLINED),
    *_rows(_UNDECIDED, Event.ROUTE_TO_EARLY_HELP, State.DECLINED),
    *_rows(_UNDECIDED, Event.NO_FURTHER_ACTION, State.DECLINED),
    *_rows(_UNDECIDED, Event.OUTCOME_NOT_AGREED, State.DECLINED),
    # Redcar: the clinic chose an external agency's pathway; the social worker uses that service's own form.
    *_rows(_WAITING, Event.REFER_EXTERNALLY, State.REFERRED_EXTERNALLY),
    *_rows(_UNDECIDED, Event.ASK_FOR_INFORMATION, State.RETURNED),
    *_rows(_UNDECIDED, Event.MORE_INFORMATION_NEEDED, State.RETURNED),
    Transition(State.RETURNED, Event.RESUBMIT, State.SUBMITTED),
    Transition(State.ACCEPTED, Event.START_CO_WORKING, State.CO_WORKING),
    *_rows((State.ACCEPTED, State.CO_WORKING), Event.RECORD_JOINT_VISIT, State.JOINT_VISIT_DONE),
    Transition(State.JOINT_VISIT_DONE, Event.COMPLETE_TRANSFER, State.TRANSFERRED),
    Transition(State.TRANSFERRED, Event.CLOSE, State.CLOSED),
    *_rows(PAUSABLE, Event.WITHDRAW_CONSENT, State.PAUSED),
    Transition(State.PAUSED, Event.GIVE_CONSENT_AGAIN, None),
    *(Transition(source, Event.WITHDRAW, State.WITHDRAWN) for source in State if source in OPEN_STATES),
    # Facts a clock hangs on (an assessment completed, a meeting held), recorded where the request stands.
    *(Transition(source, Event.RECORD_WHAT_HAPPENED, source) for source in PAUSABLE),
    *(Transition(s, Event.JOINT_VISIT_NOT_POSSIBLE, s) for s in (State.ACCEPTED, State.CO_WORKING)),
    # Accepted "worker to be named": the named practitioner is recorded later, where the request stands.
    *(Transition(s, Event.NAME_WORKER, s) for s in _HELD),
    # Where the route asks for it (Redcar's MACH manager, Cheshire East's meeting on a step up), an authorisation
    # before anyone accepts: recorded where the request stands.
    *(Transition(s, Event.AUTHORISE, s) for s in _WAITING),
)

_BY_KEY: dict[tuple[State, Event], Transition] = {(t.source, t.event): t for t in TRANSITIONS}


@dataclass(frozen=True)
class Move:
    source: State
    event: Event
    target: State
    paused_from: State | None  # set when target is PAUSED: the state to resume


class IllegalTransition(Exception):
    """An event the state does not allow, with a sentence for the card saying why."""

    def __init__(self, reason: str, *, state: State, event: Event) -> None:
        super().__init__(reason)
        self.reason = reason
        self.state = state
        self.event = event


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
    State.REFERRED_EXTERNALLY: "A request referred to an external agency",
}

# What a request can't undergo ("can't be accepted"), then what a person can't do ("can accept a request").
PHRASES: dict[Event, tuple[str, str]] = {
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
    Event.RECORD_WHAT_HAPPENED: ("have what happened recorded", "record what happened on the case"),
    Event.JOINT_VISIT_NOT_POSSIBLE: (
        "have the joint visit recorded as not possible",
        "record that the joint visit is not possible in time",
    ),
    Event.REFER_EXTERNALLY: ("be referred to an external agency", "record a meeting's outcome"),
    Event.NAME_WORKER: ("have its worker named", "name the worker"),
    Event.AUTHORISE: ("be authorised", "authorise a request"),
}

_ACCEPTING = frozenset({Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED})


def state_refusal(state: State, event: Event) -> str:
    """Why `event` can't happen in `state`, as a sentence."""
    sentence = f"{_AS_SUBJECT[state]} can't {PHRASES[event][0]}"
    if state is State.PAUSED and event is not Event.WITHDRAW:
        return sentence + " until consent is given again."
    if state is State.GAPS_OPEN and event in _ACCEPTING:
        return sentence + " until its readiness gaps are resolved."
    return sentence + "."


def apply(state: State, event: Event, *, paused_from: State | None = None) -> Move:
    """The move `event` makes from `state`, or IllegalTransition saying why not.

    `paused_from` is the stored state to resume when `state` is PAUSED (ignored otherwise); a missing or
    impossible one there is a programming error (ValueError), not a refusal.
    """
    transition = _BY_KEY.get((state, event))
    if transition is None:
        raise IllegalTransition(state_refusal(state, event), state=state, event=event)
    if transition.target is None:
        if paused_from not in PAUSABLE:
            raise ValueError(f"a paused request resumes to one of {[s.value for s in PAUSABLE]}, not {paused_from!r}")
        return Move(state, event, paused_from, None)
    return Move(state, event, transition.target, state if transition.target is State.PAUSED else None)


def events_from(state: State) -> list[Event]:
    """The events the table allows in `state`, in its order."""
    return [t.event for t in TRANSITIONS if t.source is state]


def _label(event: Event) -> str:
    title = EVENT_TITLES[event]
    return title[:1].lower() + title[1:]


def mermaid() -> str:
    """The table as a Mermaid stateDiagram-v2, for the README (a test keeps the two the same)."""
    edges: dict[tuple[State, State], list[Event]] = {}
    for transition in TRANSITIONS:
        targets = PAUSABLE if transition.target is None else (transition.target,)
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
