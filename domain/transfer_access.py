"""Who may see and act on one transfer: the relationships a person stands in to it, checked with their roles.

A dialog finds out the facts that are not on the record (is the person on the roster of the channel the
request went to, do they manage the requester or the allocated worker) and passes them in as `CaseFacts`;
everything else is decided here, purely, from the record, the person and the profile.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from domain.case_roles import CASE_ROLES, deciding_roles
from domain.directions import DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile
from domain.roles import Person, Role
from domain.transfer_events import BUTTON_ORDER, EVENTS, EventRule, Grant, Relation
from domain.transfer_facts import recordable_facts
from domain.transfer_machine import EVENT_TITLES, PHRASES, Event, State, events_from
from domain.transfer_policy import RouteRule
from domain.transfer_record import Transfer
from domain.transfers import Route, route_rule

# Requests on these routes are on a meeting's agenda: Redcar's clinic too, where the coordinators record
# the service and pathway it chose.
MEETING_ROUTES = frozenset({Route.CLINIC, Route.WEEKLY_MEETING, Route.PANEL})
_MEETING_OUTCOMES = frozenset(e for e, rule in EVENTS.items() if rule.meeting_outcome)


@dataclass(frozen=True)
class CaseFacts:
    """What a dialog found out about the person and this case beyond the record."""

    on_receiving_roster: bool = False
    manages_requester: bool = False
    manages_worker: bool = False


def meeting_decides(profile: PolicyProfile, direction: Direction) -> bool:
    """In a profile whose meeting decides, its chair's outcome is authoritative; step ups stay with the front door."""
    return profile.transfers.decision_authority == "meeting" and direction is not Direction.STEP_UP


def rule_of(transfer: Transfer, profile: PolicyProfile) -> RouteRule | None:
    """The profile's route rule this request went by, or None where the profile has none for it."""
    return route_rule(transfer.details, profile)


def deciders(transfer: Transfer, profile: PolicyProfile) -> frozenset[Role]:
    """The receiving side's deciding roles on this request: its route rule's, else the direction's."""
    rule = rule_of(transfer, profile)
    if rule is not None and rule.deciders:
        return frozenset(rule.deciders)
    return deciding_roles(transfer.direction)


def meeting_decides_on(transfer: Transfer, profile: PolicyProfile) -> bool:
    """Whether a meeting's outcome decides this request: its route rule says, else the profile and direction."""
    rule = rule_of(transfer, profile)
    if rule is not None and rule.decided_by is not None:
        return rule.decided_by == "meeting"
    return meeting_decides(profile, transfer.direction)


def awaits_authorisation(transfer: Transfer, profile: PolicyProfile) -> RouteRule | None:
    """The route rule whose authorisation this request still waits for before anyone accepts it, or None."""
    rule = rule_of(transfer, profile)
    if rule is None or rule.authorised_by is None or transfer.decision.authorised is not None:
        return None
    return rule


def on_meeting(transfer: Transfer, profile: PolicyProfile) -> bool:
    """Whether the request is on a meeting, clinic or panel agenda, so its chair has a say in it."""
    last = transfer.decision.last
    return (
        transfer.route in MEETING_ROUTES
        or meeting_decides_on(transfer, profile)
        or State.SCHEDULED in (transfer.state, transfer.paused_from)
        or (last is not None and last.event in _MEETING_OUTCOMES)
        or transfer.decision.outcome is not None
    )


def relations_of(person: Person, transfer: Transfer, facts: CaseFacts, profile: PolicyProfile) -> frozenset[Relation]:
    """Every way `person` stands to this case; empty for anyone else (and for another tenant, always)."""
    if person.tenant_id != transfer.tenant_id or not person.object_id:
        return frozenset()
    found: set[Relation] = set()
    if transfer.requester_object_id == person.object_id:
        found.add(Relation.REQUESTER)
    if facts.manages_requester:
        found.add(Relation.REQUESTERS_MANAGER)
    if facts.on_receiving_roster and person.roles & deciders(transfer, profile):
        found.add(Relation.RECEIVING_SIDE)
    rule = rule_of(transfer, profile)
    if rule is not None and rule.authorised_by is not None and rule.authorised_by in person.roles:
        found.add(Relation.AUTHORISER)
    if transfer.worker_object_id and transfer.worker_object_id == person.object_id:
        found.add(Relation.ALLOCATED_WORKER)
    if facts.manages_worker and transfer.worker_object_id:
        found.add(Relation.ALLOCATED_WORKERS_MANAGER)
    if transfer.previous_worker_object_id and transfer.previous_worker_object_id == person.object_id:
        found.add(Relation.PREVIOUS_WORKER)
    if Role.MEETING_CHAIR in person.roles and on_meeting(transfer, profile):
        found.add(Relation.CHAIR)
    if transfer.escalated_to is not None and transfer.escalated_to in person.roles:
        found.add(Relation.ESCALATION)
    return frozenset(found)


def may_view(person: Person, relations: frozenset[Relation]) -> bool:
    """The card, its place in a list and its details: anyone on the case who holds a role on cases."""
    return bool(relations) and bool(person.roles & CASE_ROLES)


def _grant_roles(grant: Grant, transfer: Transfer, profile: PolicyProfile) -> frozenset[Role]:
    """The roles a grant takes on this request: the receiving side's deciding ones, the escalation's own."""
    if grant.relation is Relation.RECEIVING_SIDE:
        return grant.roles & deciders(transfer, profile)
    if grant.relation is Relation.AUTHORISER:
        rule = rule_of(transfer, profile)
        return grant.roles & {rule.authorised_by} if rule is not None and rule.authorised_by else frozenset()
    if grant.relation is Relation.ESCALATION:
        return grant.roles & {transfer.escalated_to} if transfer.escalated_to else frozenset()
    return grant.roles


def granted(
    rule: EventRule, person: Person, relations: frozenset[Relation], transfer: Transfer, profile: PolicyProfile
) -> bool:
    """True when one of the rule's (relationship, roles) pairs holds for this person on this request."""
    return any(
        grant.relation in relations and bool(person.roles & _grant_roles(grant, transfer, profile))
        for grant in rule.grants
    )


def not_applicable(rule: EventRule, transfer: Transfer, profile: PolicyProfile) -> str | None:
    """Why this event is no step for this request in this profile, or None when it is one."""
    direction = transfer.direction
    if rule.directions is not None and direction not in rule.directions:
        title = DIRECTION_TITLES[direction].lower()
        return f"“{EVENT_TITLES[rule.event]}” is not a step for a request to {title}."
    if rule.meeting_outcome and not on_meeting(transfer, profile):
        return "This request is not on a meeting's agenda, so there is no meeting outcome to record."
    if rule.withheld_where_meeting_decides and meeting_decides_on(transfer, profile):
        return (
            f"In {profile.authority} the meeting decides: schedule the request for it, "
            "and the chair records the outcome."
        )
    why = _route_gate(rule, transfer, profile)
    if why is not None:
        return why
    if rule.event is Event.JOINT_VISIT_NOT_POSSIBLE and not profile.transfers.joint_visit_not_possible:
        return f"In {profile.authority} the joint visit happens: it is not recorded as not possible."
    if rule.event is Event.REFER_EXTERNALLY and not profile.outcomes.external_pathway:
        return f"In {profile.authority} a meeting does not hand a request to an external agency."
    if rule.event is Event.NAME_WORKER:
        allocation = transfer.decision.allocation
        if allocation is None or allocation.worker_name:
            return "This request's worker is named already."
    if rule.event is Event.RECORD_WHAT_HAPPENED and not recordable_facts(transfer, profile):
        return f"{profile.authority}'s procedure counts nothing more from this request's events."
    return None


_ACCEPTING = frozenset({Event.ACCEPT, Event.THRESHOLD_MET, Event.OUTCOME_AGREED})


def _route_gate(rule: EventRule, transfer: Transfer, profile: PolicyProfile) -> str | None:
    """What the request's route rule withholds: the authorisation's own step, acceptance until it is given."""
    route = rule_of(transfer, profile)
    if rule.event is Event.AUTHORISE:
        if route is None or route.authorised_by is None:
            return f"In {profile.authority} this request needs no authorisation before it is accepted."
        if transfer.decision.authorised is not None:
            return f"This request is {route.authorisation[:1].lower() + route.authorisation[1:]} already."
        if route.authorisation_needs_wording and not transfer.wording:
            return (
                "The referral does not carry the agreed wording, so it can't be authorised: "
                "ask the social worker for it."
            )
        return None
    if route is None:
        return None
    if rule.event is Event.OUTCOME_AGREED and not route.meeting_outcome_accepts:
        return (
            f"In {profile.authority} the meeting agrees this request and the "
            f"{role_plural(Role.FRONT_DOOR, profile)} accept it: record the meeting's agreement, not an outcome."
        )
    if rule.event in _ACCEPTING and awaits_authorisation(transfer, profile) is not None:
        return f"{route.authorisation} comes first: nobody accepts this request before it."
    return None


def own_request(rule: EventRule, person: Person, relations: frozenset[Relation]) -> bool:
    """Separation of duties: nobody decides on their own request, whatever roles they hold.

    Local mode's trial person, who holds every role only to try the bot alone, is the one exception.
    """
    return rule.decides and Relation.REQUESTER in relations and not person.trial


def available_events(
    person: Person, relations: frozenset[Relation], transfer: Transfer, profile: PolicyProfile
) -> list[Event]:
    """The events this person may raise on this request now: the buttons of their card, usual one first."""
    possible = set(events_from(transfer.state))
    found: list[Event] = []
    for event in BUTTON_ORDER:
        rule = EVENTS[event]
        if event not in possible or event is Event.SUBMIT:
            continue
        if not_applicable(rule, transfer, profile) is not None:
            continue
        if granted(rule, person, relations, transfer, profile) and not own_request(rule, person, relations):
            found.append(event)
    return found


# -- refusals, in plain words --------------------------------------------------------------------------
_ROLE_PLURALS: dict[Role, str] = {
    Role.SOCIAL_WORKER: "social workers",
    Role.ASSESSMENT_SOCIAL_WORKER: "Assessment Team social workers",
    Role.EARLY_HELP_WORKER: "early help workers",
    Role.COORDINATOR: "early help coordinators",
    Role.FRONT_DOOR: "front door deciders",
    Role.TEAM_MANAGER: "team managers",
    Role.EARLY_HELP_TEAM_MANAGER: "early help team managers",
    Role.MEETING_CHAIR: "meeting chairs",
    Role.HEAD_OF_SERVICE: "heads of service",
    Role.ADMINISTRATOR: "administrators",
}


def _plural_label(label: str) -> str:
    """A profile's role label as the plural a sentence needs ("MACH decider" -> "MACH deciders")."""
    words = label.split()
    keep_case = words[0].isupper() or any(w[:1].isupper() for w in words[1:])
    plural = label if label.endswith("s") else label + "s"
    return plural if keep_case else plural[:1].lower() + plural[1:]


def role_plural(role: Role, profile: PolicyProfile) -> str:
    label = profile.labels.roles.get(role)
    return _plural_label(label) if label else _ROLE_PLURALS[role]


def either(words: Iterable[str]) -> str:
    items = list(dict.fromkeys(words))
    return items[0] if len(items) == 1 else ", ".join(items[:-1]) + " or " + items[-1]


def _who(grant: Grant, transfer: Transfer, profile: PolicyProfile) -> str:
    relation = grant.relation
    if relation is Relation.RECEIVING_SIDE:
        roles = [role_plural(r, profile) for r in Role if r in _grant_roles(grant, transfer, profile)]
        return f"the {either(roles)} this request was sent to"
    if relation is Relation.AUTHORISER:
        roles = [role_plural(r, profile) for r in Role if r in _grant_roles(grant, transfer, profile)]
        return f"the {either(roles)} who authorise it"
    if relation is Relation.ESCALATION:
        escalated = transfer.escalated_to
        return f"the {role_plural(escalated, profile)} it was escalated to" if escalated else "whom it was escalated to"
    return {
        Relation.REQUESTER: "the person who asked for it",
        Relation.REQUESTERS_MANAGER: "their line manager",
        Relation.ALLOCATED_WORKER: "the allocated worker",
        Relation.ALLOCATED_WORKERS_MANAGER: "the allocated worker's manager",
        Relation.PREVIOUS_WORKER: "the previous social worker",
        Relation.CHAIR: "the chair of the meeting it is on",
    }[relation]


def doing(event: Event) -> str:
    """What a person does when raising `event` ("accept it", "mark readiness gaps")."""
    return PHRASES[event][1].replace(" a request", " it")


def access_refusal(rule: EventRule, transfer: Transfer, profile: PolicyProfile) -> str:
    """Who may raise this event on this request, as the sentence a refused person reads."""
    grants = [g for g in rule.grants if _grant_roles(g, transfer, profile)]
    who = either(_who(g, transfer, profile) for g in grants) if grants else "nobody"
    return f"Only {who} can {doing(rule.event)}."


OWN_REQUEST_REFUSAL = "You asked for this move, so someone else decides it: nobody decides on their own request."
VIEW_REFUSAL = (
    "Only the people on this case can see it: the requester and their manager, the side it was sent to, "
    "the allocated worker and the meeting's chair."
)
