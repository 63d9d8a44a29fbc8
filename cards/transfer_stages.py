"""The transfer request in short stages (the case and the move; the family's consent; the manager's agreement and
the checklist), each with Back, and the review of everything that will be sent."""

from __future__ import annotations

from datetime import date
from typing import Any, Literal

from cards.elements import Json, card, container, execute, facts, heading, not_now, text
from cards.transfer_forms import CHECK_PREFIX, ReviewTransfer, choice_input, date_input, text_input
from domain.consent_terms import METHOD_TITLES, REQUEST_STATUSES, SCOPE_SHORT, SCOPE_TITLES, ConsentMethod, method_of
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

# The request in short stages, each with Back; what was typed is kept in the database draft between them.
STAGES = ("case", "consent", "agreement")
STAGE_TITLES = {
    "case": "The case and the move",
    "consent": "The family's consent",
    "agreement": "Your manager's agreement and the checklist",
    "review": "Check and submit",
}
CONSENT_SHORT = {
    ConsentStatus.GIVEN: "Given",
    ConsentStatus.REFUSED: "Refused",
    ConsentStatus.NOT_SOUGHT_RISK: "Not sought (risk)",
}
Stage = Literal["case", "consent", "agreement"]
Going = Literal["case", "consent", "agreement", "review"]


class StepTransfer(ReviewTransfer):
    """A stage's Next or Back: the stage's inputs (kept in the draft) and where to go."""

    stage: Stage
    go: Going
    start_again: bool = False  # the first stage's "Start again": the earlier request's answers go


def _step(title: str, direction: Direction, booking_id: int | None, stage: str, go: str, **extra: Any) -> Json:
    data = {"direction": direction.value, "booking_id": booking_id, "stage": stage, "go": go, **extra}
    action = execute(title, "transfer.step", data, style="positive" if go != "back" else None)
    return action


def _back(direction: Direction, booking_id: int | None, stage: str, go: str) -> Json:
    """Back keeps what earlier stages saved; what is typed on this one since it opened is not checked."""
    action = execute(
        "Back", "transfer.step", {"direction": direction.value, "booking_id": booking_id, "stage": stage, "go": go}
    )
    action["associatedInputs"] = "none"
    return action


def render_transfer_form(
    profile: PolicyProfile,
    direction: Direction,
    *,
    values: dict[str, Any] | None = None,
    problems: list[str] | None = None,
    booking_id: int | None = None,
    urgent: Json | None = None,
    stage: Stage = "case",
    today: date | None = None,
    resumed: bool = False,
) -> Json:
    """One stage of the request for one direction: the case and the move; the family's consent; the manager's
    agreement and the checklist. Then the review."""
    given = {k: str(v) for k, v in (values or {}).items() if v is not None}
    number = STAGES.index(stage) + 1
    body: list[Json] = [heading(f"New transfer request: {DIRECTION_TITLES[direction]}")]
    if urgent is not None and stage == "case":
        body.append(urgent)  # before anything else: a child at immediate risk means phoning, not a form
    body.append(text(f"Step {number} of {len(STAGES) + 1}: {STAGE_TITLES[stage]}", weight="Bolder"))
    if problems:
        body.append(container([text(p) for p in problems[:12]], style="attention"))
    if resumed and stage == "case":
        again = {"direction": direction.value, "booking_id": booking_id, "stage": "case", "go": "case"}
        restart = not_now("transfer.step", {**again, "start_again": True}, title="Start again")
        body.append(
            container(
                [
                    text("This carries on the request you started earlier: check the case reference.", weight="Bolder"),
                    {"type": "ActionSet", "actions": [restart]},
                ],
                style="emphasis",
            )
        )
    actions: list[Json] = []
    if stage == "case":
        body += _case_inputs(profile, direction, given)
    elif stage == "consent":
        body += _consent_inputs(profile, direction, booking_id, given, today)
    else:
        body += _agreement_inputs(profile, direction, given, today)
    if number > 1:
        actions.append(_back(direction, booking_id, stage, STAGES[number - 2]))
    else:
        actions.append(not_now("transfer.mine"))  # what was sent with Next is kept for when they come back
    if number < len(STAGES):
        following = STAGES[number]
        extra = (
            {"consent_status": given["consent_status"]} if stage == "consent" and given.get("consent_status") else {}
        )
        if stage != "consent" or extra:
            actions.insert(0, _step("Next", direction, booking_id, stage, following, **extra))
    else:
        actions.insert(0, _step("Review", direction, booking_id, stage, "review"))
    return card(body, actions)


def _case_inputs(profile: PolicyProfile, direction: Direction, given: dict[str, str]) -> list[Json]:
    rules = profile.transfers
    body: list[Json] = [text("Never enter the child's name: the case reference is enough.", subtle=True)]
    body.append(
        text_input("case_reference", "Case reference", given.get("case_reference", ""), max_length=32, required=True)
    )
    if rules.show_initials:
        body.append(
            text_input("child_initials", "Child's initials (optional)", given.get("child_initials", ""), max_length=8)
        )
    count = given.get("children_count", "1")
    body.append(
        {
            "type": "Input.Number",
            "id": "children_count",
            "label": "Number of children in the family (the request covers them all)",
            "min": 1,
            "max": 15,
            "value": int(count) if count.isdigit() else 1,
            "isRequired": True,
            "errorMessage": "Enter the number of children, from 1 to 15",
        }
    )
    body.append(choice_input("from_team", "From team", [(t, t) for t in rules.from_teams], given.get("from_team", "")))
    services = rules.to_services.get(direction, [])
    body.append(choice_input("to_service", "To service", [(s, s) for s in services], given.get("to_service", "")))
    body.append(
        text_input(
            "reason",
            "Reason for the transfer",
            given.get("reason", ""),
            max_length=REASON_MAX,
            required=True,
            multiline=True,
        )
    )
    body.append(
        text_input(
            "outstanding_needs",
            "Outstanding needs",
            given.get("outstanding_needs", ""),
            max_length=REASON_MAX,
            multiline=True,
        )
    )
    if rules.level_of_need:
        body.append(
            choice_input(
                "level_of_need", "Level of need", [(x, x) for x in rules.level_of_need], given.get("level_of_need", "")
            )
        )
    if route_choice_needed(direction, profile):
        body.append(choice_input("route", "Route", route_options(direction, profile), given.get("route", "")))
    else:
        # The profile's route rules pick the route from the answers above (the review says which).
        body.append(text(f"{profile.authority} picks the route from your team and the receiving service.", subtle=True))
    return body


def _consent_inputs(
    profile: PolicyProfile, direction: Direction, booking_id: int | None, given: dict[str, str], today: date | None
) -> list[Json]:
    """First the answer, as three buttons; then only the fields that answer needs."""
    chosen = given.get("consent_status", "")
    body: list[Json] = [text("What did the family say?")]
    answers = []
    for status in REQUEST_STATUSES:
        title = CONSENT_SHORT[status]
        action = _step(title, direction, booking_id, "consent", "consent", consent_status=status.value)
        action["associatedInputs"] = "none"
        action["style"] = "positive" if status.value == chosen else "default"
        answers.append(action)
    body.append({"type": "ActionSet", "actions": answers})
    if chosen == ConsentStatus.GIVEN.value:
        body.append(text(f"Answer: {CONSENT_TITLES[ConsentStatus.GIVEN]}", weight="Bolder"))
        body.append(
            text_input(
                "consent_relationship",
                "Given by (relationship to the child)",
                given.get("consent_relationship", ""),
                max_length=40,
                required=True,
            )
        )
        body.append(
            text_input(
                "consent_initials", "Their initials", given.get("consent_initials", ""), max_length=8, required=True
            )
        )
        how = method_of(given.get("consent_how", ""))
        methods = [(METHOD_TITLES[m].capitalize(), m.value) for m in ConsentMethod]
        body.append(choice_input("consent_how", "How consent was given", methods, how.value if how else ""))
        body.append(
            date_input(
                "consent_on", "When consent was given", given.get("consent_on", ""), required=True, max_day=today
            )
        )
        offered = profile.consent.scopes
        if offered:
            chosen_scopes = [v for v in given.get("consent_scopes", "").split(",") if v in {o.value for o in offered}]
            scopes: Json = {
                "type": "Input.ChoiceSet",
                "id": "consent_scopes",
                "label": "What the family consented to (tick each)",
                "isMultiSelect": True,
                "style": "expanded",
                "choices": [{"title": SCOPE_TITLES[o], "value": o.value} for o in offered],
            }
            if chosen_scopes:
                scopes["value"] = ",".join(chosen_scopes)
            body.append(scopes)
    elif chosen == ConsentStatus.NOT_SOUGHT_RISK.value:
        body.append(text(f"Answer: {CONSENT_TITLES[ConsentStatus.NOT_SOUGHT_RISK]}", weight="Bolder"))
        body.append(
            text_input(
                "consent_risk_reason",
                "Why seeking consent would increase the risk to the child",
                given.get("consent_risk_reason", ""),
                max_length=500,
                multiline=True,
                required=True,
            )
        )
        body.append(
            text_input(
                "consent_agreed_by",
                "The manager who agreed not to seek it",
                given.get("consent_agreed_by", ""),
                max_length=80,
                required=True,
            )
        )
    elif chosen == ConsentStatus.REFUSED.value:
        body.append(text(f"Answer: {CONSENT_TITLES[ConsentStatus.REFUSED]}", weight="Bolder"))
        body.append(text("Where the procedure needs consent, the review will say the request cannot go."))
    else:
        body.append(text("Choose an answer to go on.", subtle=True))
    return body


def _agreement_inputs(
    profile: PolicyProfile, direction: Direction, given: dict[str, str], today: date | None
) -> list[Json]:
    body: list[Json] = [
        text_input("manager", "Manager who agreed", given.get("manager", ""), max_length=80, required=True),
        date_input(
            "manager_decided_on",
            "Date of the decision in supervision",
            given.get("manager_decided_on", ""),
            required=True,
            max_day=today,
        ),
    ]
    if direction in (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL):
        body.append(
            text_input(
                "discussed_with",
                "Coordinator you discussed it with (if any)",
                given.get("discussed_with", ""),
                max_length=80,
            )
        )
        body.append(date_input("discussed_on", "Date of that discussion", given.get("discussed_on", ""), max_day=today))
    items = profile.transfers.checklists.get(direction, [])
    if items:
        body.append(text("Readiness checklist: tick what is done and on the record", weight="Bolder"))
        for item in items:
            key = f"{CHECK_PREFIX}{item.key}"
            body.append(
                {
                    "type": "Input.Toggle",
                    "id": key,
                    "title": item.label,
                    "valueOn": "true",
                    "valueOff": "false",
                    "value": given.get(key, "false"),
                    "wrap": True,
                }
            )
    return body


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
    rows = [
        ("Case reference", details.case_reference),
        ("Children", str(details.children_count)),
        ("Direction", DIRECTION_TITLES[details.direction]),
        ("From", details.from_team),
        ("To", details.to_service),
        ("Route", route_title(details, profile)),
        ("Consent", _consent_words(details)),
        ("Manager", f"{details.manager.manager}, {format_date(details.manager.decided_on)}"),
    ]
    if details.level_of_need:
        rows.append(("Level of need", details.level_of_need))
    if details.discussed_with:
        on = f", {format_date(details.discussed_on)}" if details.discussed_on else ""
        rows.append(("Discussed with", f"{details.discussed_with}{on}"))
    rows.append(("Goes to", channel_title))
    body: list[Json] = [
        heading(f"New transfer request: {DIRECTION_TITLES[details.direction]}"),
        text(f"Step {len(STAGES) + 1} of {len(STAGES) + 1}: {STAGE_TITLES['review']}", weight="Bolder"),
        facts(rows),
        text("Reason", weight="Bolder"),
        text(details.reason),
    ]
    if details.outstanding_needs:
        body += [text("Outstanding needs", weight="Bolder"), text(details.outstanding_needs)]
    if details.consent.risk_reason:
        body += [text("Why consent was not sought", weight="Bolder"), text(details.consent.risk_reason)]
    body.append(text("Only the case reference, the direction and the services show in the channel.", subtle=True))
    if wording:
        body.append(text(f"The request will say: “{wording}”", weight="Bolder"))
    if missing:
        body.append(
            container(
                [text("Not yet ticked: " + "; ".join(missing))],
                style="warning",
            )
        )
    ids = {"draft_id": draft_id, "version": version}
    return card(
        body,
        [
            execute("Submit the request", "transfer.submit", ids, style="positive"),
            _back(details.direction, details.booking_id, "agreement", "agreement"),
        ],
    )


def _consent_words(details: TransferDetails) -> str:
    consent = details.consent
    words = CONSENT_TITLES[consent.status]
    if consent.status is ConsentStatus.GIVEN and consent.scopes:
        words += "; scope: " + ", ".join(SCOPE_SHORT[s] for s in consent.scopes)
    return words
