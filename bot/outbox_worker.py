"""The outbox worker: started by the scheduler tick, it claims due rows and carries them out."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from bot.outbox_sender import OutboxSender, Outcome
from dialogs import tracking
from dialogs.turn import Services
from domain.messaging import OutboxMessage

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8


def backoff(attempts: int) -> timedelta:
    """1, 2, 4 ... minutes, at most an hour: a later deadlines issue tunes pacing per conversation."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


class OutboxWorker:
    def __init__(
        self, services: Services, sender: OutboxSender, clock: Callable[[], datetime], batch: int = 50
    ) -> None:
        self._services = services
        self._sender = sender
        self._clock = clock
        self._batch = batch

    async def run_once(self) -> int:
        """Claim what is due and carry it out; returns how many rows were sent."""
        now = self._clock()
        async with self._services.uow() as uow:
            claimed = await uow.outbox.claim_due(now, self._batch, LEASE)
        sent = 0
        posted: list[tuple[OutboxMessage, Outcome]] = []
        for message in claimed:
            outcome = await self._sender.deliver(message, now)
            finished = self._clock()
            async with self._services.uow() as uow:
                if outcome.done:
                    await uow.outbox.mark_sent(message.id, finished, outcome.result)
                    sent += 1
                    posted.append((message, outcome))
                    continue
                if outcome.retry_after_seconds is not None and message.attempts < MAX_ATTEMPTS:
                    wait = max(timedelta(seconds=outcome.retry_after_seconds), backoff(message.attempts))
                    await uow.outbox.mark_failed(message.id, outcome.error, finished + wait)
                else:
                    await uow.outbox.mark_failed(message.id, outcome.error, None)
                log.warning(
                    "outbox row not delivered",
                    extra={"outbox_id": message.id, "kind": message.kind.value, "error": outcome.error},
                )
        for message, outcome in posted:
            track = message.payload.get("track")
            result = outcome.result or {}
            if track and result.get("activity_id"):
                # The record learns where its card landed (after the send is committed as sent).
                await tracking.posted(
                    self._services, str(track), str(result.get("conversation_id", "")), str(result["activity_id"]), now
                )
        return sent

    async def tick(self) -> None:
        """The scheduler's job: never let one failure stop the ticks."""
        try:
            while await self.run_once() >= self._batch:
                pass
        except Exception:
            log.exception("outbox tick failed")
