"""A transfer request's details and the rules a card checks before it is submitted (step up, down, across, co-work)."""

from __future__ import annotations

from datetime import date
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from domain.consent_rules import scope_problems
from domain.consent_terms import CONSENT_TITLES, REQUEST_STATUSES, ConsentScope, ConsentStatus, method_of
from domain.directions import DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile
from domain.transfer_policy import ChecklistItem, RouteRule

REASON_MAX = 1000
_INITIALS = r"^[A-Za-z.]*$"


__all__ = ["CONSENT_TITLES", "ConsentStatus"]  # the consent's words live in domain/consent_terms.py


class Route(StrEnum):
    CLINIC = "clinic"
    WEEKLY_MEETING = "weekly_meeting"
    PANEL = "panel"
    MANAGER_AGREEMENT = "manager_agreement"
    DIRECT = "direct"


ROUTE_TITLES: dict[Route, str] = {
    Route.CLINIC: "Step-down clinic booking",
    Route.WEEKLY_MEETING: "Weekly meeting",
    Route.PANEL: "Panel",
    Route.MANAGER_AGREEMENT: "Manager-to-manager agreement",
    Route.DIRECT: "Direct request",
}

_STEP_DOWNS = (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL)
_ACROSS = (Direction.STEP_ACROSS, Direction.CO_WORK)


class Consent(BaseModel):
    """The family's consent: given (by whom, how, when), refused, or not sought because of the risk to the child."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    status: ConsentStatus
    relationship: str = Field("", max_length=40, description="the person's relationship to the child")
    initials: str = Field("", max_length=8, pattern=_INITIALS)
    how: str = Field("", max_length=80)
    on: date | None = None
    risk_reason: str = Field("", max_length=500)
    agreed_by: str = Field("", max_length=80, description="the manager who agreed not to seek consent")
    # What the family consented to (the profile's [consent] scopes); a request may need some (consent_rules.py).
    scopes: tuple[ConsentScope, ...] = Field((), max_length=len(ConsentScope))

    @model_validator(mode="after")
    def _status_has_its_facts(self) -> Consent:
        if self.status is ConsentStatus.GIVEN:
            missing = [name for name in ("relationship", "initials", "how") if not getattr(self, name)]
            if self.on is None:
                missing.append("on")
            if missing:
                raise ValueError(f"consent given needs who gave it, how and when (missing: {', '.join(missing)})")
        if self.status is ConsentStatus.NOT_SOUGHT_RISK and not (self.risk_reason and self.agreed_by):
            raise ValueError("consent not sought needs why seeking it adds to the risk, and the manager who agreed")
        return self


class ManagerAgreement(BaseModel):
    """Who agreed the move and the date of the decision in supervision (some clocks start there)."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    manager: str = Field(min_length=2, max_length=80)
    decided_on: date


class TransferDetails(BaseModel):
    """What the requester puts on the card; `request_problems` checks it against the profile."""

    model_config = ConfigDict(frozen=True, extra="forbid", str_strip_whitespace=True, hide_input_in_errors=True)

    case_reference: str = Field(min_length=3, max_length=32)
    child_initials: str = Field("", max_length=8, pattern=_INITIALS)
    children_count: int = Field(ge=1, le=15, description="a step up covers every child in the family")
    direction: Direction
    from_team: str = Field(max_length=80)
    to_service: str = Field(max_length=80)
    reason: str = Field(min_length=3, max_length=REASON_MAX)
    outstanding_needs: str = Field("", max_length=REASON_MAX)
    level_of_need: str = Field("", max_length=80)
    route: Route
    consent: Consent
    manager: ManagerAgreement
    checklist: dict[str, bool] = Field(default_factory=dict)
    discussed_with: str = Field("", max_length=80, description="e.g. the Early Help Coordinator rung or met")
    discussed_on: date | None = None
    booking_id: int | None = Field(None, ge=1)

    @field_validator("case_reference")
    @classmethod
    def _upper(cls, value: str) -> str:
        if not value.isascii():
            raise ValueError("a case reference is written in plain letters and digits")
        return value.upper()


def request_problems(details: TransferDetails, profile: PolicyProfile, *, today: date) -> list[str]:
    """Why this request cannot be submitted yet, as sentences for the card; empty when it can."""
    transfers = profile.transfers
    direction = details.direction
    title = DIRECTION_TITLES[direction].lower()
    problems: list[str] = []

    if not profile.is_case_reference(details.case_reference):
        example = profile.case_reference_example
        problems.append(f"Enter the case reference as it is written in the case record, like {example}.")

    if details.from_team not in transfers.from_teams:
        problems.append("Choose your team from the list.")
    if not transfers.offers(direction):
        problems.append(f"{profile.authority} does not take a request to {title} through the bot.")
    elif details.to_service not in transfers.to_services[direction]:
        problems.append(f"Choose the receiving service from the list for a {title} request.")

    if transfers.level_of_need:
        if not details.level_of_need:
            problems.append("Select the level of need.")
        elif details.level_of_need not in transfers.level_of_need:
            problems.append("Select the level of need from the list.")
    elif details.level_of_need:
        problems.append(f"{profile.authority} does not ask for a level of need: leave it empty.")

    if details.route.value not in transfers.routes:
        problems.append(f"{profile.authority} does not use the {ROUTE_TITLES[details.route].lower()} route.")
    elif transfers.ruled(direction) and transfers.offers(direction):
        choices = transfers.route_choices(direction, details.from_team, details.to_service)
        # One route for these answers: the submission puts the request on it (`routed`); several: the requester's.
        if len(choices) > 1 and details.route.value not in [rule.route for rule in choices]:
            names = " or ".join(_rule_title(rule, profile) for rule in choices)
            problems.append(f"Choose the route: {names}.")
    if details.booking_id is not None and details.route is not Route.CLINIC:
        problems.append("A clinic booking goes with the clinic route.")

    problems.extend(_consent_problems(details, profile))
    rule = route_rule(details, profile)
    if rule is not None and rule.authorisation_needs_wording and wording_for(details, profile) is None:
        # Redcar, step down standard 2: the MACH manager authorises a referral that carries the agreed wording.
        problems.append(
            f"This request needs the wording “{profile.transfers.wording}”: say which coordinator you discussed "
            "it with, and when (or book the clinic)."
        )

    for label, on in (
        ("The manager's decision", details.manager.decided_on),
        ("The family's consent", details.consent.on),
        ("The discussion", details.discussed_on),
    ):
        if on is not None and on > today:
            problems.append(f"{label} cannot be dated in the future.")
    if details.discussed_on is not None and not details.discussed_with:
        problems.append("Say who the discussion was with.")

    known = {item.key for item in transfers.checklist(direction)}
    unknown = sorted(set(details.checklist) - known)
    if unknown:
        problems.append(f"These are not on the checklist for a {title} request: {', '.join(unknown)}.")
    return problems


def _consent_problems(details: TransferDetails, profile: PolicyProfile) -> list[str]:
    found = _consent_status_problems(details, profile)
    if found:
        return found
    consent = details.consent
    if consent.status is ConsentStatus.GIVEN and method_of(consent.how) is None:
        return ["Choose how consent was given: in person, by phone or at the meeting."]
    return scope_problems(details.direction, consent.status, consent.scopes, profile)


def _consent_status_problems(details: TransferDetails, profile: PolicyProfile) -> list[str]:
    direction = details.direction
    status = details.consent.status
    if status not in REQUEST_STATUSES:
        return ["A new request records the family's consent as given, refused or not sought."]
    if direction is Direction.STEP_DOWN_EARLY_HELP and status is ConsentStatus.REFUSED:
        # Early help is an offer the family takes up (York): a refusal ends it whatever the profile lists.
        return ["The family has refused early help, so the case cannot step down to it."]
    if direction in profile.transfers.consent_required and status is not ConsentStatus.GIVEN:
        return [
            f"A request to {DIRECTION_TITLES[direction].lower()} needs the family's consent in {profile.authority}: "
            "record who gave it, how and when."
        ]
    if direction is Direction.STEP_UP and status is ConsentStatus.REFUSED:
        return [
            "A step up goes without the family's consent only where seeking it would increase the risk to the child: "
            "record that, with the reason and the manager who agreed."
        ]
    return []


def missing_checklist(details: TransferDetails, profile: PolicyProfile) -> list[ChecklistItem]:
    """The profile's items for this direction the requester has not ticked; they do not block submitting."""
    return [item for item in profile.transfers.checklist(details.direction) if not details.checklist.get(item.key)]


def wording_for(details: TransferDetails, profile: PolicyProfile) -> str | None:
    """The wording the receiving side expects (Redcar's), only when the facts it states hold.

    "Step Down to Early Help agreed with Team Manager and following discussion with Early Help Coordinator":
    a step down to early help, agreed by a manager, after a discussion with a coordinator recorded by name or as
    a booked clinic slot.
    """
    wording = profile.transfers.wording
    if not wording or details.direction is not Direction.STEP_DOWN_EARLY_HELP:
        return None
    agreed = bool(details.manager.manager)
    discussed = bool(details.discussed_with) or (details.route is Route.CLINIC and details.booking_id is not None)
    return wording if agreed and discussed else None


def receiving_channel(details: TransferDetails, profile: PolicyProfile) -> str:
    """The channel key the request card goes to: its route rule's, else the coordinators, front door or service's."""
    rule = route_rule(details, profile)
    if rule is not None and rule.channel:
        return rule.channel
    if details.direction in _STEP_DOWNS:
        return "coordinators"
    if details.direction is Direction.STEP_UP:
        return "front_door"
    return profile.transfers.step_across_channels.get(details.to_service, "managers")


def case_label(details: TransferDetails, profile: PolicyProfile) -> str:
    """How a card names the case: the reference, with the child's initials only where the profile shows them."""
    if profile.transfers.show_initials and details.child_initials:
        return f"{details.case_reference} ({details.child_initials})"
    return details.case_reference


# -- each authority's decision route (the profile's [[transfers.route_rules]]) -------------------------------------
def route_rule(details: TransferDetails, profile: PolicyProfile) -> RouteRule | None:
    """The profile's rule for the route this request takes, or None where the profile has no rule for it."""
    for rule in profile.transfers.route_choices(details.direction, details.from_team, details.to_service):
        if rule.route == details.route.value:
            return rule
    return None


def routed(details: TransferDetails, profile: PolicyProfile) -> TransferDetails:
    """The request on the route its answers take: the one route the rules give, else the requester's choice."""
    transfers = profile.transfers
    if not transfers.ruled(details.direction):
        return details
    choices = transfers.route_choices(details.direction, details.from_team, details.to_service)
    if len(choices) == 1 and details.route.value != choices[0].route:
        return details.model_copy(update={"route": Route(choices[0].route)})
    return details


def route_choice_needed(direction: Direction, profile: PolicyProfile) -> bool:
    """Whether the requester chooses the route on the form: no rules, or several routes for the same answers."""
    transfers = profile.transfers
    if not transfers.ruled(direction):
        return True
    return any(
        len(transfers.route_choices(direction, team, service)) > 1
        for team in transfers.from_teams
        for service in transfers.to_services.get(direction, [])
    )


def route_options(direction: Direction, profile: PolicyProfile) -> list[tuple[str, str]]:
    """The routes the form offers for a direction, as (title, value): the rules' where the profile has them."""
    transfers = profile.transfers
    if not transfers.ruled(direction):
        return [(ROUTE_TITLES[Route(r)], r) for r in transfers.routes]
    found: dict[str, str] = {}
    for rule in transfers.route_rules:
        if rule.direction is direction:
            found.setdefault(rule.route, _rule_title(rule, profile))
    return [(title, route) for route, title in found.items()]


def _rule_title(rule: RouteRule, profile: PolicyProfile) -> str:
    title = rule.title or ROUTE_TITLES[Route(rule.route)]
    cadence = profile.transfers.meeting_cadence
    if rule.route == Route.WEEKLY_MEETING.value and cadence and cadence.lower() not in title.lower():
        return f"{title} ({cadence})"
    return title


def route_title(details: TransferDetails, profile: PolicyProfile) -> str:
    """How a card names the request's route: its rule's title where the profile has one."""
    rule = route_rule(details, profile)
    return _rule_title(rule, profile) if rule is not None else ROUTE_TITLES[details.route]
