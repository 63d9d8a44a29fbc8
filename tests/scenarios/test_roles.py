"""Roles come from configuration: object ids, and groups looked up in Microsoft Graph through msal (cached, for a
bounded time while Graph is down, then failing closed)."""

from __future__ import annotations

import logging
import ssl
from typing import Any

import aiohttp
import pytest
import trustme

from cards.common import GROUP_ROLES_UNCHECKED
from domain.roles import Role
from tests.conftest import NOBODY, BotUnderTest
from tests.harness.driver import TENANT, Chat
from tests.harness.entra import FakeEntraAndGraph

MANAGERS_GROUP = "aaaaaaaa-0000-4000-8000-000000000001"


async def test_a_group_member_holds_the_groups_role_through_graph(start_bot: Any, entra: FakeEntraAndGraph) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url,
        roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"]},
    )
    entra.set_member_groups(NOBODY.object_id, ["unrelated-group", MANAGERS_GROUP])
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert "Team manager" in exchange.card_text()
    [call] = entra.state.graph_calls
    assert (call.method, call.path) == ("POST", f"/v1.0/users/{NOBODY.object_id}/getMemberGroups")
    # The app token came from the fake Entra through msal, for Graph's scope and our tenant.
    graph_tokens = [t for t in entra.state.tokens_issued if t["scope"].startswith("https://graph.microsoft.com")]
    assert len(graph_tokens) == 1
    assert graph_tokens[0]["client_id"] == bot.runtime.settings.app_id


async def test_group_lookups_are_cached(start_bot: Any, entra: FakeEntraAndGraph) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url, roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"]}
    )
    entra.set_member_groups(NOBODY.object_id, [MANAGERS_GROUP])
    for _ in range(3):
        await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert len(entra.state.graph_calls) == 1


async def test_without_the_group_a_person_holds_no_role(start_bot: Any, entra: FakeEntraAndGraph) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url, roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"]}
    )
    entra.set_member_groups(NOBODY.object_id, ["unrelated-group"])
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert "no role" in exchange.card_text()


async def test_graph_being_down_falls_back_to_configured_ids(start_bot: Any, entra: FakeEntraAndGraph) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url,
        roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"], Role.HEAD_OF_SERVICE: [NOBODY.object_id]},
    )
    entra.set_graph_down(True)
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert exchange.status == 201
    assert "Head of service" in exchange.card_text()
    assert "Team manager" not in exchange.card_text()


# -- Graph's framing, and cached group roles for a bounded time ------------------------------------------------
async def test_the_graph_fake_answers_chunked_with_no_content_length(
    entra: FakeEntraAndGraph, test_ca: tuple[trustme.CA, str]
) -> None:
    """The harness must answer as Graph often does, or the framing tests below would prove nothing."""
    entra.reset()
    context = ssl.create_default_context(cafile=test_ca[1])
    async with aiohttp.ClientSession() as http:
        form = {"grant_type": "client_credentials", "client_id": "x", "client_secret": "y", "scope": "s"}
        async with http.post(f"{entra.authority_host}/{TENANT}/oauth2/v2.0/token", data=form, ssl=context) as resp:
            token = (await resp.json())["access_token"]
        url = f"{entra.graph_base_url}/users/{NOBODY.object_id}/getMemberGroups"
        headers = {"Authorization": f"Bearer {token}"}
        async with http.post(url, json={"securityEnabledOnly": False}, headers=headers, ssl=context) as resp:
            assert resp.status == 200
            assert "Content-Length" not in resp.headers
            assert resp.headers.get("Transfer-Encoding") == "chunked"
            assert await resp.json() == {"value": []}


@pytest.mark.parametrize("framing", ["chunked", "content-length"])
async def test_a_group_member_holds_the_groups_role_whatever_graphs_framing(
    start_bot: Any, entra: FakeEntraAndGraph, framing: str
) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url, roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"]}
    )
    entra.set_graph_framing(framing)
    entra.set_member_groups(NOBODY.object_id, [MANAGERS_GROUP])
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert exchange.status == 201
    assert "Team manager" in exchange.card_text()
    assert "went wrong" not in exchange.card_text()


def _role_warnings(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [r for r in caplog.records if r.name == "bot.roles" and r.levelno == logging.WARNING]


async def test_cached_group_roles_are_served_for_a_bounded_time_then_fail_closed_and_say_so(
    start_bot: Any, entra: FakeEntraAndGraph, caplog: pytest.LogCaptureFixture
) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url,
        role_cache_seconds=60,
        directory_max_stale_seconds=600,
        roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"], Role.HEAD_OF_SERVICE: [NOBODY.object_id]},
    )
    entra.set_member_groups(NOBODY.object_id, [MANAGERS_GROUP])
    chat = Chat.personal(NOBODY)
    assert "Team manager" in (await bot.driver.say(NOBODY, chat, "help")).card_text()

    entra.set_graph_down(True)
    bot.clock.advance(seconds=61)
    cached = await bot.driver.say(NOBODY, chat, "help")
    assert len(entra.state.graph_calls) == 2, "past the cache's time Graph is asked again"
    assert "Team manager" in cached.card_text(), "within the stale bound the cached groups still count"
    assert GROUP_ROLES_UNCHECKED not in cached.card_text()

    bot.clock.advance(seconds=540)  # 601 seconds after the groups were fetched
    caplog.clear()
    with caplog.at_level(logging.WARNING, logger="bot.roles"):
        closed = await bot.driver.say(NOBODY, chat, "help")
        refused = await bot.driver.say(NOBODY, chat, "my transfers")
    assert closed.status == 201
    text = closed.card_text()
    assert "Team manager" not in text, "a group role is no longer served once its answer is too old"
    assert "Head of service" in text, "a role configured by object id still holds"
    assert GROUP_ROLES_UNCHECKED in text
    # A command that needs the group's role is refused, and the refusal says why the role is missing.
    assert "You can't do that yet" in refused.card_text()
    assert GROUP_ROLES_UNCHECKED in refused.card_text()
    warnings = _role_warnings(caplog)
    assert warnings and all(getattr(r, "object_id", None) == NOBODY.object_id for r in warnings)
    assert all(getattr(r, "outcome", None) == "fail_closed" for r in warnings)
    assert not any("can't check" in r.getMessage() for r in warnings), "the log carries ids, not card text"

    entra.set_graph_down(False)
    back = await bot.driver.say(NOBODY, chat, "help")
    assert "Team manager" in back.card_text()
    assert GROUP_ROLES_UNCHECKED not in back.card_text()


async def test_a_person_known_only_through_groups_is_told_their_groups_cannot_be_checked(
    start_bot: Any, entra: FakeEntraAndGraph
) -> None:
    bot: BotUnderTest = await start_bot(
        graph_base_url=entra.graph_base_url, roles={Role.TEAM_MANAGER: [f"group:{MANAGERS_GROUP}"]}
    )
    entra.set_graph_down(True)
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert exchange.status == 201
    text = exchange.card_text()
    assert GROUP_ROLES_UNCHECKED in text
    assert "You have no role" not in text, "with groups unchecked the bot can't say they have no role"
    assert "Team manager" not in text
