"""The outbox worker: each tick claims due rows under this worker's lease, sends them paced, and settles each.

A batch is sent in lanes, one per target (a person, a conversation), side by side; within a lane rows go in
due order, and rows that may be folded (`payload["fold"]`) and are due together for one target go as one
digest. The lease is renewed while the batch is still sending; a row is settled (sent, retried, put back or
dead) only by the claim that holds it, and where a card landed is kept in the transaction that marks it sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import random
import socket
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.credentials import CachedConnectorFactory
from bot.outbox_failures import REROUTED, Failure, FailureClass, retry_delay, short_wait
from bot.outbox_lanes import FOLD_AT, Work, digest_of, lanes
from bot.outbox_sender import OutboxSender, Outcome
from bot.pacing import MAX_WAIT_SECONDS, Pacer
from bot.roles import RoleDirectory
from bot.settings import Settings
from cards.delivery import late_note, with_note
from dialogs import dead_letters, tracking
from dialogs.turn import Services
from domain.messaging import OutboxMessage
from domain.working_days import WorkingCalendar, format_date, format_time
from storage.uow import UnitOfWork

log = logging.getLogger(__name__)

LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
# Sent more than a tick and this after it was first due: late (a process was down, or the tries took long).
LATE_MARGIN = timedelta(minutes=1)
# Sends in flight at once: the SDK's sends run in the default executor's few threads anyway.
CONCURRENCY = 6
# Tries of one row within its lane, for a short 429 or a 401/403 that may pass (a secret being rotated).
LANE_TRIES = 3
CREDENTIAL_PAUSES = (0.5, 1.5)
# The sender stops this long on the bot's own credentials being refused, doubling while they still are.
STOP_FIRST = timedelta(minutes=1)
STOP_MAX = timedelta(minutes=15)

# A hook at named points of a send ("before_send", "after_send", and "settled" once committed as sent): the
# tests' crash injection and delivery log; None in service.
Checkpoint = Callable[[str, OutboxMessage], None]


def new_worker_id() -> str:
    """Unique per process start: a host, a pid and a random part (pids repeat across restarts and hosts)."""
    return f"{socket.gethostname()[:60]}:{os.getpid()}:{uuid.uuid4().hex[:8]}"


@dataclass
class WorkerStats:
    """What /readyz and /metrics report about this process's worker."""

    last_tick_at: datetime | None = None
    sent: int = 0
    late: int = 0
    dead: int = 0
    lost_leases: int = 0
    failures: Counter[str] = field(default_factory=Counter)


@dataclass
class _Batch:
    held: set[int]
    lost: set[int] = field(default_factory=set)


class OutboxWorker:
    def __init__(
        self,
        services: Services,
        sender: OutboxSender,
        clock: Callable[[], datetime],
        batch: int = 50,
        *,
        worker_id: str | None = None,
        lease: timedelta = LEASE,
        tick_seconds: float = 5.0,
        concurrency: int = CONCURRENCY,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        rng: random.Random | None = None,
    ) -> None:
        self._services = services
        self._sender = sender
        self._clock = clock
        self._batch = batch
        self.worker_id = worker_id or new_worker_id()
        self._lease = lease
        self.tick_seconds = tick_seconds
        self._late_after = timedelta(seconds=tick_seconds) + LATE_MARGIN
        self._slots = asyncio.Semaphore(concurrency)
        self._sleep = sleep
        self._rng = rng or random.Random()
        self._calendar = WorkingCalendar.from_profile(services.profile.working)
        self.stats = WorkerStats()
        self.started_at = clock()
        self.checkpoint: Checkpoint | None = None
        self.stopped_until: datetime | None = None
        self._pause: timedelta | None = None
        self._last_claimed = 0

    def now(self) -> datetime:
        """The app's clock, as the worker reads it (for the ages /readyz and /metrics report)."""
        return self._clock()

    @property
    def throttled(self) -> int:
        return self._sender.pacer.throttled

    # -- a tick ---------------------------------------------------------------------------------------
    async def run_once(self) -> int:
        """Claim what is due and carry it out; returns how many rows were sent."""
        now = self._clock()
        self.stats.last_tick_at = now
        self._last_claimed = 0
        if self.stopped_until is not None and now < self.stopped_until:
            return 0
        # After a stop, one row probes whether Teams takes the bot's credentials again.
        limit = 1 if self.stopped_until is not None else self._batch
        async with self._services.uow() as uow:
            claimed = await uow.outbox.claim_due(now, limit, self._lease, self.worker_id)
            abandoned = [m for m in claimed if m.attempts > MAX_ATTEMPTS]
            for message in abandoned:
                # Claimed again and again and never settled: a worker died on it each time.
                await self._give_up(uow, message, Failure(FailureClass.ABANDONED, "never finished"), now)
        self._last_claimed = len(claimed)
        claimed = [m for m in claimed if m.attempts <= MAX_ATTEMPTS]
        if not claimed:
            return 0
        batch = _Batch(held={m.id for m in claimed})
        keeper = asyncio.create_task(self._keep_leases(batch))
        try:
            async with asyncio.TaskGroup() as group:
                tasks = [group.create_task(self._lane(works, batch)) for works in lanes(claimed)]
        finally:
            keeper.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await keeper
        return sum(t.result() for t in tasks)

    async def tick(self) -> None:
        """The scheduler's job: while full batches come, take the next; never let one failure stop the ticks."""
        try:
            while True:
                await self.run_once()
                if self._last_claimed < self._batch:
                    break
        except Exception:
            log.exception("outbox tick failed", extra={"worker": self.worker_id})

    async def _keep_leases(self, batch: _Batch) -> None:
        """Renew the lease on the rows still sending; a row whose lease was lost is not sent by this worker."""
        interval = max(0.05, self._lease.total_seconds() / 3)
        while True:
            await asyncio.sleep(interval)
            wanted = set(batch.held)
            if not wanted:
                continue
            try:
                async with self._services.uow() as uow:
                    still = await uow.outbox.renew(self.worker_id, wanted, self._clock() + self._lease)
            except Exception:  # noqa: BLE001 - the database may be away a moment: the lease still runs
                log.warning("outbox leases not renewed", extra={"worker": self.worker_id, "rows": len(wanted)})
                continue
            for lost in (wanted - still) & batch.held:
                batch.held.discard(lost)
                batch.lost.add(lost)
                self.stats.lost_leases += 1
                log.warning("outbox lease lost to another worker", extra={"outbox_id": lost})

    # -- a lane ---------------------------------------------------------------------------------------
    async def _lane(self, works: list[Work], batch: _Batch) -> int:
        sent = 0
        for work in works:
            sent += await self._carry_out(work, batch)
        return sent

    async def _carry_out(self, work: Work, batch: _Batch) -> int:
        mine = tuple(m for m in work.messages if m.id not in batch.lost)
        if not mine:
            return 0
        work = Work(mine, digest=work.digest and len(mine) >= FOLD_AT)
        now = self._clock()
        if self.stopped_until is not None and now < self.stopped_until:
            # Another lane found the bot's credentials refused: nothing more goes until the pause ends.
            wait = (self.stopped_until - now).total_seconds()
            stopped = Failure(FailureClass.PACED, "stopped", retry_after=wait)
            return await self._settle(work, Outcome(False, failure=stopped), batch)
        async with self._slots:
            outcome = await self._try(work)
        failure = outcome.failure
        if failure is not None and work.digest and failure.cls in REROUTED:
            # The digest's target is gone: each row takes its own way (its fallback, or dead).
            sent = 0
            for message in work.messages:
                sent += await self._carry_out(Work((message,)), batch)
            return sent
        return await self._settle(work, outcome, batch)

    async def _try(self, work: Work) -> Outcome:
        outcome = Outcome(False, failure=Failure(FailureClass.FAILED, "not tried"))
        for tries in range(LANE_TRIES):
            now = self._clock()
            message = self._prepared(work, now)
            self._at("before_send", work)
            outcome = await self._sender.deliver(message, now)
            self._at("after_send", work)
            failure = outcome.failure
            if failure is None:
                return outcome
            self.stats.failures[failure.cls.value] += 1
            last = tries == LANE_TRIES - 1
            if failure.cls is FailureClass.THROTTLED and not last:
                wait = short_wait(failure, tries, self._rng)
                if wait <= MAX_WAIT_SECONDS:
                    await self._sleep(wait)
                    continue
            if failure.cls is FailureClass.CREDENTIALS and not last:
                await self._sleep(CREDENTIAL_PAUSES[tries])
                continue
            return outcome
        return outcome

    def _at(self, point: str, work: Work) -> None:
        if self.checkpoint is not None:
            for message in work.messages:
                self.checkpoint(point, message)

    def _late(self, message: OutboxMessage, now: datetime) -> datetime | None:
        first_due = message.scheduled_at or message.due_at
        return first_due if now - first_due > self._late_after else None

    def _prepared(self, work: Work, now: datetime) -> OutboxMessage:
        """What goes out: the row (with its late line), or the digest card in place of its rows."""
        first = work.messages[0]
        if work.digest:
            return digest_of(work, self._calendar, lambda m: self._late(m, now) is not None)
        late = self._late(first, now)
        card = first.payload.get("card")
        if late is not None and first.payload.get("late_note") and isinstance(card, dict):
            local = self._calendar.to_local(late)
            noted = with_note(card, late_note(f"{format_time(local.time())} on {format_date(local.date())}"))
            return OutboxMessage(first.kind, {**first.payload, "card": noted}, first.due_at, id=first.id)
        return first

    # -- settling ---------------------------------------------------------------------------------------
    async def _settle(self, work: Work, outcome: Outcome, batch: _Batch) -> int:
        for message in work.messages:
            # Before the commit: a renewal running meanwhile must not take a settled row for a lost one.
            batch.held.discard(message.id)
        finished = self._clock()
        settled: list[OutboxMessage] = []
        try:
            async with self._services.uow() as uow:
                for message in work.messages:
                    if outcome.done:
                        if await self._sent(uow, work, message, outcome, finished):
                            settled.append(message)
                    else:
                        assert outcome.failure is not None
                        await self._failed(uow, message, outcome.failure, finished)
        except Exception:
            # The database went away, say: the lease runs out and the rows are tried again (a sent one may go twice).
            log.exception("outbox rows not settled", extra={"outbox_ids": [m.id for m in work.messages]})
            return 0
        # A long batch is a tick still running, not a stalled one: each settlement counts as a sign of life.
        self.stats.last_tick_at = finished
        sent = len(settled)
        if settled:
            self._at("settled", Work(tuple(settled)))
        if outcome.done and self.stopped_until is not None:
            log.info("outbox sender resumed: Teams takes the bot's credentials again", extra={"worker": self.worker_id})
            self.stopped_until, self._pause = None, None
        self.stats.sent += sent
        return sent

    async def _sent(self, uow: UnitOfWork, work: Work, message: OutboxMessage, outcome: Outcome, now: datetime) -> int:
        result = dict(outcome.result or {})
        if work.digest:
            result.update({"digest": True, "digest_of": len(work.messages)})
        late = self._late(message, now)
        if late is not None:
            result["late"] = {"due_at": late.isoformat(), "late_by_seconds": int((now - late).total_seconds())}
        if not await uow.outbox.mark_sent(message, now, result):
            # Our lease ran out mid-send and another worker has the row: it may go twice (at least once).
            self.stats.lost_leases += 1
            log.warning("outbox row sent after its lease passed on", extra={"outbox_id": message.id})
            return 0
        if late is not None:
            self.stats.late += 1
            log.info("outbox row sent late", extra={"outbox_id": message.id, "late_by": result["late"]})
        track, activity = message.payload.get("track"), result.get("activity_id")
        if track and activity:
            await tracking.posted_in(
                uow, self._services, str(track), str(result.get("conversation_id", "")), str(activity), now
            )
        return 1

    async def _failed(self, uow: UnitOfWork, message: OutboxMessage, failure: Failure, now: datetime) -> None:
        cls = failure.cls
        if cls is FailureClass.PACED:
            await uow.outbox.put_back(message, now + timedelta(seconds=failure.retry_after or 0.0))
            return
        if cls is FailureClass.CREDENTIALS:
            until = await self._stop(uow, failure, now)
            await uow.outbox.put_back(message, until)
            return
        log.warning(
            "outbox row not delivered",
            extra={
                "outbox_id": message.id,
                "kind": message.kind.value,
                "failure": cls.value,
                "status": failure.status,
                "code": failure.code,
                "attempts": message.attempts,
            },
        )
        if failure.retried and message.attempts < MAX_ATTEMPTS:
            at = now + retry_delay(failure, message.attempts, self._rng)
            await uow.outbox.retry_later(message, at, failure.error, error_class=cls.value, error_code=failure.code)
            return
        await self._give_up(uow, message, failure, now)

    async def _give_up(self, uow: UnitOfWork, message: OutboxMessage, failure: Failure, now: datetime) -> None:
        error_class = failure.cls.value
        dead = await uow.outbox.mark_dead(message, now, failure.error, error_class=error_class, error_code=failure.code)
        if not dead:
            return
        self.stats.dead += 1
        log.warning("outbox row dead-lettered", extra={"outbox_id": message.id, "failure": error_class})
        letter = await uow.outbox.dead_letter(message.id)
        if letter is not None:
            about = dead_letters.ABOUT_OUTBOX in message.payload
            await dead_letters.dead_lettered(uow, self._services, letter, about, now)

    async def _stop(self, uow: UnitOfWork, failure: Failure, now: datetime) -> datetime:
        """The bot's own credentials were refused: stop sending for a while, and alert once per episode."""
        if self.stopped_until is not None and self.stopped_until > now:
            return self.stopped_until
        first = self._pause is None
        self._pause = STOP_FIRST if self._pause is None else min(STOP_MAX, self._pause * 2)
        self.stopped_until = now + self._pause
        why = f"{failure.error} {failure.code}".strip()
        if first:
            log.error(
                "outbox sender stopped: Teams refused the bot's own credentials",
                extra={"worker": self.worker_id, "status": failure.status, "code": failure.code},
            )
            await dead_letters.sender_stopped(uow, self._services, now, self.stopped_until, why)
        else:
            log.warning("outbox sender still stopped", extra={"worker": self.worker_id, "status": failure.status})
        return self.stopped_until


def worker_for(
    settings: Settings,
    services: Services,
    connectors: CachedConnectorFactory,
    roles: RoleDirectory,
    clock: Callable[[], datetime],
) -> OutboxWorker:
    """This process's worker as the settings say: its id, lease, tick, batch and share of the tenant's pace."""
    pacer = Pacer(tenant_per_second=settings.pace_tenant_per_second, app_clock=clock)
    return OutboxWorker(
        services,
        OutboxSender(services, connectors, roles, pacer),
        clock,
        settings.outbox_batch,
        worker_id=settings.worker_id or None,
        lease=timedelta(seconds=settings.outbox_lease_seconds),
        tick_seconds=settings.outbox_tick_seconds,
    )
