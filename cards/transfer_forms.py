"""Cards a requester fills in: the request's payloads, choosing the direction, the urgent warning, and the
confirmation once sent (the form's stages and its review are in cards/transfer_stages.py)."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from pydantic import Field, field_validator

from cards.elements import Json, card, container, execute, facts, heading, text
from cards.payloads import ID_MAX, VERSION_MAX, ActionPayload, WithToggles
from domain.directions import DIRECTION_TITLES, Direction
from domain.profiles import PolicyProfile
from domain.transfer_record import Transfer
from domain.transfers import (
    REASON_MAX,
)

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

    @field_validator("children_count", mode="before")
    @classmethod
    def _number_as_typed(cls, value: object) -> object:
        """Teams' renderer sends an Input.Number as a JSON number, and a text field as a string: take either."""
        return str(value) if isinstance(value, int) and not isinstance(value, bool) else value

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
    consent_scopes: str = Field("", max_length=400)  # the multi-select's comma-separated values
    manager: str = Field("", max_length=160)
    manager_decided_on: str = Field("", max_length=10)
    discussed_with: str = Field("", max_length=160)
    discussed_on: str = Field("", max_length=10)

    def ticked(self) -> dict[str, bool]:
        return self.toggled()

    def scopes(self) -> list[str]:
        return [s.strip() for s in self.consent_scopes.split(",") if s.strip()]


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
    """Before anything else on a step up: a child at immediate risk means phoning now, not a form.

    The numbers come from configuration; where they are not set the card never pretends a placeholder is a
    number: it says so and who to ask. The "I phoned" button sits here, with the warning.
    """
    lines = [f"If a child is at immediate risk, phone the {front_door} now: don't use this form."]
    if day_phone or out_of_hours_phone:
        day = day_phone or "ask your manager for the number"
        night = out_of_hours_phone or "ask your manager for the number"
        lines.append(f"Day: {day}. Out of hours: {night}.")
    if not (day_phone and out_of_hours_phone):
        lines.append(
            f"The {front_door}'s phone numbers are not all set in this bot: ask your manager for them now, "
            "and tell your administrator they are missing."
        )
    called = {"type": "ActionSet", "actions": [execute("I phoned about an urgent concern", "transfer.urgent_called")]}
    return container(
        [text("Urgent safeguarding concern?", weight="Bolder"), *[text(x) for x in lines], called],
        style="attention",
    )


def choice_input(id_: str, label: str, options: list[tuple[str, str]], value: str, *, required: bool = True) -> Json:
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


def text_input(
    id_: str, label: str, value: str, *, max_length: int, required: bool = False, multiline: bool = False
) -> Json:
    out: Json = {"type": "Input.Text", "id": id_, "label": label, "maxLength": max_length, "value": value}
    if required:
        out.update({"isRequired": True, "errorMessage": f"Enter {label.lower()}"})
    if multiline:
        out["isMultiline"] = True
    return out


def date_input(id_: str, label: str, value: str, *, required: bool = False, max_day: date | None = None) -> Json:
    out: Json = {"type": "Input.Date", "id": id_, "label": label, "value": value}
    if required:
        out.update({"isRequired": True, "errorMessage": f"Enter {label.lower()}"})
    if max_day is not None:
        out["max"] = max_day.isoformat()
        out["errorMessage"] = f"Enter {label.lower()}: today or earlier"
    return out


def render_transfer_sent(
    transfer: Transfer, profile: PolicyProfile, *, sent_to: str, comes_back_here: bool, next_due: str
) -> Json:
    """The requester's short confirmation: the request itself lives only in the bot's own message."""
    body: list[Json] = [
        heading(f"Sent to {sent_to}: {transfer.case_reference}"),
        facts([("Direction", DIRECTION_TITLES[transfer.direction]), ("Next deadline", next_due)]),
    ]
    if comes_back_here:
        body.append(
            container(
                [
                    text(
                        f"Local mode: no channel is set for {sent_to}, so the request comes back to this chat. "
                        "Act on it here as the receiving side would.",
                        weight="Bolder",
                    )
                ],
                style="emphasis",
            )
        )
    body.append(text("You'll be told of each decision in this chat.", subtle=True))
    return card(
        body,
        [
            execute("Open the request", "transfer.refresh", {"record_id": transfer.id}),
            execute("My transfers", "transfer.mine"),
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
