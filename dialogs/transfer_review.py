"""The request form's stages and its review: each Next or Back keeps what was typed in the draft; the review
checks everything at once and opens the stage that fixes a problem (dialogs/transfer_requests.py starts and
submits the request)."""

from __future__ import annotations

from typing import Any

from pydantic import ValidationError

from cards.common import render_error
from cards.payloads import form_date
from cards.transfer_forms import CHECK_PREFIX, ReviewTransfer
from cards.transfer_stages import STAGES, Stage, StepTransfer, render_transfer_review
from dialogs.clinic_rules import calendar_of
from dialogs.router import Router
from dialogs.transfer_requests import DRAFT_TTL, FLOW, REQUESTERS, channel_title, directions_for, request_form
from dialogs.turn import Reply, Services, Turn
from domain.transfers import (
    ConsentStatus,
    Route,
    TransferDetails,
    missing_checklist,
    receiving_channel,
    request_problems,
    routed,
    wording_for,
)

router = Router()


# -- review and submit ---------------------------------------------------------------------------------------------


def details_from(payload: ReviewTransfer) -> dict[str, Any]:
    """The form's flat inputs as TransferDetails' shape (still to be validated)."""
    status = payload.consent_status or ConsentStatus.GIVEN.value
    return {
        "case_reference": payload.case_reference,
        "child_initials": payload.child_initials,
        "children_count": payload.children_count or "1",
        "direction": payload.direction.value,
        "from_team": payload.from_team,
        "to_service": payload.to_service,
        "reason": payload.reason,
        "outstanding_needs": payload.outstanding_needs,
        "level_of_need": payload.level_of_need,
        "route": payload.route or Route.DIRECT.value,
        "consent": {
            "status": status,
            "relationship": payload.consent_relationship,
            "initials": payload.consent_initials,
            "how": payload.consent_how,
            "on": form_date(payload.consent_on),
            "risk_reason": payload.consent_risk_reason,
            "agreed_by": payload.consent_agreed_by,
            "scopes": payload.scopes(),
        },
        "manager": {"manager": payload.manager, "decided_on": form_date(payload.manager_decided_on)},
        "checklist": payload.ticked(),
        "discussed_with": payload.discussed_with,
        "discussed_on": form_date(payload.discussed_on),
        "booking_id": payload.booking_id,
    }


_FIELD_WORDS = {
    "case_reference": "the case reference",
    "child_initials": "the child's initials (letters only)",
    "children_count": "the number of children",
    "from_team": "your team",
    "to_service": "the receiving service",
    "reason": "the reason",
    "outstanding_needs": "the outstanding needs",
    "route": "the route",
    "consent": "the family's consent: who gave it, their initials, how and when",
    "manager": "your manager's name and the date of the decision",
}


def _problems_of(exc: ValidationError) -> list[str]:
    fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
    return [f"Please check {_FIELD_WORDS.get(f, f.replace('_', ' '))}." for f in fields]


# Which stage of the form asks for each field, so a problem found at the review opens the stage that fixes it.
_STAGE_OF: dict[str, Stage] = {
    "consent": "consent",
    "manager": "agreement",
    "discussed_with": "agreement",
    "discussed_on": "agreement",
    "checklist": "agreement",
}


def _stage_for(fields: list[str], problems: list[str]) -> Stage:
    stages = [_STAGE_OF.get(f, "case") for f in fields]
    for problem in problems:
        words = problem.lower()
        if "consent" in words:
            stages.append("consent")
        elif "manager" in words or "discussion" in words or "checklist" in words:
            stages.append("agreement")
        else:
            stages.append("case")
    return min(stages, key=STAGES.index) if stages else "case"


async def _reviewed(turn: Turn, services: Services, payload: ReviewTransfer, values: dict[str, Any]) -> Reply:
    """Everything checked at once: the review card, or the stage where the first problem is, saying what."""
    if payload.direction not in directions_for(turn, services):
        return Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
    calendar = calendar_of(services)
    today = calendar.local_date(turn.now)
    fields: list[str] = []
    try:
        details = routed(TransferDetails.model_validate(details_from(payload)), services.profile)
        problems = request_problems(details, services.profile, today=today)
    except ValidationError as exc:
        problems = _problems_of(exc)
        fields = sorted({str(err["loc"][0]) for err in exc.errors() if err["loc"]})
    if problems:
        stage = _stage_for(fields, problems)
        form = request_form(
            services,
            payload.direction,
            values=values,
            problems=problems,
            booking_id=payload.booking_id,
            stage=stage,
            today=today,
        )
        return Reply(cards=[form])
    channel = receiving_channel(details, services.profile)
    async with services.uow() as uow:
        draft = await uow.drafts.start(
            turn.actor.tenant_id,
            turn.actor.object_id,
            FLOW,
            {**values, "details": details.model_dump(mode="json")},
            turn.now,
            DRAFT_TTL,
        )
    card = render_transfer_review(
        details,
        services.profile,
        draft_id=draft.id,
        version=draft.version,
        wording=wording_for(details, services.profile),
        missing=[item.label for item in missing_checklist(details, services.profile)],
        channel_title=channel_title(channel, services),
    )
    return Reply(cards=[card])


@router.action("transfer.review", payload=ReviewTransfer, roles=REQUESTERS)
async def review(turn: Turn, services: Services, payload: ReviewTransfer) -> Reply:
    """Every input at once (a card from before the form came in stages)."""
    return await _reviewed(turn, services, payload, payload.model_dump(exclude={"verb", "v"}))


def _sent(payload: StepTransfer) -> dict[str, Any]:
    """What this stage's card sent: its inputs and toggles, not the step's own fields."""
    sent = payload.model_dump(exclude_unset=True, exclude={"verb", "v", "stage", "go"})
    return {**sent, **(payload.model_extra or {})}


@router.action("transfer.step", payload=StepTransfer, roles=REQUESTERS)
async def step(turn: Turn, services: Services, payload: StepTransfer) -> Reply:
    """Next, Back or Review on a stage: what it sent joins the draft, then the stage asked for (or the review)."""
    if payload.direction not in directions_for(turn, services):
        return Reply(cards=[render_error("You can't ask for that", "Your roles don't make that kind of request.")])
    async with services.uow() as uow:
        draft = await uow.drafts.get(turn.actor.tenant_id, turn.actor.object_id, FLOW, turn.now)
        kept = {k: v for k, v in (draft.data if draft else {}).items() if k != "details"}
        if kept.get("direction") not in (None, payload.direction.value):
            kept = {}  # an unfinished request for another direction is not this one
        sent = _sent(payload)
        if payload.start_again:
            kept, sent = {}, {}  # "Start again": nothing of the earlier request stays
        values = {**kept, **sent, "direction": payload.direction.value, "booking_id": payload.booking_id}
        await uow.drafts.start(turn.actor.tenant_id, turn.actor.object_id, FLOW, values, turn.now, DRAFT_TTL)
    today = calendar_of(services).local_date(turn.now)
    if payload.go == "review":
        known = {k: v for k, v in values.items() if k in ReviewTransfer.model_fields or k.startswith(CHECK_PREFIX)}
        try:
            full = ReviewTransfer.model_validate({**known, "verb": "transfer.review"})
        except ValidationError as exc:
            problems = _problems_of(exc)
            return Reply(
                cards=[request_form(services, payload.direction, values=values, problems=problems, today=today)]
            )
        return await _reviewed(turn, services, full, values)
    form = request_form(
        services, payload.direction, values=values, booking_id=payload.booking_id, stage=payload.go, today=today
    )
    return Reply(cards=[form])
