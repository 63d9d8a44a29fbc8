"""Roles come from configuration: object ids, and groups looked up in Microsoft Graph through msal."""

from __future__ import annotations

from typing import Any

from domain.roles import Role
from tests.conftest import NOBODY, BotUnderTest
from tests.harness.driver import Chat
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
