"""The transfer life cycle: every state, event and role against the table, pausing for consent, and the drawing."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from domain.roles import Role
from domain.transfer_machine import (
    EVENT_TITLES,
    FINAL_STATES,
    OPEN_STATES,
    ROLE_WORDS,
    STATE_TITLES,
    TRANSITIONS,
    Event,
    IllegalTransition,
    Move,
    State,
    Transition,
    allowed_events,
    apply,
    mermaid,
    role_refusal,
)

MANAGERS = frozenset({Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER, Role.HEAD_OF_SERVICE})
PAUSABLE = [state for state in State if state in OPEN_STATES and state is not State.PAUSED]
README = Path(__file__).resolve().parents[2] / "README.md"


def only(role: Role) -> frozenset[Role]:
    return frozenset({role})


def row(state: State, event: Event) -> Transition | None:
    rows = [t for t in TRANSITIONS if t.source is state and t.event is event]
    assert len(rows) <= 1, f"two rows for {state} + {event}"
    return rows[0] if rows else None


def the_row(state: State, event: Event) -> Transition:
    transition = row(state, event)
    assert transition is not None, f"no row for {state} + {event}"
    return transition


def refusal(state: State, event: Event, roles: frozenset[Role], *, is_requester: bool = False) -> IllegalTransition:
    with pytest.raises(IllegalTransition) as caught:
        apply(state, event, roles=roles, is_requester=is_requester, paused_from=State.SUBMITTED)
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
}


def test_the_table_holds_exactly_the_moves_the_issue_describes() -> None:
    assert {(t.source, t.event, t.target) for t in TRANSITIONS} == EXPECTED_MOVES


def test_no_state_has_two_rows_for_one_event() -> None:
    keys = [(t.source, t.event) for t in TRANSITIONS]
    assert len(keys) == len(set(keys))


def test_declined_withdrawn_and_closed_are_final_and_transferred_is_still_open() -> None:
    assert frozenset({State.DECLINED, State.WITHDRAWN, State.CLOSED}) == FINAL_STATES
    assert State.TRANSFERRED in OPEN_STATES
    assert State.PAUSED in OPEN_STATES
    assert State.DRAFT not in OPEN_STATES | FINAL_STATES
    assert not OPEN_STATES & FINAL_STATES


def test_every_state_and_event_has_words_for_a_card() -> None:
    assert set(STATE_TITLES) == set(State)
    assert set(EVENT_TITLES) == set(Event)
    assert STATE_TITLES[State.GAPS_OPEN] == "Readiness gaps open"
    assert STATE_TITLES[State.ACCEPTED] == "Accepted and allocated"
    assert all(title.strip() for title in [*STATE_TITLES.values(), *EVENT_TITLES.values()])


def test_every_role_has_plain_words_and_the_administrator_moves_nothing() -> None:
    assert set(ROLE_WORDS) == set(Role)
    assert all(Role.ADMINISTRATOR not in t.roles for t in TRANSITIONS)


# Every state x event x role x requester, against the table


def expected(state: State, event: Event, role: Role, is_requester: bool) -> State | str:
    """What the table says should happen: the target, or which kind of refusal."""
    transition = row(state, event)
    if transition is None:
        return "wrong state"
    if role not in transition.roles:
        return "wrong role"
    if transition.requester_side and not is_requester and role not in MANAGERS:
        return "wrong role"
    return State.SUBMITTED if transition.target is None else transition.target


@pytest.mark.parametrize("state", list(State))
def test_every_event_by_every_single_role_agrees_with_the_table(state: State) -> None:
    mismatches = []
    for event in Event:
        for role in Role:
            for is_requester in (True, False):
                want = expected(state, event, role, is_requester)
                case = f"{state} + {event} by {role} (requester: {is_requester})"
                try:
                    move = apply(state, event, roles=only(role), is_requester=is_requester, paused_from=State.SUBMITTED)
                except IllegalTransition as refused:
                    reason = refused.reason
                    if want == "wrong state" and not ("can't" in reason and refused.needed_roles == frozenset()):
                        mismatches.append(f"{case}: a wrong state should say it can't, not {reason!r}")
                    elif want == "wrong role" and not (
                        refused.needed_roles == the_row(state, event).roles
                        and all(ROLE_WORDS[r] in reason for r in refused.needed_roles)
                        and reason.startswith("Only ")
                    ):
                        mismatches.append(f"{case}: a wrong role should name who may, not {reason!r}")
                    elif want not in ("wrong state", "wrong role"):
                        mismatches.append(f"{case}: refused ({reason!r}) but the table allows it")
                    continue
                if want != move.target:
                    mismatches.append(f"{case}: moved to {move.target}, the table says {want}")
                elif (move.source, move.event) != (state, event):
                    mismatches.append(f"{case}: the move names {move.source} + {move.event}")
    assert not mismatches, "\n".join(mismatches)


@pytest.mark.parametrize("state", list(State))
def test_allowed_events_are_the_events_apply_accepts_in_table_order(state: State) -> None:
    for role in Role:
        for is_requester in (True, False):
            events = allowed_events(state, roles=only(role), is_requester=is_requester)
            table_order = [t.event for t in TRANSITIONS if t.source is state]
            assert events == [event for event in table_order if event in events]
            for event in Event:
                allowed = expected(state, event, role, is_requester) not in ("wrong state", "wrong role")
                assert (event in events) == allowed, f"{state} + {event} by {role}"


@pytest.mark.parametrize("state", sorted(FINAL_STATES))
def test_a_final_state_allows_nothing_to_anyone(state: State) -> None:
    everyone = frozenset(Role)
    assert allowed_events(state, roles=everyone, is_requester=True) == []
    for event in Event:
        assert "can't" in refusal(state, event, everyone, is_requester=True).reason


def test_a_declined_request_cant_be_accepted() -> None:
    assert (
        refusal(State.DECLINED, Event.ACCEPT, only(Role.COORDINATOR)).reason == "A declined request can't be accepted."
    )


def test_a_social_worker_cant_accept_and_is_told_who_can() -> None:
    refused = refusal(State.SUBMITTED, Event.ACCEPT, only(Role.SOCIAL_WORKER), is_requester=True)
    assert refused.reason == (
        "Only an early help coordinator or practice manager, the front door, a team manager, "
        "an early help team manager or a head of service can accept a request."
    )
    assert refused.needed_roles == frozenset(
        {Role.COORDINATOR, Role.FRONT_DOOR, Role.TEAM_MANAGER, Role.EARLY_HELP_TEAM_MANAGER, Role.HEAD_OF_SERVICE}
    )


def test_a_dialog_can_say_who_may_in_the_profiles_words() -> None:
    refused = refusal(State.SUBMITTED, Event.THRESHOLD_MET, only(Role.COORDINATOR))
    words = {**ROLE_WORDS, Role.FRONT_DOOR: "EHASH"}
    assert role_refusal(refused.event, refused.needed_roles, words=words) == (
        "Only EHASH can decide that the threshold is met."
    )


def test_holding_one_allowed_role_among_several_is_enough() -> None:
    roles = frozenset({Role.ADMINISTRATOR, Role.COORDINATOR})
    assert apply(State.SUBMITTED, Event.ACCEPT, roles=roles, is_requester=False).target is State.ACCEPTED


# Submitting and withdrawing belong to the requester's side


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_the_requester_and_the_requesters_manager_may_withdraw_from_any_open_state(state: State) -> None:
    for role in (Role.SOCIAL_WORKER, Role.ASSESSMENT_SOCIAL_WORKER, Role.EARLY_HELP_WORKER):
        move = apply(state, Event.WITHDRAW, roles=only(role), is_requester=True)
        assert move.target is State.WITHDRAWN
    for manager in MANAGERS:
        move = apply(state, Event.WITHDRAW, roles=only(manager), is_requester=False)
        assert move.target is State.WITHDRAWN


@pytest.mark.parametrize("state", sorted(OPEN_STATES))
def test_a_coordinator_cant_withdraw_someone_elses_request(state: State) -> None:
    refused = refusal(state, Event.WITHDRAW, only(Role.COORDINATOR))
    assert refused.reason.startswith("Only the requester (")
    assert "or their manager (" in refused.reason
    assert refused.requester_side


def test_another_social_worker_cant_withdraw_a_colleagues_request() -> None:
    refused = refusal(State.SUBMITTED, Event.WITHDRAW, only(Role.SOCIAL_WORKER), is_requester=False)
    assert refused.reason == (
        "Only the requester (a social worker, an Assessment Team social worker or an early help worker) "
        "or their manager (a team manager, an early help team manager or a head of service) can withdraw a request."
    )


def test_only_the_requester_or_their_manager_submits_and_resubmits() -> None:
    for state, event in ((State.DRAFT, Event.SUBMIT), (State.RETURNED, Event.RESUBMIT)):
        assert apply(state, event, roles=only(Role.SOCIAL_WORKER), is_requester=True).target is State.SUBMITTED
        assert apply(state, event, roles=only(Role.TEAM_MANAGER), is_requester=False).target is State.SUBMITTED
        refusal(state, event, only(Role.SOCIAL_WORKER), is_requester=False)
        refusal(state, event, only(Role.COORDINATOR), is_requester=True)


def test_a_draft_cant_be_withdrawn_or_paused() -> None:
    assert "can't" in refusal(State.DRAFT, Event.WITHDRAW, only(Role.SOCIAL_WORKER), is_requester=True).reason
    assert "can't" in refusal(State.DRAFT, Event.WITHDRAW_CONSENT, only(Role.SOCIAL_WORKER), is_requester=True).reason


# Readiness gaps block acceptance


@pytest.mark.parametrize("event", [Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED])
def test_open_readiness_gaps_block_acceptance_until_they_are_resolved(event: Event) -> None:
    everyone = frozenset(Role)
    refused = refusal(State.GAPS_OPEN, event, everyone)
    assert refused.reason.endswith("until its readiness gaps are resolved.")
    resolved = apply(State.GAPS_OPEN, Event.RESOLVE_GAPS, roles=only(Role.COORDINATOR), is_requester=False)
    assert apply(resolved.target, event, roles=everyone, is_requester=False).target is State.ACCEPTED


def test_a_request_with_gaps_open_can_still_be_declined_or_returned() -> None:
    coordinator = only(Role.COORDINATOR)
    assert apply(State.GAPS_OPEN, Event.DECLINE, roles=coordinator, is_requester=False).target is State.DECLINED
    move = apply(State.GAPS_OPEN, Event.ASK_FOR_INFORMATION, roles=coordinator, is_requester=False)
    assert move.target is State.RETURNED


# The front door's decisions and the meeting's outcomes


def test_the_front_doors_threshold_met_accepts_and_allocates_to_social_care() -> None:
    move = apply(State.SUBMITTED, Event.THRESHOLD_MET, roles=only(Role.FRONT_DOOR), is_requester=False)
    assert move.target is State.ACCEPTED


def test_the_front_doors_early_help_declines_for_social_care() -> None:
    move = apply(State.SUBMITTED, Event.ROUTE_TO_EARLY_HELP, roles=only(Role.FRONT_DOOR), is_requester=False)
    assert move.target is State.DECLINED


def test_the_front_doors_no_further_action_declines() -> None:
    move = apply(State.SUBMITTED, Event.NO_FURTHER_ACTION, roles=only(Role.FRONT_DOOR), is_requester=False)
    assert move.target is State.DECLINED


@pytest.mark.parametrize("event", [Event.THRESHOLD_MET, Event.ROUTE_TO_EARLY_HELP, Event.NO_FURTHER_ACTION])
def test_only_the_front_door_makes_the_front_doors_decisions(event: Event) -> None:
    assert the_row(State.SUBMITTED, event).roles == only(Role.FRONT_DOOR)


@pytest.mark.parametrize(
    ("event", "target"),
    [
        (Event.OUTCOME_AGREED, State.ACCEPTED),
        (Event.OUTCOME_NOT_AGREED, State.DECLINED),
        (Event.OUTCOME_DEFERRED, State.SCHEDULED),
        (Event.MORE_INFORMATION_NEEDED, State.RETURNED),
    ],
)
def test_the_chair_records_a_meetings_outcome(event: Event, target: State) -> None:
    assert apply(State.SCHEDULED, event, roles=only(Role.MEETING_CHAIR), is_requester=False).target is target
    assert "meeting's outcome" in refusal(State.SCHEDULED, event, only(Role.COORDINATOR)).reason


def test_the_joint_visit_is_recorded_by_either_side() -> None:
    for role in (Role.SOCIAL_WORKER, Role.EARLY_HELP_WORKER, Role.COORDINATOR, Role.TEAM_MANAGER, Role.FRONT_DOOR):
        for state in (State.ACCEPTED, State.CO_WORKING):
            move = apply(state, Event.RECORD_JOINT_VISIT, roles=only(role), is_requester=False)
            assert move.target is State.JOINT_VISIT_DONE


# Pausing for consent and resuming where it stopped


@pytest.mark.parametrize("state", PAUSABLE)
def test_giving_consent_again_resumes_the_step_consent_was_withdrawn_at(state: State) -> None:
    worker = only(Role.EARLY_HELP_WORKER)
    paused = apply(state, Event.WITHDRAW_CONSENT, roles=worker, is_requester=True)
    assert paused == Move(state, Event.WITHDRAW_CONSENT, State.PAUSED, paused_from=state)
    resumed = apply(State.PAUSED, Event.GIVE_CONSENT_AGAIN, roles=worker, is_requester=True, paused_from=state)
    assert resumed == Move(State.PAUSED, Event.GIVE_CONSENT_AGAIN, state, paused_from=None)


def test_a_paused_request_says_it_waits_for_consent() -> None:
    refused = refusal(State.PAUSED, Event.ACCEPT, only(Role.COORDINATOR))
    assert refused.reason == "A request paused for consent can't be accepted until consent is given again."


def test_a_paused_request_cant_be_paused_again() -> None:
    assert "can't" in refusal(State.PAUSED, Event.WITHDRAW_CONSENT, only(Role.COORDINATOR)).reason


@pytest.mark.parametrize("paused_from", [None, State.DRAFT, State.PAUSED, State.CLOSED])
def test_resuming_without_a_state_to_resume_is_a_programming_error(paused_from: State | None) -> None:
    with pytest.raises(ValueError, match="resumes to one of"):
        apply(
            State.PAUSED,
            Event.GIVE_CONSENT_AGAIN,
            roles=only(Role.COORDINATOR),
            is_requester=False,
            paused_from=paused_from,
        )


@settings(max_examples=300)
@given(st.data())
def test_any_walk_of_legal_moves_stays_in_the_machine_and_resumes_where_it_paused(data: st.DataObject) -> None:
    state, paused_from = State.DRAFT, None
    for _ in range(data.draw(st.integers(min_value=1, max_value=40), label="steps")):
        role = data.draw(st.sampled_from(list(Role)), label="role")
        is_requester = data.draw(st.booleans(), label="is requester")
        events = allowed_events(state, roles=only(role), is_requester=is_requester)
        if not events:
            continue
        event = data.draw(st.sampled_from(events), label="event")
        move = apply(state, event, roles=only(role), is_requester=is_requester, paused_from=paused_from)
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
            assert allowed_events(state, roles=frozenset(Role), is_requester=True) == []
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
