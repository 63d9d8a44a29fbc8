"""Transfer requests: made by the requester, posted to the receiving channel, decided from the card."""

from __future__ import annotations

import asyncio
import json
from typing import Any

from sqlalchemy import select

from storage.tables import AuditEventRow, OutboxRow, TransferRow
from tests.conftest import (
    COORDINATOR,
    COORDINATORS_CHANNEL,
    EARLY_HELP_WORKER,
    FRONT_DOOR_CHANNEL,
    FRONT_DOOR_DECIDER,
    SECOND_COORDINATOR,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardschema import assert_valid_card
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat
from tests.scenarios.booking_steps import press
from tests.scenarios.transfer_steps import (
    STEP_DOWN,
    STEP_UP,
    THRESHOLD_REASON,
    all_scopes,
    first_choice,
    review_request,
    set_up_channels,
    start_request,
    submit_request,
)


async def _transfers(bot: BotUnderTest) -> list[TransferRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(TransferRow).order_by(TransferRow.id)))


async def _audit(bot: BotUnderTest) -> list[str]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(AuditEventRow.action).order_by(AuditEventRow.id)))


async def _set_up_channels(bot: BotUnderTest) -> None:
    await set_up_channels(bot)


async def _submitted_step_down(bot: BotUnderTest, *, authorised: bool = False) -> tuple[TransferRow, dict[str, Any]]:
    """A Redcar step down to an internal early help team, sent; `authorised`: then authorised by the MACH manager
    (002 step down standard 2), so the coordinators may accept it."""
    await _set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    values = {**STEP_DOWN, "to_service": first_choice(form, "to_service")}
    sent = await submit_request(bot, SOCIAL_WORKER, form, **values)
    [transfer] = await _transfers(bot)
    calls = await bot.deliver()
    [post] = [c for c in calls if c.op == "send" and c.conversation_id == COORDINATORS_CHANNEL.id]
    if authorised:
        mach = await _coordinator_view(bot, FRONT_DOOR_DECIDER)
        await press(bot, FRONT_DOOR_DECIDER, button(mach, "transfer.act", "Authorise"))
        await bot.deliver()
        [transfer] = await _transfers(bot)
    return transfer, post.cards[0] | {"_sent": sent}


async def _coordinator_view(bot: BotUnderTest, who: Any = COORDINATOR) -> dict[str, Any]:
    [transfer] = await _transfers(bot)
    return await press(bot, who, {"verb": "transfer.refresh", "data": {"record_id": transfer.id}})


async def test_a_step_down_goes_to_the_coordinators_channel_without_the_familys_circumstances(
    bot: BotUnderTest,
) -> None:
    transfer, posted = await _submitted_step_down(bot)
    sent = posted.pop("_sent")
    assert "Sent to the coordinators' channel: DEMO-0101" in shown_text(sent)
    assert "You'll be told of each decision in this chat." in shown_text(sent)
    assert "Local mode" not in shown_text(sent) and not buttons(sent, "transfer.form"), "a confirmation, not the card"
    assert (transfer.state, transfer.direction, transfer.receiving_channel) == (
        "submitted",
        "step_down_early_help",
        "coordinators",
    )
    assert_valid_card(posted)
    text = json.dumps(posted)
    assert "DEMO-0101" in text and "Field social work team" in text and "Submitted" in text
    assert STEP_DOWN["reason"] not in text and "Mother" not in text and "School attendance" not in text
    # Each coordinator and the requester get their own view; the base view shows no decision buttons.
    # The front door decider on that team gets one only as Redcar's MACH manager, who authorises the step down
    # (002 step down standard 2): the front door decides step ups only.
    assert set(posted["refresh"]["userIds"]) == {
        COORDINATOR.user_id,
        SECOND_COORDINATOR.user_id,
        SOCIAL_WORKER.user_id,
        FRONT_DOOR_DECIDER.user_id,
    }
    assert buttons(posted, "transfer.form") == []
    [row] = await _transfers(bot)
    assert row.channel_activity_id, "the card's activity id is kept, to update it for everyone"
    assert "transfer.submitted" in await _audit(bot)


async def test_redcar_wording_is_carried_only_when_its_facts_hold(bot: BotUnderTest) -> None:
    await _set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    values = {**STEP_DOWN, "to_service": first_choice(form, "to_service")}
    with_discussion = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert "following discussion with Early Help Coordinator" in shown_text(with_discussion)
    no_discussion = await review_request(
        bot, SOCIAL_WORKER, form, **{**values, "discussed_with": "", "discussed_on": ""}
    )
    # Without the discussion the wording's facts do not hold, so the request is not sent: the MACH manager
    # authorises only a referral carrying it (002 step down standard 2).
    assert "The request will say" not in shown_text(no_discussion)
    assert "needs the wording" in shown_text(no_discussion) and not buttons(no_discussion, "transfer.submit")


async def test_a_step_down_without_the_familys_consent_is_refused_and_writes_nothing(bot: BotUnderTest) -> None:
    await _set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    values = {
        **STEP_DOWN,
        "to_service": first_choice(form, "to_service"),
        "consent_status": "not_sought_risk",
        "consent_risk_reason": "Asking would alert the adult who harms",
        "consent_agreed_by": "T.M.",
    }
    refused = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert "needs the family's consent" in shown_text(refused)
    assert buttons(refused, "transfer.submit") == []
    assert await _transfers(bot) == []


async def test_each_viewer_gets_the_buttons_their_role_allows(bot: BotUnderTest) -> None:
    await _submitted_step_down(bot, authorised=True)
    coordinator = await _coordinator_view(bot)
    titles = [b["title"] for b in buttons(coordinator)]
    assert {"Accept and allocate", "Decline", "Ask for information", "Mark readiness gaps"} <= set(titles)
    assert all(b.get("fallback", {}).get("type") == "Action.Submit" for b in buttons(coordinator))
    requester = await _coordinator_view(bot, SOCIAL_WORKER)
    requester_titles = {b["title"] for b in buttons(requester)}
    assert "Withdraw the request" in requester_titles and "Accept and allocate" not in requester_titles
    assert "transfer.refresh" not in " ".join(await _audit(bot)), "refreshes are not audit events"


async def test_a_coordinator_accepts_and_allocates_and_everyone_is_told(bot: BotUnderTest) -> None:
    await _submitted_step_down(bot, authorised=True)
    view = await _coordinator_view(bot)
    details = await press(bot, COORDINATOR, button(view, "transfer.details"))
    assert STEP_DOWN["reason"] in shown_text(details)
    assert "transfer.details_viewed" in await _audit(bot)
    form = await press(bot, COORDINATOR, button(view, "transfer.form", "Accept and allocate"))
    assert {"team", "worker", "allocate_to_me", "joint_visit_on"} <= set(inputs(form))
    decided = await press(
        bot,
        COORDINATOR,
        button(form, "transfer.decide"),
        team=first_choice(form, "team"),
        allocate_to_me="true",
        joint_visit_on="2026-12-01",
    )
    text = shown_text(decided)
    assert "Accepted and allocated" in text and "E.C." in text
    calls = await bot.deliver()
    [update] = [c for c in calls if c.op == "update"]
    assert update.conversation_id == COORDINATORS_CHANNEL.id
    assert "Accepted and allocated" in json.dumps(update.cards)
    to_requester = [c for c in calls if c.conversation_id == Chat.personal(SOCIAL_WORKER).id]
    assert to_requester and "Accepted and allocated" in json.dumps(to_requester[0].cards)
    to_worker = [c for c in calls if c.conversation_id == Chat.personal(COORDINATOR).id]
    assert to_worker and "Allocated to you: " in json.dumps(to_worker[0].cards)
    assert STEP_DOWN["reason"] not in json.dumps([c.activity for c in calls])
    exchange = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "my transfers")
    assert "DEMO-0101" in shown_text(exchange.cards[0]) and "Accepted and allocated" in shown_text(exchange.cards[0])


async def test_two_coordinators_deciding_at_once_one_wins_and_the_other_sees_who(bot: BotUnderTest) -> None:
    await _submitted_step_down(bot)
    view = await _coordinator_view(bot)
    decline_form = await press(bot, SECOND_COORDINATOR, button(view, "transfer.form", "Decline"))
    ask_form = await press(bot, COORDINATOR, button(view, "transfer.form", "Ask for information"))
    reason = first_choice(decline_form, "reason")
    first, second = await asyncio.gather(
        press(bot, SECOND_COORDINATOR, button(decline_form, "transfer.decide"), reason=reason),
        press(bot, COORDINATOR, button(ask_form, "transfer.decide"), note="Please add the last CiN minutes."),
    )
    [row] = await _transfers(bot)
    assert row.state in ("declined", "returned") and row.version == 2
    loser = second if row.state == "declined" else first
    assert "already acted on it" in shown_text(loser)
    # The loser's card is out of date; pressing it again changes nothing.
    loser_form, loser_inputs, loser = (
        (ask_form, {"note": "Please add the last CiN minutes."}, COORDINATOR)
        if row.state == "declined"
        else (decline_form, {"reason": reason}, SECOND_COORDINATOR)
    )
    replay = await press(bot, loser, button(loser_form, "transfer.decide"), **loser_inputs)
    assert "already acted on it" in shown_text(replay)
    assert len([a for a in await _audit(bot) if a in ("transfer.decline", "transfer.ask_for_information")]) == 1


async def test_a_social_worker_cannot_accept_and_a_coordinator_cannot_withdraw(bot: BotUnderTest) -> None:
    await _submitted_step_down(bot, authorised=True)
    [row] = await _transfers(bot)
    ids = {"record_id": row.id, "version": row.version}
    accept = await press(bot, SOCIAL_WORKER, {"verb": "transfer.form", "data": {**ids, "event": "accept"}})
    assert "Only" in shown_text(accept) and "coordinator" in shown_text(accept).lower()
    withdraw = await press(bot, COORDINATOR, {"verb": "transfer.act", "data": {**ids, "event": "withdraw"}})
    assert "can withdraw" in shown_text(withdraw)
    [after] = await _transfers(bot)
    assert (after.state, after.version) == ("submitted", row.version)


async def test_the_requester_withdraws_and_the_card_updates_for_everyone(bot: BotUnderTest) -> None:
    await _submitted_step_down(bot)
    view = await _coordinator_view(bot, SOCIAL_WORKER)
    # Withdrawing asks once more, saying what it will do, with a way back; nothing changes until "Yes".
    ask = await press(bot, SOCIAL_WORKER, button(view, "transfer.form", "Withdraw the request"))
    assert "The request is withdrawn for everyone, and the receiving side is told." in shown_text(ask)
    assert button(ask, "transfer.refresh", "Not now")
    assert [r.state for r in await _transfers(bot)] == ["submitted"]
    withdrawn = await press(bot, SOCIAL_WORKER, button(ask, "transfer.act", "Yes, withdraw it"))
    assert "Withdrawn" in shown_text(withdrawn)
    calls = await bot.deliver()
    assert [c.op for c in calls if c.conversation_id == COORDINATORS_CHANNEL.id] == ["update"]
    # The roster is read to give each viewer their own view of the updated card.
    assert [c.op for c in calls if c.conversation_id == COORDINATORS_CHANNEL.team_id] == ["members"]


async def test_malformed_and_oversized_payloads_write_nothing(bot: BotUnderTest) -> None:
    await _set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    values = {**STEP_DOWN, "to_service": first_choice(form, "to_service")}
    before = len(await _audit(bot))
    huge = await review_request(bot, SOCIAL_WORKER, form, **{**values, "reason": "x" * 5000})
    smuggled = await review_request(bot, SOCIAL_WORKER, form, **{**values, "is_admin": "true"})
    bad_verb = await press(bot, SOCIAL_WORKER, {"verb": "transfer.explode", "data": {}})
    bad_event = await press(
        bot, COORDINATOR, {"verb": "transfer.act", "data": {"record_id": 1, "version": 1, "event": "x"}}
    )
    for card in (huge, smuggled, bad_verb, bad_event):
        assert "Nothing was saved." in shown_text(card) or "can't read" in shown_text(card)
    assert await _transfers(bot) == []
    assert len(await _audit(bot)) == before
    async with bot.runtime.services.uow() as uow:
        assert list(await uow.session.scalars(select(OutboxRow).where(OutboxRow.status == "pending"))) == []


async def test_a_step_up_warns_about_urgent_concerns_first_and_goes_to_the_front_door(bot: BotUnderTest) -> None:
    await _set_up_channels(bot)
    form = await start_request(bot, EARLY_HELP_WORKER)
    body_text = shown_text(form)
    assert body_text.index("immediate risk") < body_text.index("Never enter the child's name")
    assert "01234 000000" in body_text and "01234 999999" in body_text
    recorded = await press(bot, EARLY_HELP_WORKER, button(form, "transfer.urgent_called"))
    assert "written referral is still due" in shown_text(recorded)
    values = {**STEP_UP, "from_team": first_choice(form, "from_team"), "to_service": first_choice(form, "to_service")}
    await submit_request(bot, EARLY_HELP_WORKER, form, **values)
    [row] = await _transfers(bot)
    assert (row.direction, row.receiving_channel) == ("step_up", "front_door")
    calls = await bot.deliver()
    assert [c.conversation_id for c in calls if c.op == "send"] == [FRONT_DOOR_CHANNEL.id]
    view = await press(bot, FRONT_DOOR_DECIDER, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    titles = {b["title"] for b in buttons(view)}
    assert {"Threshold met", "Route to early help", "No further action"} <= titles
    nfa = await press(bot, FRONT_DOOR_DECIDER, button(view, "transfer.form", "No further action"))
    done = await press(bot, FRONT_DOOR_DECIDER, button(nfa, "transfer.decide"), reason=first_choice(nfa, "reason"))
    assert "Declined" in shown_text(done)


async def test_with_the_front_doors_numbers_unset_the_step_up_form_says_who_to_ask(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(front_door_phone="", front_door_out_of_hours_phone="")
    form = await start_request(bot, EARLY_HELP_WORKER)
    [warning] = [c for c in form["body"] if c.get("style") == "attention"]
    assert form["body"].index(warning) == 1, "the warning comes first, under the heading"
    said = shown_text(warning)
    assert "local contacts" not in said and "Day:" not in said
    assert "phone numbers are not all set in this bot: ask your manager for them now" in said
    assert buttons(warning, "transfer.urgent_called"), "the button sits with the warning"
    assert not [a for a in form.get("actions", []) if a.get("verb") == "transfer.urgent_called"]


async def test_a_coordinator_cannot_make_the_front_doors_decisions(bot: BotUnderTest) -> None:
    await _set_up_channels(bot)
    form = await start_request(bot, EARLY_HELP_WORKER)
    values = {**STEP_UP, "from_team": first_choice(form, "from_team"), "to_service": first_choice(form, "to_service")}
    await submit_request(bot, EARLY_HELP_WORKER, form, **values)
    [row] = await _transfers(bot)
    refused = await press(
        bot,
        COORDINATOR,
        {"verb": "transfer.form", "data": {"record_id": row.id, "version": 1, "event": "threshold_met"}},
    )
    assert "Only" in shown_text(refused)
    assert (await _transfers(bot))[0].state == "submitted"


async def test_threshold_met_needs_its_reason_which_only_the_details_show(bot: BotUnderTest) -> None:
    await _set_up_channels(bot)
    form = await start_request(bot, EARLY_HELP_WORKER)
    values = {**STEP_UP, "from_team": first_choice(form, "from_team"), "to_service": first_choice(form, "to_service")}
    await submit_request(bot, EARLY_HELP_WORKER, form, **values)
    [row] = await _transfers(bot)
    view = await press(bot, FRONT_DOOR_DECIDER, {"verb": "transfer.refresh", "data": {"record_id": row.id}})
    met = await press(bot, FRONT_DOOR_DECIDER, button(view, "transfer.form", "Threshold met"))
    assert inputs(met)["reason"]["isRequired"] is True
    team = first_choice(met, "team")
    blank = await press(bot, FRONT_DOOR_DECIDER, button(met, "transfer.decide"), team=team, reason="  ")
    assert "Say why the threshold for social care is met." in shown_text(blank)
    assert (await _transfers(bot))[0].state == "submitted"
    done = await press(bot, FRONT_DOOR_DECIDER, button(met, "transfer.decide"), team=team, reason=THRESHOLD_REASON)
    assert "Accepted and allocated" in shown_text(done) and THRESHOLD_REASON not in json.dumps(done)
    details = await press(bot, FRONT_DOOR_DECIDER, button(done, "transfer.details"))
    assert "Why the threshold is met" in shown_text(details) and THRESHOLD_REASON in shown_text(details)
    calls = await bot.deliver()
    assert calls and THRESHOLD_REASON not in json.dumps([c.activity for c in calls])


async def test_rochdale_gaps_block_acceptance_and_escalate_after_three_working_days(start_bot: Any) -> None:
    managers = Chat.channel("managers")
    bot: BotUnderTest = await start_bot(profile="rochdale", managers_channel_id=managers.id)
    await _set_up_channels(bot)
    await bot.driver.install(TEAM_MANAGER, managers)
    form = await start_request(bot, SOCIAL_WORKER)
    picker_titles = [b["title"] for b in buttons(form, "transfer.start")]
    assert picker_titles, "a Rochdale social worker chooses among several directions"
    form = await press(bot, SOCIAL_WORKER, button(form, "transfer.start", "Step down to early help"))
    values = {
        **STEP_DOWN,
        "from_team": first_choice(form, "from_team"),
        "to_service": first_choice(form, "to_service"),
        "route": "direct",
        "discussed_with": "",
        "discussed_on": "",
        "check_assessment": "true",
        "check_plan": "true",
        "consent_scopes": all_scopes(form),
    }
    if "level_of_need" in inputs(form):
        values["level_of_need"] = first_choice(form, "level_of_need")
    await submit_request(bot, SOCIAL_WORKER, form, **values)
    await bot.deliver()
    view = await _coordinator_view(bot)
    gaps_form = await press(bot, COORDINATOR, button(view, "transfer.form", "Mark readiness gaps"))
    marked = await press(
        bot, COORDINATOR, button(gaps_form, "transfer.decide"), gap_chronology="true", gap_genogram="true"
    )
    assert "Readiness gaps open" in shown_text(marked)
    [row] = await _transfers(bot)
    assert sorted(row.gaps) == ["chronology", "genogram"]
    accept = await press(
        bot,
        COORDINATOR,
        {"verb": "transfer.form", "data": {"record_id": row.id, "version": row.version, "event": "accept"}},
    )
    assert "until its readiness gaps are resolved" in shown_text(accept)
    bot.clock.advance(days=7)
    calls = await bot.deliver()
    posts = [c for c in calls if c.conversation_id == managers.id]
    assert any("head of service" in json.dumps(c.cards).lower() for c in posts)


async def test_a_coordinator_decides_from_the_card_in_the_channel_and_the_audit_says_so(bot: BotUnderTest) -> None:
    await _submitted_step_down(bot, authorised=True)
    [row] = await _transfers(bot)
    ids = {"record_id": row.id, "version": row.version}
    form_exchange = await bot.driver.execute(
        COORDINATOR, COORDINATORS_CHANNEL, "transfer.form", {**ids, "event": "accept"}
    )
    form = form_exchange.invoke_card
    assert form is not None
    assert_valid_card(form)
    data = {k: v for k, v in button(form, "transfer.decide")["data"].items() if k != "verb"}
    decided = await bot.driver.execute(
        COORDINATOR,
        COORDINATORS_CHANNEL,
        "transfer.decide",
        {**data, "team": first_choice(form, "team"), "worker": "E.W."},
    )
    assert decided.status == 200 and "Accepted and allocated" in shown_text(decided.invoke_card or {})
    async with bot.runtime.services.uow() as uow:
        [event] = list(
            await uow.session.scalars(select(AuditEventRow).where(AuditEventRow.action == "transfer.accept"))
        )
    assert event.actor_object_id == COORDINATOR.object_id
    assert event.detail["from"] == "submitted" and event.detail["to"] == "accepted"
    assert event.detail["card"] == "transfer.decide" and event.detail["conversation"] == "channel"
    assert "allocation" in event.detail["changed"]


async def test_a_number_typed_in_a_number_box_arrives_as_a_number_and_is_taken(bot: BotUnderTest) -> None:
    """Teams' card renderer sends an Input.Number's value as a JSON number, not a string."""
    await _set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    values = {**STEP_DOWN, "to_service": first_choice(form, "to_service"), "children_count": 3}
    reviewed = await review_request(bot, SOCIAL_WORKER, form, **values)
    assert "Children: 3" in shown_text(reviewed), shown_text(reviewed)
    refused = await review_request(bot, SOCIAL_WORKER, form, **{**values, "children_count": True})
    assert "children count" in shown_text(refused).lower(), "a tick is not a number"


async def test_each_viewer_gets_exactly_their_buttons_usual_first_and_the_rest_under_more(bot: BotUnderTest) -> None:
    """A Redcar step down: nothing of the front door's, a meeting's or another direction's, and no cut-off."""
    await _submitted_step_down(bot)
    # Redcar: the MACH manager authorises a field team's step down first; until then the coordinators can't accept.
    waiting = await _coordinator_view(bot, COORDINATOR)
    assert "Accept and allocate" not in [b["title"] for b in buttons(waiting)]
    mach = await _coordinator_view(bot, FRONT_DOOR_DECIDER)
    assert [b["title"] for b in buttons(mach) if b["verb"] == "transfer.act"] == ["Authorise"], "the MACH's one action"
    await press(bot, FRONT_DOOR_DECIDER, button(mach, "transfer.act", "Authorise"))
    view = await _coordinator_view(bot, COORDINATOR)
    [row] = view["body"][-1:]
    top = [a["title"] for a in row["actions"]]
    assert top[0] == "Accept and allocate", "the usual action first"
    [more] = [a for a in row["actions"] if a["type"] == "Action.ShowCard"]
    under = [a["title"] for a in more["card"]["actions"]]
    every = [t for t in top if t != "More actions"] + under
    assert "Decline" in every and "Ask for information" in every and "View details" in every
    for foreign in ("Threshold met", "Route to early help", "No further action", "Outcome agreed", "Authorise"):
        assert foreign not in every, f"{foreign} is not the coordinators' on a Redcar step down"
    assert len(every) == len(set(every)), "each action once"
    mine = await _coordinator_view(bot, SOCIAL_WORKER)
    titles = [b["title"] for b in buttons(mine)]
    assert "Withdraw the request" in titles and "Accept and allocate" not in titles and "Decline" not in titles


async def test_an_unfinished_request_carries_on_says_so_and_can_start_again(bot: BotUnderTest) -> None:
    """Typed `new transfer` again, the person gets their unfinished request back, told to check the case
    reference, and may start again with nothing of it kept."""
    await _set_up_channels(bot)
    form = await start_request(bot, SOCIAL_WORKER)
    assert "This carries on the request you started earlier" not in shown_text(form)
    await press(bot, SOCIAL_WORKER, button(form, "transfer.step", "Next"), case_reference="DEMO-0111", reason="R.")
    again = await start_request(bot, SOCIAL_WORKER)
    assert inputs(again)["case_reference"]["value"] == "DEMO-0111"
    assert "This carries on the request you started earlier: check the case reference." in shown_text(again)
    fresh = await press(bot, SOCIAL_WORKER, button(again, "transfer.step", "Start again"))
    assert inputs(fresh)["case_reference"]["value"] == "" and inputs(fresh)["reason"]["value"] == ""
    assert "This carries on" not in shown_text(fresh)
    later = await start_request(bot, SOCIAL_WORKER)
    assert inputs(later)["case_reference"]["value"] == "", "nothing of the earlier request is kept"
    assert "This carries on" not in shown_text(later)
