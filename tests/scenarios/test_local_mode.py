"""Local mode: no credentials, loopback only, loud about it, and everyone holds every role."""

from __future__ import annotations

from typing import Any

import pytest

from bot.app import create_app
from bot.profile_files import load_profile
from bot.settings import REPO_ROOT, Settings
from tests.conftest import NOBODY, BotUnderTest
from tests.harness.driver import Chat


async def test_local_mode_needs_no_token_and_gives_every_role(start_bot: Any) -> None:
    bot: BotUnderTest = await start_bot(app_id="", app_password="", local_mode=True, allowed_tenants=[])
    exchange = await bot.driver.say(NOBODY, Chat.personal(NOBODY), "help")
    assert exchange.status == 201
    text = exchange.card_text()
    assert "Local mode" in text
    for title in ("Social worker", "Early Help Coordinator", "Administrator", "Head of service"):
        assert title in text
    # No credentials: the reply is sent without a bearer token.
    assert exchange.sent[0].authorization == ""


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
    from tests.scenarios.transfer_steps import STEP_DOWN, first_choice, start_request

    bot: BotUnderTest = await start_bot(
        app_id="", app_password="", local_mode=True, allowed_tenants=[], coordinators_channel_id=""
    )
    await bot.driver.install(NOBODY, Chat.personal(NOBODY))
    picker = await start_request(bot, NOBODY)
    form = await press(bot, NOBODY, button(picker, "transfer.start", "Step down to early help"))
    values = {**STEP_DOWN, "from_team": first_choice(form, "from_team"), "to_service": first_choice(form, "to_service")}
    assert "case_reference" in inputs(form)
    reviewed = await press(bot, NOBODY, button(form, "transfer.review"), **values)
    await press(bot, NOBODY, button(reviewed, "transfer.submit"))
    calls = await bot.deliver()
    posted = [c for c in calls if c.op == "send" and c.conversation_id == Chat.personal(NOBODY).id]
    assert posted and "DEMO-0101" in str(posted[0].cards)
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
