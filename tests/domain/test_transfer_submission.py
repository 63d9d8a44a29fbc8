"""A new request: the directions each role asks for, York's return to the previous social worker, what submitting
records, and calendar months."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.roles import Role
from domain.transfer_machine import State
from domain.transfer_record import PreviousWorker, Transfer
from domain.transfer_submission import directions_for, previous_worker, submission
from domain.working_days import calendar_months_after
from tests.domain.test_transfer_decide import NOW, PROFILES, details, transfer


# -- a new request ------------------------------------------------------------------------------------------------
def test_each_role_asks_for_the_directions_its_profile_offers() -> None:
    redcar, rochdale = PROFILES["redcar"], PROFILES["rochdale"]
    assert directions_for(frozenset({Role.SOCIAL_WORKER}), redcar) == [Direction.STEP_DOWN_EARLY_HELP]
    assert directions_for(frozenset({Role.EARLY_HELP_WORKER}), redcar) == [Direction.STEP_UP]
    assert directions_for(frozenset({Role.COORDINATOR, Role.FRONT_DOOR}), redcar) == []
    assert Direction.STEP_ACROSS in directions_for(frozenset({Role.TEAM_MANAGER}), rochdale)


def _stepped_down(profile: PolicyProfile, team: str, accepted_at: datetime | None, state: State) -> Transfer:
    return transfer(
        profile,
        id=9,
        state=state,
        details=details(profile, from_team=team),
        requester_object_id="previous",
        requester_name="P.W.",
        accepted_at=accepted_at,
    )


CIN_CP = "Safeguarding and Interventions (CiN / CP)"


@pytest.mark.parametrize(
    ("team", "accepted", "state", "returns"),
    [
        (CIN_CP, datetime(2025, 12, 31, 12, tzinfo=UTC), State.TRANSFERRED, True),  # 31 Mar is within 3 months
        (CIN_CP, datetime(2025, 12, 30, 12, tzinfo=UTC), State.TRANSFERRED, False),  # a day more than 3 months
        ("Targeted Early Help", datetime(2026, 3, 1, 12, tzinfo=UTC), State.CLOSED, False),  # not from CiN / CP
        (CIN_CP, None, State.WITHDRAWN, False),  # never accepted
    ],
)
def test_york_returns_a_step_up_to_the_social_worker_of_a_recent_step_down_from_cin_or_cp(
    team: str, accepted: datetime | None, state: State, returns: bool
) -> None:
    york = PROFILES["york"]
    earlier = [_stepped_down(york, team, accepted, state)]
    found = previous_worker(details(york, Direction.STEP_UP), earlier, york, NOW)
    assert (found == PreviousWorker(name="P.W.", object_id="previous")) is returns
    assert previous_worker(details(york, Direction.STEP_UP), earlier, PROFILES["redcar"], NOW) is None


def test_a_new_request_carries_its_channel_wording_and_clock() -> None:
    york = PROFILES["york"]
    sent = submission(details(york, Direction.STEP_UP), [], york, NOW)
    assert (sent.channel_key, sent.wording, sent.previous_worker) == ("front_door", "", None)
    assert dict(sent.facts) == {
        Fact.DECISION_IN_SUPERVISION: date(2026, 3, 19),
        Fact.REQUEST_SUBMITTED: NOW,
        Fact.REFERRAL_SUBMITTED: NOW,
    }


@pytest.mark.parametrize(
    ("start", "months", "end"),
    [
        (date(2026, 1, 31), 1, date(2026, 2, 28)),
        (date(2028, 2, 29), 12, date(2029, 2, 28)),
        (date(2026, 11, 30), 3, date(2027, 2, 28)),
        (date(2026, 12, 15), 3, date(2027, 3, 15)),
    ],
)
def test_calendar_months_keep_the_day_or_end_the_shorter_month(start: date, months: int, end: date) -> None:
    assert calendar_months_after(start, months) == end


@given(st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 1, 1)), st.integers(min_value=0, max_value=36))
def test_calendar_months_move_exactly_that_many_months_and_never_back(start: date, months: int) -> None:
    end = calendar_months_after(start, months)
    assert (end.year - start.year) * 12 + end.month - start.month == months
    assert end >= start and end.day <= start.day
    assert end - start <= timedelta(days=31 * months + 1)
