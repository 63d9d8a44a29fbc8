"""What is kept only for a while goes on a schedule: expired drafts, old processed actions, old sent rows."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from aiohttp.test_utils import TestServer
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import select

from bot.app import RUNTIME, create_app
from bot.profile_files import load_profile
from bot.settings import REPO_ROOT, Settings
from dialogs.housekeeping import Purged, Retention, purge_old_records
from storage.tables import DraftRow, OutboxRow, ProcessedActionRow
from storage.uow import UnitOfWorkFactory

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)
MONTH = Retention(processed_actions=timedelta(days=30), sent_outbox=timedelta(days=30))
WORDS = "Mum says she will not agree to a referral"


def _outbox_row(status: str, *, age: timedelta, n: int) -> OutboxRow:
    at = NOW - age
    return OutboxRow(
        kind="send.conversation",
        payload={"conversation_id": f"19:c{n}", "card": {"text": WORDS}},
        due_at=at,
        status=status,
        attempts=1,
        last_error="403 Forbidden" if status == "dead" else "",
        dedupe_key=f"row:{n}",
        created_at=at,
        sent_at=at if status == "sent" else None,
    )


async def _fill(uow: UnitOfWorkFactory) -> None:
    async with uow() as work:
        hour = timedelta(hours=1)
        await work.drafts.start("t", "sw", "transfer", {"reason": WORDS}, NOW - 3 * hour, hour)
        await work.drafts.start("t", "sw", "booking", {"reason": WORDS}, NOW, hour)
        assert await work.actions.claim("old", "booking.confirm", NOW - timedelta(days=31))
        assert await work.actions.claim("recent", "booking.confirm", NOW - timedelta(days=29))
        await work.actions.keep_answer("old", {"text": WORDS})
        work.session.add_all(
            [
                _outbox_row("sent", age=timedelta(days=31), n=1),
                _outbox_row("sent", age=timedelta(days=29), n=2),
                _outbox_row("dead", age=timedelta(days=400), n=3),
                _outbox_row("pending", age=timedelta(days=40), n=4),
            ]
        )


async def test_the_purge_deletes_what_outlived_its_period_and_keeps_the_rest(uow: UnitOfWorkFactory) -> None:
    await _fill(uow)
    assert await purge_old_records(uow, NOW, MONTH) == Purged(drafts=1, processed_actions=1, sent_outbox=1)
    async with uow() as work:
        drafts = list(await work.session.scalars(select(DraftRow.flow)))
        actions = list(await work.session.scalars(select(ProcessedActionRow.key)))
        outbox = sorted(await work.session.execute(select(OutboxRow.dedupe_key, OutboxRow.status)))
    assert drafts == ["booking"]
    assert actions == ["recent"]
    # Dead rows wait for an administrator however old they are; pending rows are still to be sent.
    assert [tuple(row) for row in outbox] == [("row:2", "sent"), ("row:3", "dead"), ("row:4", "pending")]


async def test_purging_again_or_from_another_replica_finds_nothing_more(uow: UnitOfWorkFactory) -> None:
    await _fill(uow)
    await purge_old_records(uow, NOW, MONTH)
    assert await purge_old_records(uow, NOW, MONTH) == Purged(drafts=0, processed_actions=0, sent_outbox=0)


async def test_the_purge_logs_one_line_of_counts_and_none_of_the_words(
    uow: UnitOfWorkFactory, caplog: pytest.LogCaptureFixture
) -> None:
    await _fill(uow)
    with caplog.at_level(logging.INFO, logger="dialogs.housekeeping"):
        await purge_old_records(uow, NOW, MONTH)
    [record] = [r for r in caplog.records if r.name == "dialogs.housekeeping"]
    assert record.getMessage() == "purged 1 expired drafts, 1 processed actions, 1 sent outbox rows"
    assert WORDS not in caplog.text


def _local_settings(database_url: str, **values: Any) -> Settings:
    return Settings(_env_file=None, database_url=database_url, local_mode=True, **values)  # type: ignore[call-arg]


async def test_each_process_runs_the_purge_on_the_configured_interval(
    clean_database: str, caplog: pytest.LogCaptureFixture
) -> None:
    settings = _local_settings(
        clean_database,
        purge_interval_seconds=1800,
        processed_actions_retention_days=7,
        sent_outbox_retention_days=14,
    )
    app = create_app(settings, load_profile(REPO_ROOT / "profiles", settings.profile), clock=lambda: NOW)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    try:
        runtime = app[RUNTIME]
        assert runtime.scheduler is not None
        job = runtime.scheduler.get_job("purge")
        assert job is not None
        assert isinstance(job.trigger, IntervalTrigger)
        assert job.trigger.interval == timedelta(seconds=1800)
        # The job purges with the configured periods: a processed action 8 days old is past 7 days.
        async with runtime.services.uow() as work:
            await work.actions.claim("a week ago", "booking.confirm", NOW - timedelta(days=8))
        with caplog.at_level(logging.INFO, logger="dialogs.housekeeping"):
            await job.func()
        assert "1 processed actions" in caplog.text
    finally:
        await server.close()


def test_the_retention_periods_default_to_a_month_and_the_purge_to_hourly() -> None:
    settings = Settings(_env_file=None)  # type: ignore[call-arg]
    assert settings.processed_actions_retention_days == 30
    assert settings.sent_outbox_retention_days == 30
    assert settings.purge_interval_seconds == 3600
