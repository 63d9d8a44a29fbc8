"""Cards a requester fills in: choosing the direction, the request form, the review, the urgent warning."""

from __future__ import annotations

from typing import Any, ClassVar

from pydantic import Field

from cards.elements import Json, card, container, execute, facts, heading, text
from cards.payloads import ID_MAX, VERSION_MAX, ActionPayload, WithToggles
from domain.directions import DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile
from domain.transfers import (
    CONSENT_TITLES,
    REASON_MAX,
    ConsentStatus,
    TransferDetails,
    route_choice_needed,
    route_options,
    route_title,
)
from domain.working_days import format_date

CHECK_PREFIX = "check_"


class StartTransfer(ActionPayload):
    direction: Direction | None = None
    booking_id: int | None = Field(None, ge=1, le=ID_MAX)


class ReviewTransfer(WithToggles):
    """Every input of the request form; TransferDetails checks them in the dialog so problems can be named."""

    toggle_prefix: ClassVar[str] = CHECK_PREFIX  # the checklist toggles: check_<item>

    direction: Direction
    booking_id: int | None = Field(None, ge=1, le=ID_MAX)
    case_reference: str = Field("", max_length=64)
    child_initials: str = Field("", max_length=16)
    children_count: str = Field("1", max_length=4)
    from_team: str = Field("", max_length=160)
    to_service: str = Field("", max_length=160)
    reason: str = Field("", max_length=REASON_MAX * 2)
    outstanding_needs: str = Field("", max_length=REASON_MAX * 2)
    level_of_need: str = Field("", max_length=80)
    route: str = Field("", max_length=40)
    consent_status: str = Field("", max_length=40)
    consent_relationship: str = Field("", max_length=80)
    consent_initials: str = Field("", max_length=16)
    consent_how: str = Field("", max_length=160)
    consent_on: str = Field("", max_length=10)
    consent_risk_reason: str = Field("", max_length=REASON_MAX)
    consent_agreed_by: str = Field("", max_length=160)
    manager: str = Field("", max_length=160)
    manager_decided_on: str = Field("", max_length=10)
    discussed_with: str = Field("", max_length=160)
    discussed_on: str = Field("", max_length=10)

    def ticked(self) -> dict[str, bool]:
        return self.toggled()


class SubmitTransfer(ActionPayload):
    draft_id: int = Field(ge=1, le=ID_MAX)
    version: int = Field(ge=1, le=VERSION_MAX)


class UrgentCalled(ActionPayload):
    pass


def render_direction_picker(directions: list[Direction]) -> Json:
    body: list[Json] = [heading("New transfer request"), text("Which way is the case moving?")]
    actions = [execute(DIRECTION_TITLES[d], "transfer.start", {"direction": d.value}) for d in directions]
    if not directions:
        body.append(text("Your roles don't make transfer requests."))
    return card(body, actions[:6])


def urgent_warning_block(*, day_phone: str, out_of_hours_phone: str, front_door: str) -> Json:
    """Before anything else on a step up: a child at immediate risk means phoning now, not a form."""
    lines = [
        f"If a child is at immediate risk, phone the {front_door} now: don't use this form.",
        f"Day: {day_phone or 'see your local contacts'}. "
        f"Out of hours: {out_of_hours_phone or 'see your local contacts'}.",
    ]
    return container(
        [text("Urgent safeguarding concern?", weight="Bolder", color="Attention"), *[text(x) for x in lines]],
        style="attention",
    )


def _choice(id_: str, label: str, options: list[tuple[str, str]], value: str, *, required: bool = True) -> Json:
    out: Json = {
        "type": "Input.ChoiceSet",
        "id": id_,
        "label": label,
        "choices": [{"title": t, "value": v} for t, v in options],
        "value": value,
    }
    if required:
        out.update({"isRequired": True, "errorMessage": f"Choose {label.lower()}"})
    return out


def _text(
    id_: str, label: str, value: str, *, max_length: int, required: bool = False, multiline: bool = False
) -> Json:
    out: Json = {"type": "Input.Text", "id": id_, "label": label, "maxLength": max_length, "value": value}
    if required:
        out.update({"isRequired": True, "errorMessage": f"Enter {label.lower()}"})
    if multiline:
        out["isMultiline"] = True
    return out


def _date(id_: str, label: str, value: str, *, required: bool = False) -> Json:
    out: Json = {"type": "Input.Date", "id": id_, "label": label, "value": value}
    if required:
        out.update({"isRequired": True, "errorMessage": f"Enter {label.lower()}"})
    return out


def render_transfer_form(
    profile: PolicyProfile,
    direction: Direction,
    *,
    values: dict[str, Any] | None = None,
    problems: list[str] | None = None,
    booking_id: int | None = None,
    urgent: Json | None = None,
) -> Json:
    """The request for one direction: the profile's lists, consent, the manager's agreement, the checklist."""
    rules = profile.transfers
    given = {k: str(v) for k, v in (values or {}).items() if v is not None}
    body: list[Json] = [heading(f"New transfer request: {DIRECTION_TITLES[direction]}")]
    if urgent is not None:
        body.append(urgent)
    if problems:
        body.append(container([text(p, color="Attention") for p in problems[:12]], style="attention"))
    body.append(text("Never enter the child's name: the case reference is enough.", subtle=True))
    body.append(
        _text("case_reference", "Case reference", given.get("case_reference", ""), max_length=32, required=True)
    )
    if rules.show_initials:
        body.append(
            _text("child_initials", "Child's initials (optional)", given.get("child_initials", ""), max_length=8)
        )
    body.append(
        {
            "type": "Input.Number",
            "id": "children_count",
            "label": "Number of children in the family (the request covers them all)",
            "min": 1,
            "max": 15,
            "value": int(given.get("children_count", "1") or 1) if given.get("children_count", "1").isdigit() else 1,
            "isRequired": True,
            "errorMessage": "Enter the number of children",
        }
    )
    body.append(_choice("from_team", "From team", [(t, t) for t in rules.from_teams], given.get("from_team", "")))
    services = rules.to_services.get(direction, [])
    body.append(_choice("to_service", "To service", [(s, s) for s in services], given.get("to_service", "")))
    body.append(
        _text(
            "reason",
            "Reason for the transfer",
            given.get("reason", ""),
            max_length=REASON_MAX,
            required=True,
            multiline=True,
        )
    )
    body.append(
        _text(
            "outstanding_needs",
            "Outstanding needs",
            given.get("outstanding_needs", ""),
            max_length=REASON_MAX,
            multiline=True,
        )
    )
    if rules.level_of_need:
        body.append(
            _choice(
                "level_of_need", "Level of need", [(x, x) for x in rules.level_of_need], given.get("level_of_need", "")
            )
        )
    if route_choice_needed(direction, profile):
        body.append(_choice("route", "Route", route_options(direction, profile), given.get("route", "")))
    else:
        # The profile's route rules pick the route from the answers above (the review says which).
        body.append(text(f"{profile.authority} picks the route from your team and the receiving service.", subtle=True))

    body.append(text("The family's consent", weight="Bolder"))
    consent = [(CONSENT_TITLES[c], c.value) for c in ConsentStatus]
    body.append(_choice("consent_status", "Consent", consent, given.get("consent_status", ConsentStatus.GIVEN.value)))
    body.append(
        _text(
            "consent_relationship",
            "Given by (relationship to the child)",
            given.get("consent_relationship", ""),
            max_length=40,
        )
    )
    body.append(_text("consent_initials", "Their initials", given.get("consent_initials", ""), max_length=8))
    body.append(_text("consent_how", "How consent was given", given.get("consent_how", ""), max_length=80))
    body.append(_date("consent_on", "When consent was given", given.get("consent_on", "")))
    body.append(
        _text(
            "consent_risk_reason",
            "If not sought: why seeking it would increase the risk to the child",
            given.get("consent_risk_reason", ""),
            max_length=500,
            multiline=True,
        )
    )
    body.append(
        _text(
            "consent_agreed_by",
            "If not sought: the manager who agreed",
            given.get("consent_agreed_by", ""),
            max_length=80,
        )
    )

    body.append(text("Your manager's agreement", weight="Bolder"))
    body.append(_text("manager", "Manager who agreed", given.get("manager", ""), max_length=80, required=True))
    body.append(
        _date(
            "manager_decided_on",
            "Date of the decision in supervision",
            given.get("manager_decided_on", ""),
            required=True,
        )
    )
    if direction in (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL):
        body.append(
            _text(
                "discussed_with",
                "Coordinator you discussed it with (if any)",
                given.get("discussed_with", ""),
                max_length=80,
            )
        )
        body.append(_date("discussed_on", "Date of that discussion", given.get("discussed_on", "")))

    items = rules.checklists.get(direction, [])
    if items:
        body.append(text("Readiness checklist: tick what is done and on the record", weight="Bolder"))
        for item in items:
            key = f"{CHECK_PREFIX}{item.key}"
            body.append(
                {
                    "type": "Input.Toggle",
                    "id": key,
                    "label": item.label,
                    "title": "Done",
                    "valueOn": "true",
                    "valueOff": "false",
                    "value": given.get(key, "false"),
                }
            )
    data = {"direction": direction.value, "booking_id": booking_id}
    actions = [execute("Review", "transfer.review", data, style="positive")]
    if urgent is not None:
        actions.append(execute("I phoned about an urgent concern", "transfer.urgent_called"))
    return card(body, actions)


def render_transfer_review(
    details: TransferDetails,
    profile: PolicyProfile,
    *,
    draft_id: int,
    version: int,
    wording: str | None,
    missing: list[str],
    channel_title: str,
) -> Json:
    """What will be sent, before anything is; the checklist's gaps are said plainly."""
    consent = details.consent
    body: list[Json] = [
        heading("Check and submit"),
        facts(
            [
                ("Case reference", details.case_reference),
                ("Children", str(details.children_count)),
                ("Direction", DIRECTION_TITLES[details.direction]),
                ("From", details.from_team),
                ("To", details.to_service),
                ("Route", route_title(details, profile)),
                ("Consent", CONSENT_TITLES[consent.status]),
                ("Manager", f"{details.manager.manager}, {format_date(details.manager.decided_on)}"),
                ("Goes to", channel_title),
            ]
        ),
        text(details.reason, subtle=True),
    ]
    if wording:
        body.append(text(f"The request will say: “{wording}”", weight="Bolder"))
    if missing:
        body.append(
            container(
                [text("Not yet ticked: " + "; ".join(missing), color="Warning")],
                style="warning",
            )
        )
    ids = {"draft_id": draft_id, "version": version}
    return card(
        body,
        [
            execute("Submit the request", "transfer.submit", ids, style="positive"),
            execute("Change", "transfer.start", {"direction": details.direction.value}),
        ],
    )


def render_urgent_recorded(front_door: str) -> Json:
    return card(
        [
            heading("Recorded: a written referral is still due"),
            text(f"Thank you for phoning the {front_door}. Send the written referral as soon as you can."),
        ],
        [execute("Start the written step up", "transfer.start", {"direction": Direction.STEP_UP.value})],
    )
