"""The transfer life cycle: every state and event against the table, pausing for consent, and the drawing.

Who may raise each event is the event table's (tests/domain/test_transfer_access.py).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.transfer_machine import (
    EVENT_DONE,
    EVENT_TITLES,
    FINAL_STATES,
    OPEN_STATES,
    STATE_TITLES,
    TRANSITIONS,
    Event,
    IllegalTransition,
    Move,
    State,
    Transition,
    apply,
    events_from,
    mermaid,
)

PAUSABLE = [state for state in State if state in OPEN_STATES and state is not State.PAUSED]
README = Path(__file__).resolve().parents[2] / "README.md"


def row(state: State, event: Event) -> Transition | None:
    rows = [t for t in TRANSITIONS if t.source is state and t.event is event]
    assert len(rows) <= 1, f"two rows for {state} + {event}"
    return rows[0] if rows else None


def the_row(state: State, event: Event) -> Transition:
    transition = row(state, event)
    assert transition is not None, f"no row for {state} + {event}"
    return transition


def refusal(state: State, event: Event) -> IllegalTransition:
    with pytest.raises(IllegalTransition) as caught:
        apply(state, event, paused_from=State.SUBMITTED)
    return caught.value


# The table says what the issue says

EXPECTED_MOVES = {
    (State.DRAFT, Event.SUBMIT, State.SUBMITTED),
    (State.SUBMITTED, Event.SCHEDULE, State.SCHEDULED),
    (State.SUBMITTED, Event.OUTCOME_DEFERRED, State.SCHEDULED),
    (State.SCHEDULED, Event.OUTCOME_DEFERRED, State.SCHEDULED),
    (State.SUBMITTED, Event.MARK_GAPS, State.GAPS_OPEN),
    (State.SCHEDULED, Event.MARK_GAPS, State.GAPS_OPEN),
    (State.GAPS_OPEN, Event.RESOLVE_GAPS, State.SUBMITTED),
    *(
        (source, event, State.ACCEPTED)
        for source in (State.SUBMITTED, State.SCHEDULED)
        for event in (Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED)
    ),
    *(
        (source, event, State.DECLINED)
        for source in (State.SUBMITTED, State.SCHEDULED, State.GAPS_OPEN)
        for event in (Event.DECLINE, Event.ROUTE_TO_EARLY_HELP, Event.NO_FURTHER_ACTION, Event.OUTCOME_NOT_AGREED)
    ),
    *(
        (source, event, State.RETURNED)
        for source in (State.SUBMITTED, State.SCHEDULED, State.GAPS_OPEN)
        for event in (Event.ASK_FOR_INFORMATION, Event.MORE_INFORMATION_NEEDED)
    ),
    (State.RETURNED, Event.RESUBMIT, State.SUBMITTED),
    (State.ACCEPTED, Event.START_CO_WORKING, State.CO_WORKING),
    (State.ACCEPTED, Event.RECORD_JOINT_VISIT, State.JOINT_VISIT_DONE),
    (State.CO_WORKING, Event.RECORD_JOINT_VISIT, State.JOINT_VISIT_DONE),
    (State.JOINT_VISIT_DONE, Event.COMPLETE_TRANSFER, State.TRANSFERRED),
    (State.TRANSFERRED, Event.CLOSE, State.CLOSED),
    *((source, Event.WITHDRAW_CONSENT, State.PAUSED) for source in PAUSABLE),
    (State.PAUSED, Event.GIVE_CONSENT_AGAIN, None),
    *((source, Event.WITHDRAW, State.WITHDRAWN) for source in OPEN_STATES),
    # Facts a clock hangs on are recorded where the request stands; Dorset's joint visit not possible too.
    *((source, Event.RECORD_WHAT_HAPPENED, source) for source in PAUSABLE),
    (State.ACCEPTED, Event.JOINT_VISIT_NOT_POSSIBLE, State.ACCEPTED),
    (State.CO_WORKING, Event.JOINT_VISIT_NOT_POSSIBLE, State.CO_WORKING),
    # Meeting outcomes (issue 11): the external pathway closes a waiting request; a practitioner "to be named"
    # is named later wherever the accepted request stands.
    *((source, Event.REFER_EXTERNALLY, State.REFERRED_EXTERNALLY) for source in (State.SUBMITTED, State.SCHEDULED)),
    *(
        (source, Event.NAME_WORKER, source)
        for source in (State.ACCEPTED, State.CO_WORKING, State.JOINT_VISIT_DONE, State.TRANSFERRED)
    ),
    # Each authority's decision route (issue 11): an authorisation before acceptance (Redcar's MACH manager,
    # Cheshire East's meeting on a step up) is recorded where the waiting request stands.
    *((source, Event.AUTHORISE, source) for source in (State.SUBMITTED, State.SCHEDULED)),
}


def test_the_table_holds_exactly_the_moves_the_issue_describes() -> None:
    assert {(t.source, t.event, t.target) for t in TRANSITIONS} == EXPECTED_MOVES


def test_no_state_has_two_rows_for_one_event() -> None:
    keys = [(t.source, t.event) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_declined_withdrawn_closed_and_referred_externally_are_final_and_transferred_is_still_open() -> None:
    assert frozenset({State.DECLINED, State.WITHDRAWN, State.CLOSED, State.REFERRED_EXTERNALLY}) == FINAL_STATES
    assert State.TRANSFERRED in OPEN_STATES
    assert State.PAUSED in OPEN_STATES
    assert State.DRAFT not in OPEN_STATES | FINAL_STATES
    assert not OPEN_STATES & FINAL_STATES


def test_every_state_and_event_has_words_for_a_card() -> None:
    assert set(STATE_TITLES) == set(State)
    assert set(EVENT_TITLES) == set(Event)
    assert set(EVENT_DONE) == set(Event), "every event has the words a notice's title uses for it"
    assert STATE_TITLES[State.GAPS_OPEN] == "Readiness gaps open"
    assert STATE_TITLES[State.ACCEPTED] == "Accepted and allocated"
    assert all(title.strip() for title in [*STATE_TITLES.values(), *EVENT_TITLES.values()])


@pytest.mark.parametrize("state", list(State))
@pytest.mark.parametrize("event", list(Event))
def test_every_event_in_every_state_moves_as_the_table_says_or_says_why_not(state: State, event: Event) -> None:
    transition = row(state, event)
    if transition is None:
        reason = refusal(state, event).reason
        assert reason.endswith(".") and "can't" in reason
        assert event not in events_from(state)
        return
    move = apply(state, event, paused_from=State.SUBMITTED)
    assert move.target is (transition.target or State.SUBMITTED)
    assert event in events_from(state)


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_a_final_state_allows_nothing(state: State) -> None:
    assert events_from(state) == []


def test_a_declined_request_cant_be_accepted() -> None:
    assert refusal(State.DECLINED, Event.ACCEPT).reason == "A declined request can't be accepted."


def test_a_draft_cant_be_withdrawn_or_paused() -> None:
    assert "can't" in refusal(State.DRAFT, Event.WITHDRAW).reason
    assert "can't" in refusal(State.DRAFT, Event.WITHDRAW_CONSENT).reason


@pytest.mark.parametrize("event", [Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED])
def test_open_readiness_gaps_block_acceptance_until_they_are_resolved(event: Event) -> None:
    assert refusal(State.GAPS_OPEN, event).reason.endswith("until its readiness gaps are resolved.")
    assert apply(State.GAPS_OPEN, Event.RESOLVE_GAPS).target is State.SUBMITTED


def test_a_request_with_gaps_open_can_still_be_declined_or_returned() -> None:
    assert apply(State.GAPS_OPEN, Event.DECLINE).target is State.DECLINED
    assert apply(State.GAPS_OPEN, Event.ASK_FOR_INFORMATION).target is State.RETURNED


# Pausing for consent and resuming where it stopped


@pytest.mark.parametrize("state", PAUSABLE)
def test_giving_consent_again_resumes_the_step_consent_was_withdrawn_at(state: State) -> None:
    paused = apply(state, Event.WITHDRAW_CONSENT)
    assert paused == Move(state, Event.WITHDRAW_CONSENT, State.PAUSED, paused_from=state)
    resumed = apply(State.PAUSED, Event.GIVE_CONSENT_AGAIN, paused_from=state)
    assert resumed == Move(State.PAUSED, Event.GIVE_CONSENT_AGAIN, state, paused_from=None)


def test_a_paused_request_says_it_waits_for_consent() -> None:
    refused = refusal(State.PAUSED, Event.ACCEPT)
    assert refused.reason == "A request paused for consent can't be accepted until consent is given again."


def test_a_paused_request_cant_be_paused_again() -> None:
    assert "can't" in refusal(State.PAUSED, Event.WITHDRAW_CONSENT).reason


@pytest.mark.parametrize("paused_from", [None, State.DRAFT, State.PAUSED, State.CLOSED])
def test_resuming_without_a_state_to_resume_is_a_programming_error(paused_from: State | None) -> None:
    with pytest.raises(ValueError, match="resumes to one of"):
        apply(State.PAUSED, Event.GIVE_CONSENT_AGAIN, paused_from=paused_from)


@settings(max_examples=300)
@given(st.data())
def test_any_walk_of_legal_moves_stays_in_the_machine_and_resumes_where_it_paused(data: st.DataObject) -> None:
    state, paused_from = State.DRAFT, None
    for _ in range(data.draw(st.integers(min_value=1, max_value=40), label="steps")):
        events = events_from(state)
        if not events:
            break
        event = data.draw(st.sampled_from(events), label="event")
        move = apply(state, event, paused_from=paused_from)
        assert move.source is state and move.event is event
        assert move.target in State
        if move.target is State.PAUSED:
            assert move.paused_from is state
        else:
            assert move.paused_from is None
        if event is Event.GIVE_CONSENT_AGAIN:
            assert move.target is paused_from
        state, paused_from = move.target, move.paused_from
        assert (paused_from is not None) == (state is State.PAUSED)
        if state in FINAL_STATES:
            assert events_from(state) == []
            break


# The drawing


def test_the_diagram_is_a_mermaid_state_diagram_starting_at_draft() -> None:
    lines = mermaid().splitlines()
    assert lines[0] == "stateDiagram-v2"
    assert "    [*] --> draft" in lines
    for state in FINAL_STATES:
        assert f"    {state.value} --> [*]" in lines
    assert mermaid() == mermaid()


def label(event: Event) -> str:
    title = EVENT_TITLES[event]
    return title[:1].lower() + title[1:]


def test_the_diagram_draws_every_transition_with_its_event_title() -> None:
    edges: dict[tuple[str, str], list[str]] = {}
    for line in mermaid().splitlines():
        found = re.fullmatch(r"    (\w+) --> (\w+) : (.+)", line)
        if found:
            edges[(found[1], found[2])] = found[3].split(" / ")
    for t in TRANSITIONS:
        targets = PAUSABLE if t.target is None else [t.target]
        for target in targets:
            assert label(t.event) in edges.get((t.source.value, target.value), []), f"{t} is not drawn"
    drawn = sum(len(events) for events in edges.values())
    assert drawn == sum(len(PAUSABLE) if t.target is None else 1 for t in TRANSITIONS)


def test_the_diagram_merges_events_that_share_a_source_and_target() -> None:
    assert "    submitted --> accepted : accept / threshold met / outcome agreed" in mermaid().splitlines()
    assert "    paused --> co_working : consent given again" in mermaid().splitlines()


def test_the_diagram_names_every_state_in_card_words() -> None:
    for state in State:
        assert f"    {state.value} : {STATE_TITLES[state]}" in mermaid().splitlines()


# README: the diagram there must be the one generated from the table. The README is edited by hand,
# so this test reads the block between the markers and fails (with how to regenerate it) when it drifts.

START_MARKER = "<!-- transfer-machine:start -->"
END_MARKER = "<!-- transfer-machine:end -->"
REGENERATE = (
    f'put the output of\n    python -c "from domain.transfer_machine import mermaid; print(mermaid())"\n'
    f"in README.md as a ```mermaid block between {START_MARKER} and {END_MARKER}"
)


def test_the_readme_shows_the_diagram_generated_from_the_table() -> None:
    text = README.read_text(encoding="utf-8")
    if START_MARKER not in text or END_MARKER not in text:
        pytest.fail(f"README.md has no transfer machine diagram: {REGENERATE}")
    block = text.split(START_MARKER, 1)[1].split(END_MARKER, 1)[0].strip("\n") + "\n"
    # print() adds a blank line after the diagram's own last newline: a pasted one is forgiven.
    block = re.sub(r"\n+```\n$", "\n```\n", block)
    assert block == "```mermaid\n" + mermaid() + "```\n", f"README.md's diagram differs from the table: {REGENERATE}"
