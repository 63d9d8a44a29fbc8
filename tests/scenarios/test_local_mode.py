"""Local mode: no credentials, loopback only, loud about it, and everyone holds every role."""

from __future__ import annotations

import json
from typing import Any

import pytest

from bot.app import create_app
from bot.profile_files import load_profile
from bot.settings import REPO_ROOT, Settings
from tests.conftest import NOBODY, SOCIAL_WORKER, BotUnderTest
from tests.harness.driver import Chat


async def test_local_mode_needs_no_token_and_gives_every_role(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(app_id="", app_password="", local_mode=True, allowed_tenants=[])
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert exchange.status == 201
    text = exchange.card_text()
    assert "Your roles: every role, for trying things out (local mode)." in text
    assert "Administrator" not in text, "every role is said briefly, not listed"
    # No credentials: the reply is sent without a bearer token.
    assert exchange.sent[0].authorization == ""


async def test_in_local_mode_a_configured_person_holds_only_their_roles(start_bot: Any) -> None:
    """As in the Playground: STEPBOT_ROLES gives each person their role, so access is what it is in Teams."""
    bot: BotUnderTest = await start_bot(app_id="", app_password="", local_mode=True, allowed_tenants=[])
    exchange = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "help")
    text = exchange.card_text()
    assert "Your roles: Social worker" in text and "every role" not in text
    refused = await bot.driver.say(SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "agenda")
    assert "You can't do that yet" in refused.card_text()


async def test_the_group_chat_welcome_says_group_chat(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot()
    group = Chat.group("case-discussion")
    exchange = await bot.driver.install(SOCIAL_WORKER, group)
    await bot.deliver()
    sent = [c for c in bot.connector.calls if c.conversation_id == group.id]
    text = json.dumps([c.cards for c in sent] + [exchange.cards])
    assert "deadline nudges in this group chat" in text and "in this channel" not in text


def _settings(**values: Any) -> Settings:
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


def test_the_service_refuses_to_start_without_credentials_outside_local_mode() -> None:
    settings = _settings(app_id="", local_mode=False)
    assert "MICROSOFT_APP_ID" in (settings.startup_problem() or "")
    with pytest.raises(RuntimeError, match="MICROSOFT_APP_ID"):
        create_app(settings, load_profile(REPO_ROOT / "profiles", "redcar"))


def test_local_mode_without_credentials_binds_loopback_only() -> None:
    assert _settings(local_mode=True, host="127.0.0.1").startup_problem() is None
    assert _settings(local_mode=True, host="::1").startup_problem() is None
    problem = _settings(local_mode=True, host="0.0.0.0").startup_problem()
    assert problem is not None and "127.0.0.1" in problem


def test_credentials_lift_the_loopback_rule() -> None:
    settings = _settings(
        app_id="11111111-1111-4111-8111-111111111111",
        app_password="x",
        app_tenant_id="t",
        host="0.0.0.0",
    )
    assert settings.startup_problem() is None


def test_an_empty_tenant_list_is_open_only_in_local_mode() -> None:
    assert _settings(local_mode=True).tenant_allowed("any-tenant")
    assert not _settings(local_mode=False).tenant_allowed("any-tenant")
    assert _settings(allowed_tenants="a, b").tenant_allowed("b")
    assert not _settings(allowed_tenants="a, b").tenant_allowed("c")


async def test_in_local_mode_a_request_with_no_channel_set_comes_back_to_the_same_chat(start_bot: Any) -> None:
    from tests.harness.cardwalk import button, inputs
    from tests.scenarios.booking_steps import press
    from tests.scenarios.transfer_steps import STEP_DOWN, first_choice, review_request, start_request

    bot: BotUnderTest = await start_bot(
        app_id="", app_password="", local_mode=True, allowed_tenants=[], coordinators_channel_id=""
    )
    await bot.driver.install(NOBODY, Chat.personal(NOBODY))
    picker = await start_request(bot, NOBODY)
    form = await press(bot, NOBODY, button(picker, "transfer.start", "Step down to early help"))
    values = {**STEP_DOWN, "from_team": first_choice(form, "from_team"), "to_service": first_choice(form, "to_service")}
    assert "case_reference" in inputs(form)
    reviewed = await review_request(bot, NOBODY, form, **values)
    sent = await press(bot, NOBODY, button(reviewed, "transfer.submit"))
    assert "the request comes back to this chat" in json.dumps(sent), "the confirmation says where it went"
    calls = await bot.deliver()
    posted = [c for c in calls if c.op == "send" and c.conversation_id == Chat.personal(NOBODY).id]
    requests = [c for c in posted if "Transfer request: DEMO-0101" in json.dumps(c.cards)]
    assert len(requests) == 1, "the request appears once in the chat: the bot's own message"
    assert "Transfer request" not in json.dumps(sent), "the answer to the click is not a second copy"
    # Trying the bot alone: the one person, holding every role, may also decide their own request.
    from tests.harness.cardwalk import buttons

    [row_id] = {b["data"]["record_id"] for b in buttons(posted[0].cards[0])}
    view = await press(bot, NOBODY, {"verb": "transfer.refresh", "data": {"record_id": row_id}})
    # Holding every role, they are Redcar's MACH manager too: they authorise it first (002 standard 2).
    view = await press(bot, NOBODY, button(view, "transfer.act", "Authorise"))
    view = await press(bot, NOBODY, {"verb": "transfer.refresh", "data": {"record_id": row_id}})
    form = await press(bot, NOBODY, button(view, "transfer.form", "Accept and allocate"))
    accepted = await press(bot, NOBODY, button(form, "transfer.decide"), team=first_choice(form, "team"))
    assert "Accepted and allocated" in str(accepted)
