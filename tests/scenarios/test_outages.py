"""Outages of the services the bot depends on never take a turn with them.

Graph failing in any way leaves the person with their directly configured roles and a card that says their
groups can't be checked; Entra failing leaves every turn answered, with its replies waiting in the outbox
until the bot has a token again.
"""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from cards.common import GROUP_ROLES_UNCHECKED
from domain.roles import Role
from storage.tables import OutboxRow
from tests.conftest import (
    COORDINATOR,
    COORDINATORS_CHANNEL,
    EARLY_HELP_WORKER,
    FRONT_DOOR_DECIDER,
    NOBODY,
    SECOND_COORDINATOR,
    SOCIAL_WORKER,
    TEAM_MANAGER,
    BotUnderTest,
)
from tests.harness.connector import FakeConnector
from tests.harness.driver import Chat
from tests.harness.entra import FakeEntraAndGraph
from tests.scenarios.transfer_steps import STEP_DOWN, first_choice, set_up_channels, start_request, submit_request

MANAGERS_GROUP = "aaaaaaaa-0000-4000-8000-000000000002"
GRAPH_SCOPE = "https://graph.microsoft.com"
BOT_SCOPE = "https://api.botframework.com"
APOLOGY = "Sorry, something went wrong"

# Every way Graph fails that the bot has met or can meet.
GRAPH_FAILURES = ["unavailable", "not_json", "wrong_shape", "empty", "hang", "tls", "no_token"]


async def _start_with_failing_graph(
    start_bot: Any, entra: FakeEntraAndGraph, connector: FakeConnector, failure: str, **settings: Any
) -> BotUnderTest:
    graph_url = entra.graph_base_url
    if failure == "tls":
        # The connector fake speaks plain HTTP: an https:// call to it fails in the TLS handshake.
        graph_url = f"https://127.0.0.1:{connector.server.port}/v1.0"
    if failure == "hang":
        settings["http_timeout_seconds"] = 0.5
    bot: BotUnderTest = await start_bot(graph_base_url=graph_url, **settings)
    if failure == "unavailable":
        entra.set_graph_down(True)
    elif failure == "no_token":
        entra.set_token_down(True, scope_prefix=GRAPH_SCOPE)
    elif failure in ("not_json", "wrong_shape", "empty", "hang"):
        entra.set_graph_fault(failure, hang_seconds=2.0)
    return bot


@pytest.mark.parametrize("failure", GRAPH_FAILURES)
async def test_whatever_graph_does_a_group_members_turn_is_answered_with_their_own_roles(
    start_bot: Any, entra: FakeEntraAndGraph, connector: FakeConnector, failure: str
) -> None:
    bot = await _start_with_failing_graph(
        start_bot,
        entra,
        connector,
        failure,
        roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"], Role.HEAD_OF_SERVICE: [NOBODY.object_id]},
    )
    entra.set_member_groups(NOBODY.object_id, [MANAGERS_GROUP])
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert exchange.status == 201
    text = exchange.card_text()
    assert APOLOGY not in text
    assert "Head of service" in text
    assert "Team manager" not in text
    assert GROUP_ROLES_UNCHECKED in text


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
@pytest.mark.parametrize("failure", ["not_json", "wrong_shape", "empty", "no_token"])
async def test_whatever_graph_does_a_managers_list_of_cases_is_answered(
    start_bot: Any, entra: FakeEntraAndGraph, connector: FakeConnector, failure: str, framing: str
) -> None:
    bot = await _start_with_failing_graph(start_bot, entra, connector, failure)
    entra.set_graph_framing(framing)
    exchange = await bot.driver.say(TEAM_MANAGER, Chat.personal(TEAM_MANAGER), "open transfers")
    assert exchange.status == 201
    assert exchange.cards
    assert APOLOGY not in exchange.card_text()
    assert any("directReports" in call.path for call in entra.state.graph_calls) or failure == "no_token"


@pytest.mark.parametrize("graph_up", [True, False])
async def test_a_channel_card_reaches_the_viewers_whose_role_comes_from_a_group_and_is_posted_without_graph(
    start_bot: Any, entra: FakeEntraAndGraph, graph_up: bool
) -> None:
    coordinators_group = "aaaaaaaa-0000-4000-8000-000000000003"
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url,
        roles={
            Role.SOCIAL_WORKER: [SOCIAL_WORKER.object_id],
            Role.COORDINATOR: [COORDINATOR.object_id, f"group:{coordinators_group}"],
            Role.TEAM_MANAGER: [TEAM_MANAGER.object_id],
            Role.FRONT_DOOR: [FRONT_DOOR_DECIDER.object_id],
            Role.EARLY_HELP_WORKER: [EARLY_HELP_WORKER.object_id],
        },
    )
    entra.set_member_groups(SECOND_COORDINATOR.object_id, [coordinators_group])
    await set_up_channels(bot)
    entra.set_graph_down(not graph_up)
    form = await start_request(bot, SOCIAL_WORKER)
    await submit_request(bot, SOCIAL_WORKER, form, **{**STEP_DOWN, "to_service": first_choice(form, "to_service")})
    calls = await bot.deliver()
    [post] = [c for c in calls if c.op == "send" and c.conversation_id == COORDINATORS_CHANNEL.id]
    viewers = set(post.cards[0]["refresh"]["userIds"])
    assert COORDINATOR.user_id in viewers
    # A group member gets their own view while Graph answers; while it can't, group roles count as none.
    assert (SECOND_COORDINATOR.user_id in viewers) is graph_up


# -- Entra down: the bot's own token -------------------------------------------------------------------------
def _bot_token_requests(entra: FakeEntraAndGraph) -> list[str]:
    return [scope for scope in entra.state.token_requests if scope.startswith(BOT_SCOPE)]


async def _pending_rows(bot: BotUnderTest) -> list[OutboxRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(OutboxRow).where(OutboxRow.status == "pending")))


async def test_with_entra_down_a_message_is_answered_and_its_reply_is_sent_once_entra_is_back(
    bot: BotUnderTest, entra: FakeEntraAndGraph
) -> None:
    chat = Chat.personal(SOCIAL_WORKER)
    entra.set_token_down(True)
    exchange = await bot.driver.say(SOCIAL_WORKER, chat, "help")
    assert exchange.status == 201
    assert exchange.sent == [], "nothing reaches the connector without a token"
    assert _bot_token_requests(entra), "the turn asked Entra and was refused"
    [row] = await _pending_rows(bot)
    assert row.payload["conversation_id"] == chat.id

    assert await bot.deliver() == [], "while Entra is down the outbox sends nothing either"

    entra.set_token_down(False)
    bot.clock.advance(minutes=5)
    delivered = await bot.deliver()
    [sent] = delivered
    assert sent.op == "send"
    assert sent.conversation_id == chat.id
    assert "What I can do for you" in str(sent.cards)
    assert sent.authorization.startswith("Bearer fake-")
    bot.clock.advance(hours=2)
    assert await bot.deliver() == [], "delivered exactly once"
    # Entra is back: the next turn answers directly again.
    again = await bot.driver.say(SOCIAL_WORKER, chat, "help")
    assert [r.op for r in again.sent] == ["reply"]


async def test_with_entra_down_a_card_action_gets_its_card_and_asks_entra_for_nothing(
    bot: BotUnderTest, entra: FakeEntraAndGraph
) -> None:
    entra.set_token_down(True)
    exchange = await bot.driver.execute(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "help.show")
    assert exchange.status == 200
    card = exchange.invoke_card
    assert card is not None and "What I can do for you" in str(card)
    assert exchange.sent == []
    assert _bot_token_requests(entra) == [], "an invoke's answer is in the HTTP response: no token is fetched"


async def test_with_entra_down_a_turn_with_nothing_to_send_asks_entra_for_nothing(
    bot: BotUnderTest, entra: FakeEntraAndGraph
) -> None:
    """The adapter builds the turn's connector client before the turn: it must not fetch a token to do so."""
    entra.set_token_down(True)
    body = bot.driver.activity(SOCIAL_WORKER, Chat.channel("casework"), "conversationUpdate")
    body["membersAdded"] = [{"id": NOBODY.user_id, "aadObjectId": NOBODY.object_id, "name": NOBODY.name}]
    body["channelData"]["eventType"] = "teamMemberAdded"
    exchange = await bot.driver.post(body)
    assert exchange.status == 201
    assert entra.state.token_requests == []


async def test_a_reply_the_connector_cannot_take_now_waits_in_the_outbox(
    bot: BotUnderTest, connector: FakeConnector
) -> None:
    chat = Chat.personal(SOCIAL_WORKER)
    connector.fail_next(503)
    exchange = await bot.driver.say(SOCIAL_WORKER, chat, "help")
    assert exchange.status == 201
    assert exchange.sent == [], "the refused reply is not followed by an apology"
    delivered = await bot.deliver()
    assert [(r.op, r.conversation_id) for r in delivered] == [("send", chat.id)]
    assert "What I can do for you" in str(delivered[0].cards)
    assert APOLOGY not in str(delivered[0].cards)


async def test_a_queued_reply_to_a_channel_thread_goes_back_into_that_thread(
    bot: BotUnderTest, entra: FakeEntraAndGraph
) -> None:
    channel = Chat.channel("casework")
    thread = f"{channel.id};messageid=1700000000000"
    body = bot.driver.activity(SOCIAL_WORKER, channel, "message", text="<at>Stepbot</at> help")
    body["entities"] = [{"type": "mention", "text": "<at>Stepbot</at>", "mentioned": {"id": "28:test-bot"}}]
    body["conversation"]["id"] = thread
    entra.set_token_down(True)
    exchange = await bot.driver.post(body)
    assert exchange.status == 201
    assert exchange.sent == []
    entra.set_token_down(False)
    [sent] = await bot.deliver()
    assert (sent.op, sent.conversation_id) == ("send", thread)
    assert "What I can do for you" in str(sent.cards)
