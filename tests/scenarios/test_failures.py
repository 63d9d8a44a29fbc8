"""An unexpected failure gets a short apology with a correlation id, is logged with it, and leaves nothing."""

from __future__ import annotations

import logging
import re
from typing import Any

import pytest
from sqlalchemy import func, select

import bot.app
from cards.payloads import ActionPayload
from dialogs.catalogue import build_router
from dialogs.router import Router
from dialogs.turn import Reply, Services, Turn
from storage.tables import AuditEventRow, OutboxRow
from tests.conftest import SOCIAL_WORKER, BotUnderTest
from tests.harness.cardschema import assert_valid_card
from tests.harness.driver import Chat


class Explode(ActionPayload):
    note: str = ""


def _exploding_router() -> Router:
    root = build_router()
    extra = Router()

    @extra.action("test.explode", payload=Explode)
    async def explode(turn: Turn, services: Services, payload: Explode) -> Reply:
        async with services.uow() as uow:
            await uow.audit.record(at=turn.now, tenant_id="t", actor_object_id="a", action="half.written")
            raise ValueError(f"boom with the family's words: {payload.note}")

    root.include(extra)
    return root


async def test_a_failing_action_gets_an_apology_and_writes_nothing(
    start_bot: Any, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setattr(bot.app, "build_router", _exploding_router)
    started: BotUnderTest = await start_bot()
    with caplog.at_level(logging.ERROR):
        exchange = await started.driver.execute(
            SOCIAL_WORKER, Chat.personal(SOCIAL_WORKER), "test.explode", {"note": "private text"}
        )
    assert exchange.status == 200
    card = exchange.invoke_card
    assert card is not None
    assert_valid_card(card)
    found = re.search(r"reference: ([0-9a-f]{12})", str(card))
    assert found is not None
    correlation = found.group(1)
    failures = [r for r in caplog.records if getattr(r, "correlation_id", None) == correlation]
    assert len(failures) == 1
    assert "private text" not in failures[0].getMessage()
    async with started.runtime.services.uow() as uow:
        assert await uow.session.scalar(select(func.count()).select_from(AuditEventRow)) == 0
        assert await uow.session.scalar(select(func.count()).select_from(OutboxRow)) == 0
