"""The managers' weekly digest: an outbox job that posts once a week, so two replicas never post it twice."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from cards.weekly_digest import render_weekly_digest
from dialogs.clinic_jobs import schedule
from dialogs.clinic_rules import calendar_of
from dialogs.jobs import job
from dialogs.notices import post_to_conversation
from dialogs.turn import Services
from domain.transfer_machine import OPEN_STATES
from domain.weekly_digest import weekly_digest
from storage.uow import UnitOfWork

DIGEST = "digest.weekly"
LOOK_BACK = timedelta(weeks=12)


def next_digest_at(services: Services, now: datetime) -> datetime:
    """The next digest time after `now`: the configured weekday and time, local."""
    calendar = calendar_of(services)
    day = calendar.local_date(now)
    for ahead in range(8):
        candidate = day + timedelta(days=ahead)
        if candidate.weekday() != services.digest_weekday:
            continue
        at = calendar.to_utc(datetime.combine(candidate, services.digest_time, tzinfo=calendar.zone))
        if at > now:
            return at
    return calendar.to_utc(datetime.combine(day + timedelta(days=7), services.digest_time, tzinfo=calendar.zone))


async def ensure_next_digest(uow: UnitOfWork, services: Services, now: datetime) -> None:
    """Queue the next digest once (its key is its date, so every replica's start-up queues the same row)."""
    if not services.channels.get("managers"):
        return
    at = next_digest_at(services, now)
    await schedule(uow, DIGEST, {"at": at.isoformat()}, at, now, key=f"digest:{at.date().isoformat()}")


@job(DIGEST)
async def post_digest(services: Services, payload: dict[str, Any], now: datetime) -> None:
    channel = services.channels.get("managers")
    async with services.uow() as uow:
        if channel:
            open_transfers = await uow.transfers.candidates_all(states=OPEN_STATES)
            deadlines = await uow.deadlines.open_due_before(None, now + timedelta(days=7))
            transferred = await uow.transfers.transferred_since(now - LOOK_BACK)
            at = datetime.fromisoformat(str(payload.get("at", now.isoformat())))
            digest = weekly_digest(open_transfers, deadlines, transferred, services.profile, calendar_of(services), now)
            # The week it is for, even when it goes out late (a process was down at the time).
            digest = replace(digest, week_starting=at)
            await post_to_conversation(
                uow,
                conversation_id=channel,
                card=render_weekly_digest(digest, calendar_of(services)),
                now=now,
                dedupe_key=f"digest:{at.date().isoformat()}:post",
                summary="This week's transfers and deadlines",
            )
        await ensure_next_digest(uow, services, now + timedelta(minutes=1))
