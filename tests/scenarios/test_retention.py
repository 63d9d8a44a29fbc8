"""`stepbot purge` at the console: a closed case past its period goes, its Teams cards are blanked, a tombstone stays.

The cases are made through the real endpoint; the oldest is then aged (its last change moved back eight
years), and `bot.cli.main(["purge", ...])` runs against the same database with the default periods (six
years for requests, seven for their audit events), on SQLite and PostgreSQL alike.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest
from sqlalchemy import func, select, update

from bot.cli import main
from domain.retention import REMOVED, Period, RetentionPeriods
from storage.case_tables import DisputeRow, OutcomeRow
from storage.tables import AuditEventRow, BookingRow, OutboxRow, TransferRow
from tests.conftest import (
    CHAIR,
    COORDINATORS_CHANNEL,
    MANAGERS_CHANNEL,
    SOCIAL_WORKER,
    SOCIAL_WORKERS,
    BotUnderTest,
)
from tests.harness.cardwalk import button, shown_text
from tests.scenarios.booking_steps import book, press
from tests.scenarios.outcome_steps import audited, on_meeting, record_outcome, submit_step_down, view
from tests.scenarios.transfer_steps import STEP_DOWN

MEETING_DAY = "2026-11-25"
LONG_AGO = datetime(2018, 3, 1, 12, tzinfo=UTC)


async def _declined(bot: BotUnderTest, transfer_id: int) -> None:
    reason = bot.runtime.services.profile.transfers.decline_reasons[0]
    await record_outcome(bot, CHAIR, transfer_id, "Not agreed", meeting_on=MEETING_DAY, reason=reason)


async def _three_cases(start_bot: Any) -> tuple[BotUnderTest, dict[str, int]]:
    """DEMO-0101 declined and disputed, then aged; DEMO-0102 declined this week; DEMO-0103 still open, aged."""
    bot, old = await on_meeting(start_bot, "dorset", discussed_with="", discussed_on="")
    await _declined(bot, old)
    card = await view(bot, SOCIAL_WORKER, old)
    form = await press(bot, SOCIAL_WORKER, button(card, "dispute.form"))
    await press(bot, SOCIAL_WORKER, button(form, "dispute.raise"), about="The school's view was not heard.")
    recent = await submit_step_down(
        bot, case_reference="DEMO-0102", route="weekly_meeting", discussed_with="", discussed_on=""
    )
    await _declined(bot, recent)
    still_open = await submit_step_down(
        bot, case_reference="DEMO-0103", route="weekly_meeting", discussed_with="", discussed_on=""
    )
    await bot.deliver()
    async with bot.runtime.services.uow() as uow:
        await uow.session.execute(
            update(TransferRow).where(TransferRow.id.in_([old, still_open])).values(updated_at=LONG_AGO)
        )
    return bot, {"DEMO-0101": old, "DEMO-0102": recent, "DEMO-0103": still_open}


async def _purge(monkeypatch: pytest.MonkeyPatch, url: str, *args: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("STEPBOT_RETENTION", raising=False)
    return await asyncio.to_thread(main, ["purge", *args])


async def _counts(bot: BotUnderTest) -> dict[str, int]:
    async with bot.runtime.services.uow() as uow:
        return {
            table.__tablename__: int(await uow.session.scalar(select(func.count()).select_from(table)) or 0)
            for table in (TransferRow, OutcomeRow, DisputeRow, AuditEventRow, OutboxRow)
        }


def _printed(out: str) -> dict[str, int]:
    counts = {}
    for line in out.splitlines():
        words = line.strip().rsplit(" ", 1)
        if line.startswith("  ") and len(words) == 2 and words[1].isdigit():
            counts[words[0].strip()] = int(words[1])
    return counts


async def test_a_dry_run_counts_what_would_go_and_writes_nothing(
    start_bot: Any, clean_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot, _ = await _three_cases(start_bot)
    before = await _counts(bot)
    assert await _purge(monkeypatch, clean_database, "--dry-run") == 0
    out = capsys.readouterr().out
    assert "dry run: nothing was written" in out
    printed = _printed(out)
    assert (printed["cases"], printed["transfers"], printed["outcomes"], printed["disputes"]) == (1, 1, 1, 1)
    # The request's channel card, the dispute's card, and the notices whose sent rows say where they landed.
    assert printed["Teams messages blanked"] >= 2
    assert printed["audit events"] > 0
    assert await _counts(bot) == before


async def test_a_closed_case_past_its_period_is_removed_its_cards_blanked_and_a_tombstone_kept(
    start_bot: Any, clean_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot, ids = await _three_cases(start_bot)
    async with bot.runtime.services.uow() as uow:
        old = await uow.transfers.get(ids["DEMO-0101"])
        [dispute] = await uow.disputes.for_transfer(ids["DEMO-0101"])
    assert old is not None and old.channel_activity_id and dispute.channel_activity_id
    assert await _purge(monkeypatch, clean_database) == 0
    printed = _printed(capsys.readouterr().out)
    assert (printed["cases"], printed["transfers"], printed["outcomes"], printed["disputes"]) == (1, 1, 1, 1)
    assert printed["Teams messages blanked"] >= 2
    async with bot.runtime.services.uow() as uow:
        left = {t.case_reference for t in await uow.session.scalars(select(TransferRow))}
        outcomes = {o.transfer_id for o in await uow.session.scalars(select(OutcomeRow))}
        about_old = list(
            await uow.session.scalars(
                select(AuditEventRow).where(
                    AuditEventRow.record_type == "transfer", AuditEventRow.record_id == str(ids["DEMO-0101"])
                )
            )
        )
        about_recent = list(
            await uow.session.scalars(
                select(AuditEventRow).where(
                    AuditEventRow.record_type == "transfer", AuditEventRow.record_id == str(ids["DEMO-0102"])
                )
            )
        )
        mentioning = [r for r in await uow.session.scalars(select(OutboxRow)) if "DEMO-0101" in json.dumps(r.payload)]
    # The recent closed case and the open one (however old its last change) are kept.
    assert left == {"DEMO-0102", "DEMO-0103"}
    assert outcomes == {ids["DEMO-0102"]}
    assert about_old == [] and about_recent
    assert mentioning == []
    [tombstone] = await audited(bot, "case.purged")
    assert (tombstone.record_type, tombstone.record_id, tombstone.actor_object_id) == ("case", "DEMO-0101", "system")
    assert tombstone.detail["why"] == "retention" and tombstone.detail["period"] == "P6Y"
    assert tombstone.detail["removed"]["transfers"] == 1
    assert tombstone.detail["closed_at"] == LONG_AGO.isoformat()
    assert STEP_DOWN["reason"] not in json.dumps(tombstone.detail)
    # The blanking goes out through the outbox like any update, replacing each card where it landed, once the
    # bot's clock reaches the moment the console queued them.
    bot.clock.now = datetime.now(UTC)
    calls = await bot.deliver()
    updates = {(c.conversation_id, c.activity_id): c for c in calls if c.op == "update"}
    assert len(updates) == printed["Teams messages blanked"]
    assert all(REMOVED in shown_text(card) for c in updates.values() for card in c.cards)
    for conversation, activity in (
        (COORDINATORS_CHANNEL.id, old.channel_activity_id),
        (MANAGERS_CHANNEL.id, dispute.channel_activity_id),
    ):
        [card] = updates[(conversation, activity)].cards
        assert REMOVED in shown_text(card) and "DEMO-0101" not in json.dumps(card)
    # Run again: nothing more is past its period, and the tombstone stays.
    assert await _purge(monkeypatch, clean_database) == 0
    again = _printed(capsys.readouterr().out)
    assert again["cases"] == 0 and again["transfers"] == 0
    assert len(await audited(bot, "case.purged")) == 1


def test_retention_periods_read_iso_durations_and_days_and_refuse_anything_else() -> None:
    periods = RetentionPeriods.model_validate({"transfers": "P6Y", "bookings": 30, "outbox": "P1Y6M"})
    assert periods.transfers == Period(years=6) and periods.bookings == Period(days=30)
    assert periods.outbox == Period(years=1, months=6) and periods.audit_events == Period(years=7)
    start = datetime(2020, 1, 31, tzinfo=UTC)
    assert Period(months=1).after(start) == datetime(2020, 2, 29, tzinfo=UTC)
    assert Period(years=6).before(datetime(2026, 12, 2, tzinfo=UTC)) == datetime(2020, 12, 2, tzinfo=UTC)
    for bad in ("six years", "P", "P0D", 0, -3, "PT6H", True):
        with pytest.raises(ValueError):
            RetentionPeriods.model_validate({"transfers": bad})


async def test_a_booking_for_a_case_that_never_had_a_request_goes_once_its_clinic_is_past_the_period(
    start_bot: Any, clean_database: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    bot: BotUnderTest = await start_bot()
    await book(bot, SOCIAL_WORKER)
    await book(bot, SOCIAL_WORKERS[0], case_reference="DEMO-0002")
    async with bot.runtime.services.uow() as uow:
        # DEMO-0001's clinic was long ago and the booking is over; DEMO-0002's is still to come.
        await uow.session.execute(
            update(BookingRow)
            .where(BookingRow.case_reference == "DEMO-0001")
            .values(status="discussed", clinic_date=LONG_AGO.date())
        )
    assert await _purge(monkeypatch, clean_database) == 0
    printed = _printed(capsys.readouterr().out)
    assert (printed["cases"], printed["bookings"], printed["transfers"]) == (1, 1, 0)
    async with bot.runtime.services.uow() as uow:
        left = [b.case_reference for b in await uow.session.scalars(select(BookingRow))]
    assert left == ["DEMO-0002"]
    [tombstone] = await audited(bot, "case.purged")
    assert tombstone.record_id == "DEMO-0001" and tombstone.detail["removed"] == {"bookings": 1}
