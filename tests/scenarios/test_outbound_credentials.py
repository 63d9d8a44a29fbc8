"""Outbound calls reuse one credential and one client; a certificate works as well as a secret."""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import trustme
from cryptography import x509
from cryptography.hazmat.primitives.serialization import Encoding

from tests.conftest import COORDINATOR, COORDINATORS_CHANNEL, SOCIAL_WORKER, BotUnderTest
from tests.harness.driver import Chat
from tests.harness.entra import FakeEntraAndGraph


def _bot_tokens(entra: FakeEntraAndGraph) -> list[dict[str, str]]:
    return [t for t in entra.state.tokens_issued if t["scope"].startswith("https://api.botframework.com")]


async def test_many_turns_share_one_token_and_one_connector_client(bot: BotUnderTest, entra: FakeEntraAndGraph) -> None:
    for _ in range(3):
        await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "help")
    await bot.driver.say(COORDINATOR, COORDINATORS_CHANNEL, "help")
    tokens = _bot_tokens(entra)
    assert len(tokens) == 1
    assert tokens[0]["scope"] == "https://api.botframework.com/.default"
    assert tokens[0]["tenant"] == bot.runtime.settings.app_tenant_id
    assert tokens[0]["credential"] == "secret"
    assert len(bot.runtime.connectors._clients) == 1
    # The connector saw the same bearer token on every reply.
    assert len({c.authorization for c in bot.connector.calls}) == 1


async def test_a_certificate_credential_gets_a_token_with_a_signed_assertion(
    start_bot: Any, entra: FakeEntraAndGraph, tmp_path: Path
) -> None:
    ca = trustme.CA()
    cert = ca.issue_cert("stepbot.invalid", key_type=trustme.KeyType.RSA)
    key_path = tmp_path / "bot.pem"
    key_path.write_bytes(cert.private_key_pem.bytes() + cert.cert_chain_pems[0].bytes())
    der = x509.load_pem_x509_certificate(cert.cert_chain_pems[0].bytes()).public_bytes(Encoding.DER)
    # Entra identifies certificates by their SHA-1 thumbprint.
    thumbprint = hashlib.sha1(der).hexdigest()
    bot: BotUnderTest = await start_bot(
        app_password="", app_certificate_path=str(key_path), app_certificate_thumbprint=thumbprint
    )
    exchange = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "help")
    assert exchange.status == 201
    assert exchange.sent[0].authorization.startswith("Bearer fake-")
    assert [t["credential"] for t in _bot_tokens(entra)] == ["certificate"]


async def test_a_group_chat_is_served_and_remembered(bot: BotUnderTest) -> None:
    chat = Chat.group("casework")
    exchange = await bot.driver.say(SOCIAL_WORKER, chat, "help")
    assert exchange.status == 201
    assert exchange.sent[0].conversation_id == chat.id
    async with bot.runtime.services.uow() as uow:
        ref = await uow.conversations.conversation(chat.id)
    assert ref is not None and ref.kind.value == "groupChat"
