"""Who hears of a transfer event in personal chat, and in what words: never the family's circumstances."""

from __future__ import annotations

from dataclasses import dataclass

from domain.outcome_terms import DECISION_TITLES, OutcomeDecision
from domain.outcomes import meeting_title
from domain.profiles import PolicyProfile
from domain.roles import Person
from domain.transfer_events import EventRule, Form, Party
from domain.transfer_machine import EVENT_DONE
from domain.transfer_record import Transfer
from domain.working_days import format_date


@dataclass(frozen=True)
class Notice:
    """A personal-chat notice: the reference and what happened, never the family's circumstances."""

    party: Party
    object_id: str
    headline: str
    lines: tuple[str, ...]


def _sentence(words: str) -> str:
    """Words ending with a full stop, once (a name of initials ends with one already: "By E.C.")."""
    return words if words.endswith(".") else words + "."


def _next_steps(after: Transfer, profile: PolicyProfile) -> list[str]:
    """What the requester does now the request is allocated, from the profile (York: the team around the child)."""
    steps = profile.transfers.after_allocation
    return [_sentence(f"Next: {s.label}") for s in steps if s.applies_to(after.direction, after.to_service)]


def _outcome_lines(after: Transfer, actor: Person, profile: PolicyProfile) -> list[str]:
    """What a meeting decided, for a personal chat: the decision and what follows, never the family's details."""
    note = after.decision.outcome
    if note is None:
        return []
    lines = [
        f"{DECISION_TITLES[note.decision]} at the {meeting_title(note.meeting_kind, profile)} on "
        f"{format_date(note.meeting_on)}, recorded by {actor.name or 'the chair'}."
    ]
    allocation = after.decision.allocation
    if note.decision is OutcomeDecision.AGREED and allocation is not None:
        who = allocation.worker_name or "a practitioner still to be named"
        lines.append(f"Receiving team: {allocation.team}; lead practitioner: {who}.")
        lines += _next_steps(after, profile)
    elif note.decision is OutcomeDecision.NOT_AGREED and after.decision.decline is not None:
        lines.append(f"Reason: {after.decision.decline.reason}")
    elif note.decision is OutcomeDecision.DEFERRED and note.deferred_to is not None:
        lines.append(f"Deferred to {format_date(note.deferred_to)}.")
    elif note.decision is OutcomeDecision.MORE_INFORMATION:
        lines.append("Open the request to see what is missing, then resubmit it.")
    elif note.decision is OutcomeDecision.EXTERNAL_AGENCY and after.decision.external is not None:
        lines.append(
            f"Handed to {after.decision.external.agency}: complete that service's own referral form. "
            "The request is closed here."
        )
    return lines


def notices_for(after: Transfer, rule: EventRule, actor: Person, profile: PolicyProfile) -> tuple[Notice, ...]:
    if rule.form is Form.OUTCOME:
        return _outcome_notices(after, rule, actor, profile)
    found: list[Notice] = []
    event = rule.event
    allocation = after.decision.allocation
    reference = after.case_reference
    if Party.REQUESTER in rule.tells and actor.object_id != after.requester_object_id:
        lines = [_sentence(f"By {actor.name or 'the receiving side'}")]
        decline = after.decision.decline
        if decline is not None and not rule.allocates and rule.form is Form.REASON:
            lines.append(f"Reason: {decline.reason}")
        if allocation is not None and (rule.allocates or rule.form is Form.NAME_WORKER) and allocation.worker_name:
            lines.append(_sentence(f"Allocated to {allocation.worker_name}"))
        if rule.allocates:
            lines += _next_steps(after, profile)
        if rule.form is Form.INFORMATION_ASKED:
            lines.append("Open the request to see what is asked, then resubmit it.")
        headline = f"{EVENT_DONE[event]}: {reference}"
        found.append(Notice(Party.REQUESTER, after.requester_object_id, headline, tuple(lines)))
    worker = allocation.worker_object_id if allocation else ""
    if Party.ALLOCATED_WORKER in rule.tells and worker:
        # Also when they allocated it to themselves: their personal chat keeps a way back to the case.
        if rule.allocates or rule.form is Form.NAME_WORKER:
            lines = [_sentence(f"Requested by {after.requester_name or 'a colleague'}")]
            if allocation is not None and allocation.joint_visit_on is not None:
                lines.append(f"Joint visit planned for {format_date(allocation.joint_visit_on)}.")
            found.append(Notice(Party.ALLOCATED_WORKER, worker, f"Allocated to you: {reference}", tuple(lines)))
        elif worker != actor.object_id:
            lines = [_sentence(f"By {actor.name or 'a colleague'}")]
            found.append(Notice(Party.ALLOCATED_WORKER, worker, f"{EVENT_DONE[event]}: {reference}", tuple(lines)))
    return tuple(found)


def _outcome_notices(after: Transfer, rule: EventRule, actor: Person, profile: PolicyProfile) -> tuple[Notice, ...]:
    """The social worker, their manager (resolved by the dialog: `object_id` empty) and the allocated worker."""
    headline = f"Meeting outcome: {after.case_reference}"
    lines = tuple(_outcome_lines(after, actor, profile))
    found = [Notice(Party.REQUESTER, after.requester_object_id, headline, lines)]
    found.append(Notice(Party.REQUESTERS_MANAGER, "", headline, lines))
    allocation = after.decision.allocation
    worker = allocation.worker_object_id if allocation and rule.allocates else ""
    if worker and worker != after.requester_object_id:
        found.append(Notice(Party.ALLOCATED_WORKER, worker, f"Allocated to you: {after.case_reference}", lines))
    return tuple(found)
