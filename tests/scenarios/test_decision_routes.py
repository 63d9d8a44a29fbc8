"""Each authority's decision route, through the real endpoint with configured roles (issue 11).

The profiles' route rules ([[transfers.route_rules]]) say which route a request takes from its direction and
answers, where its card goes and who decides it there; each test follows one authority's corrected route.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from storage.tables import TransferRow
from tests.conftest import (
    ASSESSMENT_WORKER,
    CHAIR,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    EARLY_HELP_MANAGER,
    EARLY_HELP_WORKER,
    FRONT_DOOR_CHANNEL,
    FRONT_DOOR_DECIDER,
    MANAGERS_CHANNEL,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat, Person
from tests.scenarios.booking_steps import GOOD_DETAILS, open_clinics, press, slot_buttons
from tests.scenarios.outcome_steps import audited, deadline_rows, record_outcome, transfer_row, view
from tests.scenarios.transfer_steps import (
    STEP_DOWN,
    STEP_UP,
    filled,
    set_roster,
    set_up_channels,
    start_request,
    submit_request,
)


async def _bot(start_bot: Any, profile: str) -> BotUnderTest:
    bot: BotUnderTest = await start_bot(profile=profile, managers_channel_id=MANAGERS_CHANNEL.id)
    await set_up_channels(bot)
    return bot


async def _row(bot: BotUnderTest, case_reference: str) -> TransferRow:
    async with bot.runtime.services.uow() as uow:
        row = await uow.session.scalar(select(TransferRow).where(TransferRow.case_reference == case_reference))
        assert row is not None, f"{case_reference} was not sent"
        return row


async def _request(
    bot: BotUnderTest, person: Person, direction: str | None, base: dict[str, Any], **values: Any
) -> tuple[dict[str, Any], dict[str, Any]]:
    """The request form (after picking `direction` where the person has several) and the card submitting it gives."""
    form = await start_request(bot, person)
    if direction is not None and buttons(form, "transfer.start"):
        form = await press(bot, person, button(form, "transfer.start", direction))
    sent = await submit_request(bot, person, form, **filled(form, base, **values))
    await bot.deliver()
    return form, sent


def _titles(card: dict[str, Any]) -> set[str]:
    return {b["title"] for b in buttons(card)}


def _posted_to(calls: list[Any], chat: Chat, case_reference: str) -> bool:
    return any(c.conversation_id == chat.id and case_reference in str(c.cards) for c in calls)


# -- Dorset -----------------------------------------------------------------------------------------------------
async def test_dorset_a_step_up_goes_to_the_locality_meeting_not_to_chad(start_bot: Any) -> None:
    """000 Dorset, 5.1: the early help team manager considers a step up "via Locality Step Up/Step Down Meeting";
    ChAD is phoned only where there is significant harm."""
    bot = await _bot(start_bot, "dorset")
    set_roster(bot, COORDINATORS_CHANNEL, (COORDINATOR, EARLY_HELP_MANAGER, FRONT_DOOR_DECIDER))
    mark = bot.connector.snapshot()
    form, _sent = await _request(
        bot, EARLY_HELP_WORKER, None, STEP_UP, from_team="Locality Early Help team", manager="E.M."
    )
    # The form warns of the urgent route (ChAD) and asks for no route: the profile picks the meeting.
    assert "phone the ChAD now" in shown_text(form)
    assert "route" not in inputs(form)
    row = await _row(bot, "DEMO-0202")
    assert (row.direction, row.route, row.receiving_channel) == ("step_up", "weekly_meeting", "coordinators")
    calls = bot.connector.since(mark)
    assert _posted_to(calls, COORDINATORS_CHANNEL, "DEMO-0202")
    assert not _posted_to(calls, FRONT_DOOR_CHANNEL, "DEMO-0202")

    # The early help team manager, at the meeting, sees it and may schedule it; nobody accepts outside the meeting.
    manager = await view(bot, EARLY_HELP_MANAGER, row.id)
    assert "DEMO-0202" in shown_text(manager)
    assert "Schedule" in _titles(manager)
    assert not {"Accept and allocate", "Threshold met", "Decline"} & _titles(manager)
    # The meeting's administrator (the coordinator role) sees it, under its Dorset name.
    administrator = await view(bot, COORDINATOR, row.id)
    assert "Schedule" in _titles(administrator)
    # ChAD's consultant social worker is not its decider: not even in the meeting's channel.
    chad = await view(bot, FRONT_DOOR_DECIDER, row.id)
    assert "That request is not one you are on" in shown_text(chad) and not _titles(chad) & {"Threshold met"}

    # The meeting's chair records the outcome: agreed, it is accepted.
    await record_outcome(bot, CHAIR, row.id, "Agreed", lead_practitioner="S.W.")
    assert (await transfer_row(bot, row.id)).state == "accepted"


async def test_dorset_cwad_requests_go_manager_to_manager_not_to_the_meeting(start_bot: Any) -> None:
    """000 Dorset, 6.1: within CWAD a step up or down "is currently managed by manager-to-manager discussion"."""
    bot = await _bot(start_bot, "dorset")
    await _request(
        bot,
        SOCIAL_WORKER,
        "Step down to early help",
        STEP_DOWN,
        from_team="Children who are disabled (CWAD)",
        discussed_with="",
        discussed_on="",
    )
    row = await _row(bot, "DEMO-0101")
    assert (row.route, row.receiving_channel) == ("manager_agreement", "managers")
    # The receiving team manager decides it (no meeting): Accept is theirs.
    manager = await view(bot, TEAM_MANAGER, row.id)
    assert "Accept and allocate" in _titles(manager)


# -- York -------------------------------------------------------------------------------------------------------
async def _accept(bot: BotUnderTest, who: Person, transfer_id: int, **values: Any) -> dict[str, Any]:
    card = await view(bot, who, transfer_id)
    form = await press(bot, who, button(card, "transfer.form", "Accept and allocate"))
    team = inputs(form)["team"]["choices"][0]["value"]
    return await press(bot, who, button(form, "transfer.decide"), team=team, **values)


async def test_york_a_partner_led_step_down_goes_on_to_closure_without_the_meeting(start_bot: Any) -> None:
    """004 York, step down 1-3: a partner-led plan "Closure will then continue (see point 5)"; only Targeted
    Intervention "is to be brought to the weekly transfer meeting" (step down 4)."""
    bot = await _bot(start_bot, "york")
    partner = "Partner-led early help (lead professional)"
    await _request(bot, SOCIAL_WORKER, "Step down to early help", STEP_DOWN, to_service=partner, from_team="MASH")
    row = await _row(bot, "DEMO-0101")
    assert (row.route, row.receiving_channel) == ("direct", "coordinators")
    # No meeting: the chair has nothing to record; the practice manager accepts it.
    chair = await view(bot, CHAIR, row.id)
    assert not buttons(chair, "outcome.start")
    accepted = await _accept(bot, COORDINATOR, row.id, worker="L.P.")
    assert "Accepted" in shown_text(accepted)
    assert (await transfer_row(bot, row.id)).state == "accepted"

    # Targeted Intervention goes to the weekly transfer meeting: no Accept, the chair records the outcome, and the
    # social worker hears that the team around the child is told after the allocation.
    await _request(
        bot,
        SOCIAL_WORKER,
        "Step down to early help",
        STEP_DOWN,
        case_reference="DEMO-0102",
        to_service="Targeted Intervention Service",
        from_team="Assessment Team",
    )
    ti = await _row(bot, "DEMO-0102")
    assert ti.route == "weekly_meeting"
    coordinator = await view(bot, COORDINATOR, ti.id)
    assert "Accept and allocate" not in _titles(coordinator)
    form = await press(bot, SOCIAL_WORKER, {"verb": "transfer.start", "data": {"direction": "step_down_early_help"}})
    assert "team around the child" not in shown_text(form), "not on the checklist before allocation"
    mark = bot.connector.snapshot()
    await record_outcome(bot, CHAIR, ti.id, "Agreed", lead_practitioner="E.W.", extra_time_frame="Six weeks")
    await bot.deliver()
    told = [c for c in bot.connector.since(mark) if c.conversation_id == Chat.personal(SOCIAL_WORKER).id]
    assert any("Next: tell the team around the child" in str(c.cards) for c in told)


async def test_york_a_step_up_goes_to_mash_from_a_partner_and_to_the_duty_manager_from_targeted_help(
    start_bot: Any,
) -> None:
    """004 York, stepping up: a partner lead professional refers to MASH (1 working day); targeted Early Help
    discusses it with the assessment service manager on duty."""
    bot = await _bot(start_bot, "york")
    await _request(bot, EARLY_HELP_WORKER, None, STEP_UP, from_team="Partner agency lead professional")
    partner = await _row(bot, "DEMO-0202")
    assert (partner.route, partner.receiving_channel) == ("direct", "front_door")
    mash = await view(bot, FRONT_DOOR_DECIDER, partner.id)
    assert "Threshold met" in _titles(mash)
    assert "MASH decision on next steps" in shown_text(mash)

    await _request(bot, EARLY_HELP_WORKER, None, STEP_UP, case_reference="DEMO-0203", from_team="Targeted Early Help")
    targeted = await _row(bot, "DEMO-0203")
    assert (targeted.route, targeted.receiving_channel) == ("manager_agreement", "managers")
    duty = await view(bot, TEAM_MANAGER, targeted.id)
    assert "Accept and allocate" in _titles(duty)
    assert "MASH decision on next steps" not in shown_text(duty), "the 1 working day is the partner's route only"
    # MASH does not decide it.
    refused = await view(bot, FRONT_DOOR_DECIDER, targeted.id)
    assert "That request is not one you are on" in shown_text(refused)
    accepted = await _accept(bot, TEAM_MANAGER, targeted.id, worker="S.W.")
    assert "Accepted" in shown_text(accepted)


# -- Cheshire East ----------------------------------------------------------------------------------------------
async def test_cheshire_east_a_step_down_with_a_lead_person_goes_direct_and_without_one_to_the_meeting(
    start_bot: Any,
) -> None:
    """001 Cheshire East, 3.1 point 2 and 4.1 point 2: the Step Up/Step Down meeting only when no lead person is
    identified."""
    bot = await _bot(start_bot, "cheshire_east")
    lead = "Lead person from the CiN plan's professionals"
    form, _sent = await _request(bot, SOCIAL_WORKER, "Step down to early help", STEP_DOWN, to_service=lead)
    assert "route" not in inputs(form), "the answers pick the route"
    direct = await _row(bot, "DEMO-0101")
    assert (direct.route, direct.receiving_channel) == ("direct", "coordinators")
    coordinator = await view(bot, COORDINATOR, direct.id)
    assert "Accept and allocate" in _titles(coordinator)
    assert not buttons(await view(bot, CHAIR, direct.id), "outcome.start"), "no meeting: nothing for the chair"

    await _request(
        bot,
        SOCIAL_WORKER,
        "Step down to early help",
        STEP_DOWN,
        case_reference="DEMO-0102",
        to_service="Early Help worker (allocated at the meeting)",
    )
    booked = await _row(bot, "DEMO-0102")
    assert booked.route == "weekly_meeting"
    assert "Accept and allocate" not in _titles(await view(bot, COORDINATOR, booked.id))
    await record_outcome(bot, CHAIR, booked.id, "Agreed", lead_practitioner="E.W.")
    assert (await transfer_row(bot, booked.id)).state == "accepted"


async def test_cheshire_east_a_step_up_agreed_at_the_meeting_is_then_accepted_by_checs(start_bot: Any) -> None:
    """001 Cheshire East, 6.1 point 3: "If agreed at Step Up/Step Down meeting the referral will be accepted by
    ChECS ... by the ChECS representative in attendance at the meeting"."""
    bot = await _bot(start_bot, "cheshire_east")
    form = await start_request(bot, EARLY_HELP_WORKER)
    routes = {c["title"]: c["value"] for c in inputs(form)["route"]["choices"]}
    assert routes == {
        "Immediate safeguarding: referral straight to ChECS": "direct",
        "Early Help not progressing: the Step Up/Step Down meeting (weekly)": "weekly_meeting",
    }
    await submit_request(bot, EARLY_HELP_WORKER, form, **filled(form, STEP_UP, route="weekly_meeting"))
    await bot.deliver()
    row = await _row(bot, "DEMO-0202")
    assert (row.route, row.receiving_channel) == ("weekly_meeting", "coordinators")
    # Before the meeting agrees, the ChECS representative (in the meeting's channel) accepts nothing.
    checs = await view(bot, FRONT_DOOR_DECIDER, row.id)
    assert not {"Threshold met", "Accept and allocate"} & _titles(checs)
    assert "Agreed at the Step Up/Step Down meeting: not yet" in shown_text(checs)
    forced = await press(
        bot,
        FRONT_DOOR_DECIDER,
        {"verb": "transfer.act", "data": {"record_id": row.id, "version": row.version, "event": "threshold_met"}},
    )
    assert "Agreed at the Step Up/Step Down meeting comes first" in shown_text(forced)
    # The chair records the meeting's agreement (not an accepting outcome).
    chair = await view(bot, CHAIR, row.id)
    assert "Authorise" in _titles(chair)
    agreed = await press(bot, CHAIR, button(chair, "transfer.act", "Authorise"))
    assert "Agreed at the Step Up/Step Down meeting by M.C." in shown_text(agreed)
    # ChECS's 24 hours to create the referral run from the meeting's agreement.
    assert "Referral created for the area team" in shown_text(agreed)
    checs = await view(bot, FRONT_DOOR_DECIDER, row.id)
    assert "Threshold met" in _titles(checs)
    allocate = await press(bot, FRONT_DOOR_DECIDER, button(checs, "transfer.form", "Threshold met"))
    team = inputs(allocate)["team"]["choices"][0]["value"]
    why = "The meeting found significant harm likely."
    await press(bot, FRONT_DOOR_DECIDER, button(allocate, "transfer.decide"), team=team, worker="D.S.", reason=why)
    assert (await transfer_row(bot, row.id)).state == "accepted"


# -- Redcar -----------------------------------------------------------------------------------------------------
FIELD = "Field social work team"


async def test_redcars_clinic_form_offers_no_step_down_to_universal_services(start_bot: Any) -> None:
    """002 Redcar, 1.1: the clinic is for a step down to early help; Redcar's profile has no universal step down."""
    bot = await _bot(start_bot, "redcar")
    picker = await open_clinics(bot, SOCIAL_WORKER)
    form = await press(bot, SOCIAL_WORKER, slot_buttons(picker)[0])
    assert [c["value"] for c in inputs(form)["direction"]["choices"]] == ["step_down_early_help"]
    # Sent anyway (an old card, a crafted press): refused with the reason, nothing booked.
    refused = await press(
        bot, SOCIAL_WORKER, button(form, "booking.review"), **{**GOOD_DETAILS, "direction": "step_down_universal"}
    )
    assert "The clinic takes a step down to early help only." in shown_text(refused)
    assert not buttons(refused, "booking.confirm")


async def test_redcar_the_mach_manager_authorises_before_the_coordinators_accept(start_bot: Any) -> None:
    """002 Redcar, step down standard 2: the referral carries the agreed wording "so that the MACH manager knows to
    authorise the request"; then the coordinators review and allocate it (standard 3)."""
    bot = await _bot(start_bot, "redcar")
    await _request(
        bot, SOCIAL_WORKER, "Step down to early help", STEP_DOWN, to_service="Internal Early Help team", from_team=FIELD
    )
    row = await _row(bot, "DEMO-0101")
    assert (row.route, row.receiving_channel) == ("clinic", "coordinators")
    # The MACH's channel hears of it too, with a way to open it (the card itself is in the coordinators' channel).
    [asked] = [
        c
        for c in bot.connector.since(0)
        if c.op == "send" and c.conversation_id == FRONT_DOOR_CHANNEL.id and "DEMO-0101" in str(c.cards)
    ]
    assert "A request waits for your authorisation" in shown_text(asked.cards[0])
    assert STEP_DOWN["reason"] not in str(asked.cards)
    opened = await press(bot, FRONT_DOOR_DECIDER, button(asked.cards[0], "transfer.refresh"))
    assert "Authorise" in _titles(opened)
    coordinator = await view(bot, COORDINATOR, row.id)
    assert "Accept and allocate" not in _titles(coordinator) and "Decline" in _titles(coordinator)
    assert "Authorised by the MACH manager: not yet" in shown_text(coordinator)
    forced = await press(
        bot,
        COORDINATOR,
        {"verb": "transfer.act", "data": {"record_id": row.id, "version": row.version, "event": "accept"}},
    )
    assert "Authorised by the MACH manager comes first" in shown_text(forced)
    # The coordinators may not authorise it themselves; the MACH manager does, and the social worker is told.
    assert "Authorise" not in _titles(coordinator)
    mach = await view(bot, FRONT_DOOR_DECIDER, row.id)
    assert _titles(mach) >= {"Authorise"} and "Accept and allocate" not in _titles(mach)
    mark = bot.connector.snapshot()
    authorised = await press(bot, FRONT_DOOR_DECIDER, button(mach, "transfer.act", "Authorise"))
    assert "Authorised by the MACH manager by F.D." in shown_text(authorised)
    await bot.deliver()
    told = [c for c in bot.connector.since(mark) if c.conversation_id == Chat.personal(SOCIAL_WORKER).id]
    assert any("Authorised: DEMO-0101" in str(c.cards) for c in told)
    assert [e.action for e in await audited(bot, "transfer.authorise")], "authorising is audited"
    # Now the coordinators accept and allocate.
    accepted = await _accept(bot, COORDINATOR, row.id, worker="E.W.")
    assert "Accepted" in shown_text(accepted)


async def test_redcars_28_day_clock_runs_only_for_a_field_team_step_down_to_an_internal_team(start_bot: Any) -> None:
    """002 Redcar, 1.2: "For the social worker in the field team, the process should take no longer than 28 days
    from when the decision is made to step the case down to an internal early help team"."""
    bot = await _bot(start_bot, "redcar")
    await _request(
        bot, SOCIAL_WORKER, "Step down to early help", STEP_DOWN, to_service="Internal Early Help team", from_team=FIELD
    )
    await _request(
        bot,
        ASSESSMENT_WORKER,
        "Step down to early help",
        STEP_DOWN,
        case_reference="DEMO-0102",
        from_team="Assessment Team",
        to_service="Internal Early Help team",
    )
    await _request(
        bot,
        SOCIAL_WORKER,
        "Step down to early help",
        STEP_DOWN,
        case_reference="DEMO-0103",
        to_service="External agency",
        from_team=FIELD,
    )
    clocks = {(d.case_reference, d.rule_key) for d in await deadline_rows(bot)}
    assert ("DEMO-0101", "whole_step_down") in clocks
    assert ("DEMO-0102", "whole_step_down") not in clocks, "the Assessment Team's step downs are quicker"
    assert ("DEMO-0103", "whole_step_down") not in clocks, "an external agency is no internal early help team"
    assert (await _row(bot, "DEMO-0102")).route == "direct"
