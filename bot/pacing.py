"""Paces this process's calls to the Bot Connector to Teams' limits: sliding windows per conversation and tenant.

Teams allows a bot, per conversation, 7 messages a second, 8 in 2 seconds, 60 in 30 seconds and 1,800 an
hour, and per tenant 50 requests a second. A send that would break one waits here when the wait is short
(keeping the conversation's order and the worker's lease), and is put back with its due time moved on when
it is long (an hour's window full), so one busy conversation never holds up a batch. A 429 blocks its
conversation for the Retry-After and halves the tenant's rate for a while: the far side knows better. A
block longer than the pacer waits is kept on the app's clock, as the rows' due times are.

The windows are this process's: with several replicas, give each its share of the tenant's rate
(`STEPBOT_PACE_TENANT_PER_SECOND`); a 429 that still comes is honoured all the same.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta

CONVERSATION_LIMITS: tuple[tuple[float, int], ...] = ((1.0, 7), (2.0, 8), (30.0, 60), (3600.0, 1800))
TENANT_PER_SECOND = 50
# Longer waits than this put the row back instead of holding the lease and the lane.
MAX_WAIT_SECONDS = 5.0
# After a 429 the tenant's rate is halved for this long.
SLOW_FOR_SECONDS = 30.0
# Each window is kept this much longer than Teams': two sends a window apart here may arrive a little closer
# together there (network and scheduling jitter), and must still be a window apart when they arrive.
GUARD_SECONDS = 0.1
# Forget conversations idle this long (the longest window), so the limiter's memory stays bounded.
_LONGEST = max(window for window, _ in CONVERSATION_LIMITS)


class PaceLater(Exception):
    """Sending now would break a limit for longer than the pacer waits: try again after `seconds`."""

    def __init__(self, seconds: float) -> None:
        super().__init__(f"paced: {seconds:.1f}s")
        self.seconds = seconds


@dataclass
class _Windows:
    sent: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0


def _wait_for(sent: deque[float], limits: tuple[tuple[float, int], ...], now: float) -> float:
    """How long until one more send keeps every (window, limit): the limit-th latest send must leave its window."""
    wait = 0.0
    for window, limit in limits:
        if len(sent) >= limit:
            wait = max(wait, sent[-limit] + window + GUARD_SECONDS - now)
    return wait


class Pacer:
    def __init__(
        self,
        *,
        tenant_per_second: int = TENANT_PER_SECOND,
        conversation_limits: tuple[tuple[float, int], ...] = CONVERSATION_LIMITS,
        max_wait: float = MAX_WAIT_SECONDS,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
        app_clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.tenant_per_second = tenant_per_second
        self._limits = conversation_limits
        self._max_wait = max_wait
        self._clock = clock
        self._sleep = sleep
        self._conversations: dict[str, _Windows] = {}
        self._tenants: dict[str, _Windows] = {}
        self._slow_until: dict[str, float] = {}
        self._app_clock = app_clock
        self._held_until: dict[str, datetime] = {}
        self.throttled = 0  # 429s seen, for /metrics
        self.calls = 0

    def _tenant_limits(self, tenant: str, now: float) -> tuple[tuple[float, int], ...]:
        rate = self.tenant_per_second
        if self._slow_until.get(tenant, 0.0) > now:
            rate = max(1, rate // 2)
        return ((1.0, rate),)

    def delay(self, conversation: str | None, tenant: str) -> float:
        """Seconds until a call to `conversation` (None: a call to no conversation, a roster read) may go."""
        now = self._clock()
        wait = 0.0
        if conversation:
            windows = self._conversations.get(conversation)
            if windows is not None:
                wait = max(wait, windows.blocked_until - now, _wait_for(windows.sent, self._limits, now))
        tenant_windows = self._tenants.get(tenant)
        if tenant_windows is not None:
            wait = max(wait, tenant_windows.blocked_until - now)
            wait = max(wait, _wait_for(tenant_windows.sent, self._tenant_limits(tenant, now), now))
        return max(0.0, wait)

    def _record(self, conversation: str | None, tenant: str) -> None:
        now = self._clock()
        self.calls += 1
        if conversation:
            windows = self._conversations.setdefault(conversation, _Windows())
            windows.sent.append(now)
            while windows.sent and windows.sent[0] <= now - _LONGEST:
                windows.sent.popleft()
        tenant_windows = self._tenants.setdefault(tenant, _Windows())
        tenant_windows.sent.append(now)
        while tenant_windows.sent and tenant_windows.sent[0] <= now - 1.0:
            tenant_windows.sent.popleft()
        if len(self._conversations) > 10_000 and self.calls % 1000 == 0:
            self._forget_idle(now)

    def _forget_idle(self, now: float) -> None:
        idle = [
            key
            for key, w in self._conversations.items()
            if (not w.sent or w.sent[-1] <= now - _LONGEST) and w.blocked_until <= now
        ]
        for key in idle:
            del self._conversations[key]

    async def acquire(self, conversation: str | None, tenant: str) -> None:
        """Wait for room and take it; raise PaceLater when the wait would be longer than the pacer waits."""
        held = self._held_until.get(conversation or "")
        if held is not None:
            left = (held - self._app_clock()).total_seconds()
            if left > 0:
                raise PaceLater(left)
            del self._held_until[conversation or ""]
        while True:
            wait = self.delay(conversation, tenant)
            if wait <= 0:
                # No await between the check and the record: concurrent lanes cannot both take the last room.
                self._record(conversation, tenant)
                return
            if wait > self._max_wait:
                raise PaceLater(wait)
            await self._sleep(wait)

    def throttled_by_teams(self, conversation: str | None, tenant: str, seconds: float) -> None:
        """A 429: block the conversation (or, for a call to none, the tenant) and slow the tenant down."""
        now = self._clock()
        self.throttled += 1
        self._slow_until[tenant] = now + SLOW_FOR_SECONDS
        if conversation and seconds > self._max_wait:
            # The conversation's other rows go back until then, rather than each earning a 429 of its own.
            self._held_until[conversation] = self._app_clock() + timedelta(seconds=seconds)
            return
        target = (
            self._conversations.setdefault(conversation, _Windows())
            if conversation
            else self._tenants.setdefault(tenant, _Windows())
        )
        target.blocked_until = max(target.blocked_until, now + min(seconds, self._max_wait))
