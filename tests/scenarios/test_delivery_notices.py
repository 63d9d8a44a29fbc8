"""What the outbox does to the messages themselves, end to end on both databases: many due at once for one person
come as one digest (and unfold again), escalations @mention the people responsible, late ones say so, dead letters
reach the administrators, who send them again or drop them (card and console), and /readyz and /metrics report."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp.test_utils import TestServer
from sqlalchemy import select, text

from bot import cli
from bot.app import RUNTIME, Runtime, create_app
from bot.profile_files import load_profile
from bot.settings import REPO_ROOT
from domain.messaging import OutboxKind, OutboxMessage
from storage.tables import OutboxRow
from tests.conftest import (
    ADMIN,
    HEAD_OF_SERVICE,
    MANAGERS_CHANNEL,
    SOCIAL_WORKER,
    START,
    TEAM_MANAGER,
    BotUnderTest,
    Clock,
    make_settings,
)
from tests.harness.cardschema import assert_valid_card
from tests.harness.cardwalk import buttons
from tests.harness.connector import FakeConnector, Member
from tests.harness.driver import Chat
from tests.harness.entra import FakeEntraAndGraph
from tests.scenarios.test_delivery import keys_in, queue, row, to_channel, to_person

WORKER_CHAT = Chat.personal(SOCIAL_WORKER)
ADMIN_CHAT = Chat.personal(ADMIN)


def _button(card: dict[str, Any], title: str) -> dict[str, Any]:
    [found] = [b for b in buttons(card) if b.get("title") == title]
    return found


# -- folding ---------------------------------------------------------------------------------------------------
async def test_many_reminders_due_at_once_for_one_person_come_as_one_digest_and_unfold_again(
    bot: BotUnderTest,
) -> None:
    await bot.driver.install(SOCIAL_WORKER, WORKER_CHAT)
    folded = [f"key-{i:04d}" for i in range(4)]
    await queue(bot, *(to_person(k, fold=True) for k in folded), to_person("key-0009"))
    mark = bot.connector.snapshot()
    assert await bot.run_outbox() == 5
    sends = bot.connector.since(mark)
    assert len(sends) == 2, "four folded into one, and the one that may not be folded alone"
    [digest] = [s.cards[0] for s in sends if "reminders and notices" in str(s.cards)]
    assert_valid_card(digest)
    assert keys_in(sends) == {k: 1 for k in [*folded, "key-0009"]}
    show = _button(digest, "Show each one")
    assert show["data"]["keys"] == folded, "the digest's data lists the keys it carries"
    for key in folded:
        sent = await row(bot, key)
        assert (sent.status, sent.result["digest"], sent.result["digest_of"]) == ("sent", True, 4)

    # Someone else can't have them.
    other = await bot.driver.execute(TEAM_MANAGER, Chat.personal(TEAM_MANAGER), "outbox.unfold", show["data"])
    assert other.invoke_card is not None and "not for you" in str(other.invoke_card)
    exchange = await bot.driver.execute(SOCIAL_WORKER, WORKER_CHAT, "outbox.unfold", show["data"])
    assert exchange.invoke_card is not None and "sent again on its own" in str(exchange.invoke_card)
    again = await bot.deliver()
    assert keys_in(again) == {k: 1 for k in folded}
    assert all(c.conversation_id == WORKER_CHAT.id for c in again)
    assert "reminders and notices" not in str([c.cards for c in again]), "each on its own, with its own buttons"


# -- mentions --------------------------------------------------------------------------------------------------
async def test_an_escalation_mentions_the_people_responsible_from_the_stored_roster(bot: BotUnderTest) -> None:
    bot.connector.rosters[MANAGERS_CHANNEL.team_id] = [
        Member(TEAM_MANAGER.user_id, TEAM_MANAGER.object_id, TEAM_MANAGER.name),
        Member(HEAD_OF_SERVICE.user_id, HEAD_OF_SERVICE.object_id, HEAD_OF_SERVICE.name),
    ]
    await bot.driver.install(TEAM_MANAGER, MANAGERS_CHANNEL)
    await bot.deliver()  # the roster
    mention = [TEAM_MANAGER.object_id, HEAD_OF_SERVICE.object_id, "00000000-0000-4000-8000-0000000000ff"]
    await queue(bot, to_channel("key-0700", MANAGERS_CHANNEL, mention=mention))
    mark = bot.connector.snapshot()
    assert await bot.run_outbox() == 1
    [sent] = bot.connector.since(mark)
    assert sent.op == "send", "an escalation is a new message, so the mention notifies"
    [card] = sent.cards
    assert_valid_card(card)
    tags = f"<at>{TEAM_MANAGER.name}</at>, <at>{HEAD_OF_SERVICE.name}</at>"
    assert card["body"][0]["text"] == tags
    assert card["msteams"]["entities"] == [
        {
            "type": "mention",
            "text": f"<at>{TEAM_MANAGER.name}</at>",
            "mentioned": {"id": TEAM_MANAGER.user_id, "name": TEAM_MANAGER.name},
        },
        {
            "type": "mention",
            "text": f"<at>{HEAD_OF_SERVICE.name}</at>",
            "mentioned": {"id": HEAD_OF_SERVICE.user_id, "name": HEAD_OF_SERVICE.name},
        },
    ], "the unknown id is left out"
    assert card["msteams"]["width"] == "Full"


# -- lateness ---------------------------------------------------------------------------------------------------
async def test_rows_due_while_no_process_ran_go_when_one_comes_back_marked_late(bot: BotUnderTest) -> None:
    await bot.driver.install(SOCIAL_WORKER, WORKER_CHAT)
    bot.connector.calls.clear()
    await queue(bot, to_person("key-0800", late_note=True), to_person("key-0801"))
    bot.clock.advance(hours=2)  # nothing ran meanwhile
    await queue(bot, to_person("key-0802", due=bot.clock(), late_note=True))  # due now: on time
    assert await bot.run_outbox() == 3
    cards = {k: str(s.cards) for s in bot.connector.sends_to(WORKER_CHAT.id) for k in keys_in([s])}
    assert "This was due at 10am on Wednesday 25 November 2026 and is sent late." in cards["key-0800"]
    assert "sent late" not in cards["key-0801"], "no late_note: no line"
    assert "sent late" not in cards["key-0802"]
    for key in ("key-0800", "key-0801"):
        late = (await row(bot, key)).result["late"]
        assert late["late_by_seconds"] == 7200 and late["due_at"].startswith(START.isoformat()[:16])
    assert "late" not in (await row(bot, "key-0802")).result
    assert bot.runtime.worker.stats.late == 2


# -- dead letters ----------------------------------------------------------------------------------------------
async def _dead_letter_notice(bot: BotUnderTest, key: str) -> dict[str, Any]:
    await queue(bot, to_person(key))
    bot.connector.fail_next(400, code="BadArgument", conversation=WORKER_CHAT.id)
    await bot.run_outbox()
    assert (await row(bot, key)).status == "dead"
    [notice] = [c for c in await bot.deliver() if c.conversation_id == ADMIN_CHAT.id]
    [card] = notice.cards
    return card


async def test_an_administrator_sends_a_dead_letter_again_or_drops_it_from_its_card(bot: BotUnderTest) -> None:
    await bot.driver.install(ADMIN, ADMIN_CHAT)
    await bot.driver.install(SOCIAL_WORKER, WORKER_CHAT)
    card = await _dead_letter_notice(bot, "key-0900")
    assert_valid_card(card)
    assert "Teams refused it as it is" in str(card) and "BadArgument" in str(card)
    assert "Something is due" not in str(card), "never what it carried"
    again = _button(card, "Send again")

    refused = await bot.driver.execute(SOCIAL_WORKER, WORKER_CHAT, "outbox.retry", again["data"])
    assert "can't do that" in str(refused.invoke_card)
    assert (await row(bot, "key-0900")).status == "dead"

    done = await bot.driver.execute(ADMIN, ADMIN_CHAT, "outbox.retry", again["data"])
    assert done.invoke_card is not None and "Sent again" in str(done.invoke_card)
    assert keys_in(await bot.deliver()) == {"key-0900": 1}
    old = await bot.driver.execute(ADMIN, ADMIN_CHAT, "outbox.drop", _button(card, "Drop it")["data"])
    assert "Already dealt with" in str(old.invoke_card), "an old card's button finds it sent"

    second = await _dead_letter_notice(bot, "key-0901")
    ask = await bot.driver.execute(ADMIN, ADMIN_CHAT, "outbox.drop", _button(second, "Drop it")["data"])
    assert ask.invoke_card is not None and "Drop this message for good?" in str(ask.invoke_card)
    assert (await row(bot, "key-0901")).status == "dead", "asked once more first"
    confirm = _button(ask.invoke_card, "Drop it")
    dropped = await bot.driver.execute(ADMIN, ADMIN_CHAT, "outbox.drop", confirm["data"])
    assert "Dropped" in str(dropped.invoke_card)
    assert (await row(bot, "key-0901")).status == "dropped"
    assert "key-0901" not in keys_in(await bot.deliver())
    async with bot.runtime.services.uow() as uow:
        audited = await uow.session.execute(
            text("SELECT action, record_id FROM audit_events WHERE action LIKE 'outbox.%' ORDER BY id")
        )
        assert [a for a, _ in audited.all()] == ["outbox.sent_again", "outbox.dropped"]


async def test_dead_letters_lists_them_for_administrators_only(bot: BotUnderTest) -> None:
    await bot.driver.install(ADMIN, ADMIN_CHAT)
    await bot.driver.install(SOCIAL_WORKER, WORKER_CHAT)
    await _dead_letter_notice(bot, "key-0910")
    listed = await bot.driver.say(ADMIN, ADMIN_CHAT, "dead letters")
    [card] = listed.cards
    assert_valid_card(card)
    assert "Dead letters: 1" in str(card) and "key-0910" in str(card)
    assert [b["title"] for b in buttons(card)] == ["Send again", "Drop it"]
    refused = await bot.driver.say(SOCIAL_WORKER, WORKER_CHAT, "dead letters")
    assert "can't do that" in refused.card_text()


async def test_the_console_lists_sends_again_and_drops_dead_letters(
    bot: BotUnderTest, capsys: pytest.CaptureFixture[str]
) -> None:
    await bot.driver.install(ADMIN, ADMIN_CHAT)
    await bot.driver.install(SOCIAL_WORKER, WORKER_CHAT)
    await _dead_letter_notice(bot, "key-0920")
    await _dead_letter_notice(bot, "key-0921")
    first, second = (await row(bot, "key-0920")).id, (await row(bot, "key-0921")).id
    settings = bot.runtime.settings
    assert await asyncio.to_thread(cli.dead_letters, settings, "list", None) == 0
    listed = capsys.readouterr().out
    assert f"{first}\tsend.person" in listed and "rejected" in listed and "2 dead letters" in listed
    assert "Something is due" not in listed
    assert await asyncio.to_thread(cli.dead_letters, settings, "retry", first) == 0
    assert await asyncio.to_thread(cli.dead_letters, settings, "drop", second) == 0
    assert await asyncio.to_thread(cli.dead_letters, settings, "drop", second) == 1, "not dead any more"
    assert await asyncio.to_thread(cli.dead_letters, settings, "retry", None) == 2
    assert ((await row(bot, "key-0920")).status, (await row(bot, "key-0921")).status) == ("pending", "dropped")
    bot.clock.now = datetime.now(UTC) + timedelta(seconds=1)  # the console sends it again on the wall clock
    assert keys_in(await bot.deliver()) == {"key-0920": 1}


# -- /readyz and /metrics --------------------------------------------------------------------------------------
@pytest.fixture
async def ticking(
    clean_database: str,
    openid: str,
    entra: FakeEntraAndGraph,
    connector: FakeConnector,
    test_ca: tuple[trustme.CA, str],
) -> AsyncIterator[tuple[str, Runtime, Clock, aiohttp.ClientSession]]:
    """A bot whose scheduler really ticks (every 0.2 s), on the test's clock."""
    connector.reset()
    settings = make_settings(clean_database, openid, entra, test_ca[1], outbox_tick_seconds=0.2)
    clock = Clock()
    app = create_app(settings, load_profile(REPO_ROOT / "profiles", settings.profile), clock=clock)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    try:
        yield str(server.make_url("")).rstrip("/"), app[RUNTIME], clock, http
    finally:
        await http.close()
        await server.close()


async def _get(http: aiohttp.ClientSession, url: str) -> tuple[int, str]:
    async with http.get(url) as resp:
        return resp.status, await resp.text()


async def test_a_stalled_scheduler_turns_readyz_red_and_metrics_say_why(
    ticking: tuple[str, Runtime, Clock, aiohttp.ClientSession],
) -> None:
    url, runtime, clock, http = ticking
    await asyncio.sleep(0.5)
    status, body = await _get(http, f"{url}/readyz")
    assert status == 200 and '"scheduler_stalled": false' in body
    assert runtime.scheduler is not None
    # Paused first, and a tick already running given time to end, so no tick can claim the rows added next
    # (on a loaded machine a tick in flight took the overdue job and dead-lettered it).
    runtime.scheduler.pause()
    await asyncio.sleep(1.0)
    async with runtime.services.uow() as uow:
        await uow.outbox.add(
            OutboxMessage(OutboxKind.JOB, {"job": "no.such.job"}, clock() - timedelta(minutes=10)), clock()
        )
        await uow.session.execute(
            OutboxRow.__table__.insert().values(
                kind="send.person", payload={}, due_at=clock(), scheduled_at=clock(), status="dead",
                attempts=8, last_error="HTTP 500", error_class="transient", error_code="", created_at=clock(),
            )
        )  # fmt: skip
    clock.advance(seconds=1)  # more than three ticks' worth, and none ran
    status, body = await _get(http, f"{url}/readyz")
    assert status == 503 and '"scheduler_stalled": true' in body and '"database": true' in body
    status, metrics = await _get(http, f"{url}/metrics")
    assert status == 200
    lines = dict(line.rsplit(" ", 1) for line in metrics.splitlines() if not line.startswith("#"))
    assert lines["stepbot_outbox_scheduler_stalled"] == "1"
    assert float(lines["stepbot_outbox_last_tick_age_seconds"]) >= 1.0
    assert float(lines["stepbot_outbox_oldest_due_age_seconds"]) >= 600
    assert lines["stepbot_outbox_dead_letters"] == "1"
    assert lines["stepbot_outbox_throttled_total"] == "0"
    assert "# TYPE stepbot_outbox_throttled_total counter" in metrics
    runtime.scheduler.resume()
    for _ in range(50):
        await asyncio.sleep(0.1)
        status, body = await _get(http, f"{url}/readyz")
        if status == 200:
            break
    assert status == 200, body
    # The unknown job ran meanwhile and was given up on at once: a job no code answers to is not retried.
    async with runtime.services.uow() as uow:
        dead = set(await uow.session.scalars(select(OutboxRow.error_class).where(OutboxRow.status == "dead")))
    assert {"rejected", "transient"} <= dead
