"""A person installs the bot, asks for help, and gets cards that fit their roles."""

from __future__ import annotations

from sqlalchemy import select

from storage.tables import ConversationRefRow
from tests.conftest import ADMIN, COORDINATOR, COORDINATORS_CHANNEL, NOBODY, SOCIAL_WORKER, BotUnderTest
from tests.harness.cardschema import assert_valid_card
from tests.harness.driver import Chat


async def _refs(bot: BotUnderTest) -> list[ConversationRefRow]:
    async with bot.runtime.services.uow() as uow:
        return list(await uow.session.scalars(select(ConversationRefRow)))


async def test_installing_in_a_personal_chat_stores_the_reference_and_welcomes(bot: BotUnderTest) -> None:
    chat = Chat.personal(SOCIAL_WORKER)
    exchange = await bot.driver.install(SOCIAL_WORKER, chat)
    assert exchange.status == 201
    assert len(exchange.cards) == 1
    assert_valid_card(exchange.cards[0])
    assert "S.W." in exchange.card_text()
    refs = await _refs(bot)
    assert [(r.object_id, r.kind, r.conversation_id, r.status) for r in refs] == [
        (SOCIAL_WORKER.object_id, "personal", chat.id, "active")
    ]
    assert refs[0].user_id == SOCIAL_WORKER.user_id
    assert refs[0].service_url == bot.connector.url + "/"


async def test_installing_in_a_team_channel_stores_the_channel_and_explains_what_it_posts(bot: BotUnderTest) -> None:
    exchange = await bot.driver.install(COORDINATOR, COORDINATORS_CHANNEL)
    assert exchange.status == 201
    assert_valid_card(exchange.cards[0])
    assert "never a family" in exchange.card_text()
    kinds = {(r.object_id, r.kind, r.team_id) for r in await _refs(bot)}
    assert ("", "channel", COORDINATORS_CHANNEL.team_id) in kinds
    assert (COORDINATOR.object_id, "channel", COORDINATORS_CHANNEL.team_id) in kinds


async def test_help_lists_what_a_social_worker_can_do(bot: BotUnderTest) -> None:
    exchange = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "help")
    assert exchange.status == 201
    [card] = exchange.cards
    assert_valid_card(card)
    assert "Social worker" in exchange.card_text()
    assert exchange.sent[0].op == "reply"


async def test_help_in_a_channel_answers_an_at_mention(bot: BotUnderTest) -> None:
    exchange = await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "help")
    [card] = exchange.cards
    assert_valid_card(card)
    assert "Early Help Coordinator" in exchange.card_text()


async def test_someone_without_a_role_is_told_whom_to_ask(bot: BotUnderTest) -> None:
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    [card] = exchange.cards
    assert_valid_card(card)
    assert "no role" in exchange.card_text()
    assert "administrator" in exchange.card_text()


async def test_the_help_button_is_an_action_execute_answered_in_the_invoke(bot: BotUnderTest) -> None:
    exchange = await bot.driver.execute(ADMIN, Chat.personal(ADMIN), "help.show")
    assert exchange.status == 200
    assert exchange.invoke_card is not None
    assert_valid_card(exchange.invoke_card)
    assert "Administrator" in exchange.card_text()
    assert exchange.sent == []


async def test_an_unknown_command_gets_an_error_card(bot: BotUnderTest) -> None:
    exchange = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "make me a sandwich")
    [card] = exchange.cards
    assert_valid_card(card)
    assert "don't know that command" in exchange.card_text()
