"""Who may see and act on a case, through the real endpoint with configured roles (not local mode's every role).

Social worker A asks for a step down; B, another social worker with nothing to do with it, and others who
stand in no relationship to it, replay every button of its cards and every follow-up form: each is refused,
nothing is written, and each attempt is audited.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from storage.tables import AuditEventRow, OutboxRow, ProcessedActionRow, TransferRow
from tests.conftest import (
    ADMIN,
    COORDINATOR,
    COORDINATORS_CHANNEL,
    EARLY_HELP_WORKER,
    FRONT_DOOR_DECIDER,
    HEAD_OF_SERVICE,
    OTHER_COORDINATOR,
    OTHER_TEAM_MANAGER,
    SOCIAL_WORKER,
    SOCIAL_WORKERS,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.cardwalk import button, buttons, inputs, shown_text
from tests.harness.driver import Chat, Person
from tests.harness.entra import FakeEntraAndGraph
from tests.scenarios.booking_steps import press
from tests.scenarios.transfer_steps import (
    STEP_DOWN,
    first_choice,
    set_roster,
    set_up_channels,
    start_request,
    step_across,
    submit_request,
)

OUTSIDER = SOCIAL_WORKERS[0]  # social worker B, managed by the other team manager
OTHER_CHANNEL = Chat.channel("other-coordinators", team_id="19:team-other@thread.tacv2")


async def _transfer(bot: BotUnderTest) -> TransferRow:
    async with bot.runtime.services.uow() as uow:
        [row] = list(await uow.session.scalars(select(TransferRow)))
        return row


async def _count(bot: BotUnderTest, table: Any) -> int:
    async with bot.runtime.services.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)


async def _refusals(bot: BotUnderTest) -> list[AuditEventRow]:
    async with bot.runtime.services.uow() as uow:
        return list(
            await uow.session.scalars(
                select(AuditEventRow).where(AuditEventRow.action.in_(("transfer.refused", "access.refused")))
            )
        )


async def _step_down(bot: BotUnderTest, *, authorised: bool = False) -> TransferRow:
    """A Redcar step down to an internal team; `authorised`: then authorised by the MACH manager (the front door
    role, 002 step down standard 2), so the coordinators may accept it."""
    await set_up_channels(bot)
    set_roster(bot, OTHER_CHANNEL, (OTHER_COORDINATOR, OUTSIDER))
    await bot.driver.install(OTHER_COORDINATOR, OTHER_CHANNEL)
    form = await start_request(bot, SOCIAL_WORKER)
    await submit_request(bot, SOCIAL_WORKER, form, **{**STEP_DOWN, "to_service": first_choice(form, "to_service")})
    await bot.deliver()
    if authorised:
        await _authorise(bot, (await _transfer(bot)).id)
    return await _transfer(bot)


async def _authorise(bot: BotUnderTest, transfer_id: int) -> None:
    mach = await _view(bot, FRONT_DOOR_DECIDER, transfer_id)
    await press(bot, FRONT_DOOR_DECIDER, button(mach, "transfer.act", "Authorise"))
    await bot.deliver()


async def _view(bot: BotUnderTest, who: Person, transfer_id: int) -> dict[str, Any]:
    return await press(bot, who, {"verb": "transfer.refresh", "data": {"record_id": transfer_id}})


def _filled(form: dict[str, Any]) -> dict[str, Any]:
    """A decision form's button with its inputs filled in as a person would."""
    action = button(form, "transfer.decide")
    values: dict[str, Any] = {}
    for key, spec in inputs(form).items():
        if spec["type"] == "Input.ChoiceSet":
            values[key] = spec["choices"][0]["value"]
        elif spec["type"] == "Input.Toggle":
            values[key] = "true"
        elif spec["type"] == "Input.Text":
            values[key] = "Invented words for the test."
    return {"verb": action["verb"], "data": {**action["data"], **values}}


async def _every_action_on_the_case(bot: BotUnderTest, transfer_id: int) -> list[dict[str, Any]]:
    """Every button of the coordinator's and the requester's cards, and every form they open, filled in,
    and the card's own refresh (what Teams sends to show a viewer their view)."""
    found: list[dict[str, Any]] = [{"verb": "transfer.refresh", "data": {"record_id": transfer_id}}]
    for who in (COORDINATOR, SOCIAL_WORKER):
        card = await _view(bot, who, transfer_id)
        for action in buttons(card):
            found.append(action)
            if action["verb"] == "transfer.form":
                form = await press(bot, who, action)
                if buttons(form, "transfer.decide"):
                    found.append(_filled(form))
                found.extend(buttons(form, "transfer.act"))
    return found


async def test_an_outsider_replaying_every_action_of_a_case_is_refused_and_each_attempt_is_audited(
    bot: BotUnderTest,
) -> None:
    row = await _step_down(bot)
    actions = await _every_action_on_the_case(bot, row.id)
    verbs = {a["verb"] for a in actions}
    assert {"transfer.form", "transfer.act", "transfer.decide", "transfer.details", "transfer.refresh"} <= verbs
    before = (await _count(bot, OutboxRow), await _count(bot, ProcessedActionRow), await _refusals(bot))
    for action in actions:
        for chat in (Chat.personal(OUTSIDER), OTHER_CHANNEL):
            data = {k: v for k, v in action["data"].items() if k != "verb"}
            exchange = await bot.driver.execute(OUTSIDER, chat, action["verb"], data)
            assert exchange.status == 200
            text = shown_text(exchange.invoke_card or {})
            assert "not one you are on" in text and "Nothing was saved." in text, (action, text)
            assert STEP_DOWN["reason"] not in json.dumps(exchange.invoke_card)
    after = await _transfer(bot)
    assert (after.state, after.version) == (row.state, row.version)
    assert (await _count(bot, OutboxRow), await _count(bot, ProcessedActionRow)) == before[:2]
    refusals = await _refusals(bot)
    assert len(refusals) - len(before[2]) == 2 * len(actions)
    assert {(r.actor_object_id, r.record_id) for r in refusals} == {(OUTSIDER.object_id, str(row.id))}
    assert all(r.detail["why"] == "no_relationship" for r in refusals)


async def test_the_action_submit_fallback_of_an_outsider_posts_nothing_of_the_case(bot: BotUnderTest) -> None:
    row = await _step_down(bot)
    for verb in ("transfer.details", "transfer.refresh"):
        exchange = await bot.driver.submit(OUTSIDER, OTHER_CHANNEL, {"verb": verb, "record_id": row.id})
        assert exchange.status == 201
        assert "DEMO-0101" not in exchange.card_text() and STEP_DOWN["reason"] not in exchange.card_text()
    calls = await bot.deliver()
    assert STEP_DOWN["reason"] not in json.dumps([c.activity for c in calls])


async def test_details_asked_for_with_action_submit_in_a_channel_go_to_the_clickers_personal_chat(
    bot: BotUnderTest,
) -> None:
    row = await _step_down(bot)
    exchange = await bot.driver.submit(
        COORDINATOR, COORDINATORS_CHANNEL, {"verb": "transfer.details", "record_id": row.id}
    )
    assert STEP_DOWN["reason"] not in exchange.card_text(), "never into the channel"
    assert "personal chat" in json.dumps([r.activity for r in exchange.sent])
    calls = await bot.deliver()
    [private] = [c for c in calls if c.conversation_id == Chat.personal(COORDINATOR).id]
    assert STEP_DOWN["reason"] in shown_text(private.cards[0])
    assert not [
        c for c in calls if c.conversation_id == COORDINATORS_CHANNEL.id and STEP_DOWN["reason"] in str(c.cards)
    ]


async def test_a_coordinator_of_another_channel_cannot_decide_or_see(bot: BotUnderTest) -> None:
    row = await _step_down(bot)
    ids = {"record_id": row.id, "version": row.version}
    for verb, data in (("transfer.form", {**ids, "event": "accept"}), ("transfer.details", {"record_id": row.id})):
        refused = await press(bot, OTHER_COORDINATOR, {"verb": verb, "data": data})
        assert "not one you are on" in shown_text(refused)
    assert (await _transfer(bot)).state == "submitted"


async def test_the_front_door_cannot_accept_a_step_down_though_it_is_on_the_coordinators_team(
    bot: BotUnderTest,
) -> None:
    row = await _step_down(bot, authorised=True)
    ids = {"record_id": row.id, "version": row.version}
    form = await press(bot, COORDINATOR, {"verb": "transfer.form", "data": {**ids, "event": "accept"}})
    attempt = {**_filled(form), "data": {**_filled(form)["data"]}}
    refused = await press(bot, FRONT_DOOR_DECIDER, attempt)
    # On the case only as Redcar's MACH manager, who authorised it: accepting is the coordinators'.
    assert "Only the Early Help Coordinators or early help team managers this request was sent to" in shown_text(
        refused
    )
    # In the channel, the front door sees the card everyone there sees, with no decision buttons.
    seen = await bot.driver.execute(FRONT_DOOR_DECIDER, COORDINATORS_CHANNEL, "transfer.refresh", {"record_id": row.id})
    assert buttons(seen.invoke_card or {}, "transfer.form") == []
    assert (await _transfer(bot)).state == "submitted"


async def test_a_manager_cannot_accept_their_own_request(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(profile="rochdale")
    await set_up_channels(bot)
    set_roster(bot, COORDINATORS_CHANNEL, (COORDINATOR, TEAM_MANAGER))
    await bot.deliver()
    await step_across(bot, TEAM_MANAGER)
    await bot.deliver()
    row = await _transfer(bot)
    assert row.receiving_channel == "coordinators"
    own = await _view(bot, TEAM_MANAGER, row.id)
    titles = {b["title"] for b in buttons(own)}
    assert "Accept and allocate" not in titles and "Withdraw the request" in titles
    ids = {"record_id": row.id, "version": row.version}
    refused = await press(bot, TEAM_MANAGER, {"verb": "transfer.form", "data": {**ids, "event": "accept"}})
    assert "nobody decides on their own request" in shown_text(refused)
    assert (await _transfer(bot)).state == "submitted"
    coordinator = await _view(bot, COORDINATOR, row.id)
    assert "Accept and allocate" in {b["title"] for b in buttons(coordinator)}


async def test_the_requesters_line_manager_can_withdraw_it_and_another_manager_cannot(bot: BotUnderTest) -> None:
    row = await _step_down(bot)
    other = await _view(bot, OTHER_TEAM_MANAGER, row.id)
    assert "not one you are on" in shown_text(other)
    mine = await _view(bot, TEAM_MANAGER, row.id)
    ask = await press(bot, TEAM_MANAGER, button(mine, "transfer.form", "Withdraw the request"))
    withdrawn = await press(bot, TEAM_MANAGER, button(ask, "transfer.act", "Yes, withdraw it"))
    assert "Withdrawn" in shown_text(withdrawn)
    async with bot.runtime.services.uow() as uow:
        [event] = list(
            await uow.session.scalars(select(AuditEventRow).where(AuditEventRow.action == "transfer.withdraw"))
        )
    assert event.actor_object_id == TEAM_MANAGER.object_id


async def test_details_open_only_for_the_people_on_the_case(bot: BotUnderTest) -> None:
    row = await _step_down(bot)
    # The front door decider reads it as Redcar's MACH manager, who authorises the referral (002 standard 2).
    for who in (SOCIAL_WORKER, TEAM_MANAGER, COORDINATOR, FRONT_DOOR_DECIDER):
        opened = await press(bot, who, {"verb": "transfer.details", "data": {"record_id": row.id}})
        assert STEP_DOWN["reason"] in shown_text(opened), who
    for who in (
        OUTSIDER,
        OTHER_TEAM_MANAGER,
        OTHER_COORDINATOR,
        EARLY_HELP_WORKER,
        HEAD_OF_SERVICE,
    ):
        refused = await press(bot, who, {"verb": "transfer.details", "data": {"record_id": row.id}})
        assert STEP_DOWN["reason"] not in shown_text(refused), who
    admin = await press(bot, ADMIN, {"verb": "transfer.details", "data": {"record_id": row.id}})
    assert STEP_DOWN["reason"] not in shown_text(admin) and "DEMO-0101" not in shown_text(admin)
    async with bot.runtime.services.uow() as uow:
        viewed = list(
            await uow.session.scalars(
                select(AuditEventRow.actor_object_id).where(AuditEventRow.action == "transfer.details_viewed")
            )
        )
    assert sorted(viewed) == sorted(p.object_id for p in (SOCIAL_WORKER, TEAM_MANAGER, COORDINATOR, FRONT_DOOR_DECIDER))


async def test_open_transfers_shows_a_manager_only_their_teams_cases(bot: BotUnderTest) -> None:
    await _step_down(bot)
    for who, sees in ((TEAM_MANAGER, True), (OTHER_TEAM_MANAGER, False), (HEAD_OF_SERVICE, False)):
        listed = await bot.driver.say(who, Chat.personal(who), "open transfers")
        assert ("DEMO-0101" in shown_text(listed.cards[0])) is sees, who
    outsider = await bot.driver.say(OUTSIDER, Chat.personal(OUTSIDER), "my transfers")
    assert "DEMO-0101" not in shown_text(outsider.cards[0])
    mine = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "my transfers")
    assert "DEMO-0101" in shown_text(mine.cards[0])


async def test_a_coordinator_removed_from_the_team_loses_the_receiving_side(bot: BotUnderTest) -> None:
    row = await _step_down(bot, authorised=True)
    before = await _view(bot, COORDINATOR, row.id)
    assert "Accept and allocate" in {b["title"] for b in buttons(before)}
    body = bot.driver.activity(TEAM_MANAGER, COORDINATORS_CHANNEL, "conversationUpdate")
    body["membersRemoved"] = [{"id": COORDINATOR.user_id, "aadObjectId": COORDINATOR.object_id}]
    body["channelData"]["eventType"] = "teamMemberRemoved"
    assert (await bot.driver.post(body)).status == 201
    after = await _view(bot, COORDINATOR, row.id)
    assert "not one you are on" in shown_text(after)


async def test_with_graph_the_requesters_manager_comes_from_graph_and_a_graph_outage_fails_closed(
    start_bot: Any, entra: FakeEntraAndGraph
) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url, role_cache_seconds=0, directory_max_stale_seconds=0
    )
    entra.set_manager(SOCIAL_WORKER.object_id, OTHER_TEAM_MANAGER.object_id)
    entra.set_manager(SOCIAL_WORKERS[1].object_id, OTHER_TEAM_MANAGER.object_id)
    row = await _step_down(bot)
    # STEPBOT_TEAMS says T.M. manages S.W., but with Graph on, Graph's manager relationship decides.
    assert "not one you are on" in shown_text(await _view(bot, TEAM_MANAGER, row.id))
    assert "DEMO-0101" in shown_text(await _view(bot, OTHER_TEAM_MANAGER, row.id))
    listed = await bot.driver.say(OTHER_TEAM_MANAGER, Chat.personal(OTHER_TEAM_MANAGER), "open transfers")
    assert "DEMO-0101" in shown_text(listed.cards[0])
    paths = {call.path for call in entra.state.graph_calls}
    assert f"/v1.0/users/{SOCIAL_WORKER.object_id}/manager" in paths
    assert f"/v1.0/users/{OTHER_TEAM_MANAGER.object_id}/directReports" in paths
    entra.set_graph_down(True)
    down = await _view(bot, OTHER_TEAM_MANAGER, row.id)
    assert "not one you are on" in shown_text(down), "no cached answer may be served once it is too old"


async def test_a_decider_is_refused_until_the_channels_roster_is_read_and_then_the_bot_reads_it(
    bot: BotUnderTest,
) -> None:
    from tests.conftest import SECOND_COORDINATOR
    from tests.scenarios.transfer_steps import COORDINATORS_TEAM

    set_roster(bot, COORDINATORS_CHANNEL, COORDINATORS_TEAM)
    await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    await bot.driver.install(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER))
    form = await start_request(bot, SOCIAL_WORKER)
    await submit_request(bot, SOCIAL_WORKER, form, **{**STEP_DOWN, "to_service": first_choice(form, "to_service")})
    row = await _transfer(bot)
    # Nothing has been delivered yet: the team's roster was never read, and S.C. never wrote in the channel.
    waiting = await _view(bot, SECOND_COORDINATOR, row.id)
    assert "I don't know yet who is in the channel" in shown_text(waiting)
    async with bot.runtime.services.uow() as uow:
        kinds = list(await uow.session.scalars(select(OutboxRow.kind).where(OutboxRow.status == "pending")))
    assert "sync.roster" in kinds
    await bot.deliver()
    await _authorise(bot, row.id)
    now = await _view(bot, SECOND_COORDINATOR, row.id)
    assert "Accept and allocate" in {b["title"] for b in buttons(now)}
