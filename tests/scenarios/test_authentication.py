"""Every request is authenticated before any handler runs; every bad token is a 401 and writes nothing."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from storage.tables import ConversationRefRow, OutboxRow
from tests.conftest import SOCIAL_WORKER, BotUnderTest
from tests.harness.driver import Chat
from tests.harness.tokens import TokenMinter


async def _rows(bot: BotUnderTest) -> int:
    async with bot.runtime.services.uow() as uow:
        refs = await uow.session.scalar(select(func.count()).select_from(ConversationRefRow))
        outbox = await uow.session.scalar(select(func.count()).select_from(OutboxRow))
    return int(refs or 0) + int(outbox or 0)


def _help(bot: BotUnderTest) -> dict[str, Any]:
    return bot.driver.activity(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "message", text="help")


async def test_a_valid_token_gets_201_for_a_message(bot: BotUnderTest) -> None:
    exchange = await bot.driver.post(_help(bot))
    assert exchange.status == 201
    assert len(exchange.cards) == 1
    assert await _rows(bot) == 1


async def test_a_valid_token_gets_200_for_an_invoke(bot: BotUnderTest) -> None:
    exchange = await bot.driver.execute(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "help.show")
    assert exchange.status == 200
    assert exchange.invoke_card is not None


BAD_TOKENS = {
    "missing": lambda m, url: None,
    "garbage": lambda m, url: "not.a.jwt",
    "not base64": lambda m, url: "%%%.%%%.%%%",
    "forged: signed by an unpublished key under a published key id": lambda m, url: _forged(m, url),
    "expired": lambda m, url: m.mint(url, expires_in=-3600),
    "unknown key id": lambda m, url: m.mint(url, key=m.unpublished),
    "HS256": lambda m, url: m.mint_hs256(url),
    "wrong audience": lambda m, url: m.mint(url, audience="22222222-2222-4222-8222-222222222222"),
    "wrong issuer": lambda m, url: m.mint(url, issuer="https://sts.windows.net/evil/"),
    "wrong serviceUrl": lambda m, url: m.mint("https://smba.evil.example/"),
    "key endorsed for another channel": lambda m, url: m.mint(url, key=m.other_channel),
}


def _forged(minter: TokenMinter, url: str) -> str:
    import jwt

    token = minter.mint(url, key=minter.unpublished)
    header = jwt.get_unverified_header(token)
    assert header["kid"] == minter.unpublished.kid
    # Re-sign the same claims with the unpublished key but claim the published key's id.
    claims = jwt.decode(token, options={"verify_signature": False})
    return jwt.encode(claims, minter.unpublished.private, algorithm="RS256", headers={"kid": minter.current.kid})


@pytest.mark.parametrize("case", sorted(BAD_TOKENS))
async def test_a_bad_token_is_refused_with_401_and_nothing_runs(
    bot: BotUnderTest, minter: TokenMinter, case: str
) -> None:
    body = _help(bot)
    token = BAD_TOKENS[case](minter, body["serviceUrl"])
    mark = bot.connector.snapshot()
    if token is None:
        exchange = await bot.driver.post(body, token="")
    else:
        exchange = await bot.driver.post(body, token=token)
    assert exchange.status == 401
    assert bot.connector.since(mark) == []
    assert await _rows(bot) == 0


async def test_a_bearer_scheme_is_required(bot: BotUnderTest, minter: TokenMinter) -> None:
    body = _help(bot)
    token = minter.mint(body["serviceUrl"])
    exchange = await bot.driver.post(body, token="", headers={"Authorization": f"Basic {token}"})
    assert exchange.status == 401
    assert await _rows(bot) == 0


async def test_a_rotated_signing_key_is_fetched_rather_than_refused(start_bot: Any, minter: TokenMinter) -> None:
    bot: BotUnderTest = await start_bot(signing_keys_min_refresh_seconds=0)
    fetches = minter.jwks_fetches
    rotated = minter.rotate()
    body = _help(bot)
    exchange = await bot.driver.post(body, token=minter.mint(body["serviceUrl"], key=rotated))
    assert exchange.status == 201
    assert minter.jwks_fetches == fetches + 1
    assert rotated.kid in bot.runtime.keys.key_ids  # type: ignore[union-attr]
