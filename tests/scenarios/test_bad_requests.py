"""Malformed requests get 400, a refused channel or tenant 403; none of them reaches a handler."""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import func, select

from storage.tables import ConversationRefRow
from tests.conftest import SOCIAL_WORKER, BotUnderTest
from tests.harness.driver import Chat


def _help(bot: BotUnderTest) -> dict[str, Any]:
    return bot.driver.activity(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "message", text="help")


async def _refs(bot: BotUnderTest) -> int:
    async with bot.runtime.services.uow() as uow:
        return int(await uow.session.scalar(select(func.count()).select_from(ConversationRefRow)) or 0)


async def test_a_missing_content_type_is_400(bot: BotUnderTest) -> None:
    body = _help(bot)
    async with bot.driver.http.post(
        f"{bot.url}/api/messages",
        data=json.dumps(body).encode(),
        headers={"Authorization": f"Bearer {bot.driver.minter.mint(body['serviceUrl'])}"},  # type: ignore[union-attr]
        skip_auto_headers=["Content-Type"],
    ) as resp:
        assert resp.status == 400
    assert await _refs(bot) == 0


async def test_a_body_that_is_not_json_is_400(bot: BotUnderTest) -> None:
    exchange = await bot.driver.post(_help(bot), raw=b"{not json")
    assert exchange.status == 400


async def test_a_json_array_is_400(bot: BotUnderTest) -> None:
    exchange = await bot.driver.post(_help(bot), raw=b"[1, 2, 3]")
    assert exchange.status == 400


async def test_an_activity_without_a_conversation_is_400(bot: BotUnderTest) -> None:
    body = _help(bot)
    del body["conversation"]
    exchange = await bot.driver.post(body)
    assert exchange.status == 400
    assert exchange.sent == []


async def test_an_activity_without_a_service_url_is_400(bot: BotUnderTest) -> None:
    body = _help(bot)
    token = bot.driver.minter.mint(body["serviceUrl"])  # type: ignore[union-attr]
    del body["serviceUrl"]
    exchange = await bot.driver.post(body, token=token)
    assert exchange.status == 400
    assert await _refs(bot) == 0


async def test_another_channel_than_teams_is_403(bot: BotUnderTest) -> None:
    body = _help(bot)
    body["channelId"] = "webchat"
    # A genuine Web Chat token: signed by a key the Bot Framework endorses for webchat.
    minter = bot.driver.minter
    assert minter is not None
    exchange = await bot.driver.post(body, token=minter.mint(body["serviceUrl"], key=minter.other_channel))
    assert exchange.status == 403
    assert exchange.sent == []
    assert await _refs(bot) == 0


async def test_a_tenant_outside_the_allow_list_is_403(bot: BotUnderTest) -> None:
    body = _help(bot)
    body["conversation"]["tenantId"] = "99999999-9999-4999-8999-999999999999"
    body["channelData"]["tenant"]["id"] = "99999999-9999-4999-8999-999999999999"
    exchange = await bot.driver.post(body)
    assert exchange.status == 403
    assert exchange.sent == []
    assert await _refs(bot) == 0


async def test_an_empty_allow_list_refuses_every_tenant_outside_local_mode(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(allowed_tenants=[])
    exchange = await bot.driver.post(_help(bot))
    assert exchange.status == 403
    assert await _refs(bot) == 0


async def test_health_and_readiness(bot: BotUnderTest) -> None:
    async with bot.driver.http.get(f"{bot.url}/healthz") as resp:
        assert resp.status == 200
    async with bot.driver.http.get(f"{bot.url}/readyz") as resp:
        assert resp.status == 200
        assert (await resp.json()) == {"database": True, "signing_keys": True}


async def test_an_oversized_body_is_refused_before_anything_runs(bot: BotUnderTest) -> None:
    body = _help(bot)
    body["text"] = "x" * (300 * 1024)
    exchange = await bot.driver.post(body)
    assert exchange.status == 413
    assert exchange.sent == []
    assert await _refs(bot) == 0


def _nested(bot: BotUnderTest, depth: int) -> bytes:
    """A help message whose value is `depth` arrays deep, written out by hand (json.dumps would recurse)."""
    body = json.dumps({**_help(bot), "value": "NESTED"})
    return body.replace('"NESTED"', "[" * depth + "]" * depth).encode()


async def test_a_deeply_nested_body_is_400_not_500(bot: BotUnderTest) -> None:
    raw = _nested(bot, 3000)  # 6 kB: past Python's recursion limit when parsed
    assert len(raw) < 8 * 1024
    exchange = await bot.driver.post(_help(bot), raw=raw)
    assert exchange.status == 400
    assert exchange.sent == [] and await _refs(bot) == 0
    shallow_but_deep = await bot.driver.post(_help(bot), raw=_nested(bot, 40))
    assert shallow_but_deep.status == 400, "deeper than an activity ever is"


async def test_a_body_without_a_token_is_refused_before_it_is_parsed(bot: BotUnderTest) -> None:
    for raw in (_nested(bot, 3000), b"{not json", b"[1, 2, 3]"):
        exchange = await bot.driver.post({}, raw=raw, token="")
        assert exchange.status == 401, raw[:20]
