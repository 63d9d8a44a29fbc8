"""Making a new request: which directions a person may ask for, where it goes, and what it carries from the start."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from domain.case_roles import DIRECTIONS_BY_ROLE
from domain.deadline_rules import Fact
from domain.directions import Direction
from domain.profiles import PolicyProfile
from domain.roles import Role
from domain.transfer_events import EVENTS
from domain.transfer_facts import When, dated, event_facts
from domain.transfer_machine import Event, State
from domain.transfer_record import PreviousWorker, Transfer
from domain.transfers import TransferDetails, receiving_channel, wording_for
from domain.working_days import WorkingCalendar, calendar_months_after

_STEP_DOWNS = frozenset({Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL})
_HANDED_ON = frozenset({State.ACCEPTED, State.CO_WORKING, State.JOINT_VISIT_DONE, State.TRANSFERRED, State.CLOSED})


def directions_for(roles: frozenset[Role], profile: PolicyProfile) -> list[Direction]:
    """The directions these roles ask for, that the profile takes through the bot."""
    wanted = {d for role in roles for d in DIRECTIONS_BY_ROLE.get(role, ())}
    return [d for d in Direction if d in wanted and profile.transfers.offers(d)]


def previous_worker(
    details: TransferDetails, earlier: Sequence[Transfer], profile: PolicyProfile, now: datetime
) -> PreviousWorker | None:
    """York: a step up within three calendar months of a step down's acceptance returns to its social worker.

    Only a step down from child in need or child protection counts (the profile's `return_from_teams`),
    and only one that was accepted; the latest such step down names the worker.
    """
    months = profile.transfers.return_to_previous_worker_months
    if details.direction is not Direction.STEP_UP or not months:
        return None
    calendar = WorkingCalendar.from_profile(profile.working)
    today = calendar.local_date(now)
    teams = set(profile.transfers.return_from_teams)
    found = [
        t
        for t in earlier
        if t.case_reference == details.case_reference
        and t.direction in _STEP_DOWNS
        and t.state in _HANDED_ON
        and t.accepted_at is not None
        and (not teams or t.from_team in teams)
        and calendar_months_after(calendar.local_date(t.accepted_at), months) >= today
    ]
    if not found:
        return None
    latest = max(found, key=lambda t: t.accepted_at or now)
    return PreviousWorker(name=latest.requester_name, object_id=latest.requester_object_id)


@dataclass(frozen=True)
class Submission:
    """What a new request carries from the start, besides the details the requester gave."""

    channel_key: str
    wording: str
    previous_worker: PreviousWorker | None
    # The facts submitting records (the decision in supervision, with its own date): clocks start from them.
    facts: tuple[tuple[Fact, When], ...]


def submission(
    details: TransferDetails, earlier: Sequence[Transfer], profile: PolicyProfile, now: datetime
) -> Submission:
    found: dict[Fact, When] = dict(dated(event_facts(EVENTS[Event.SUBMIT], details.direction), now))
    found[Fact.DECISION_IN_SUPERVISION] = details.manager.decided_on
    return Submission(
        channel_key=receiving_channel(details, profile),
        wording=wording_for(details, profile) or "",
        previous_worker=previous_worker(details, earlier, profile, now),
        facts=tuple(sorted(found.items())),
    )
