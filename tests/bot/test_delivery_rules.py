"""The rules the outbox worker sends by, without a server: Teams' pace, how failures are classed, how long a
retry waits, and which rows fold into a digest."""

from __future__ import annotations

import asyncio
import random
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.outbox_failures import (
    FailureClass,
    backoff,
    classify_http,
    classify_token_error,
    retry_after_seconds,
    retry_delay,
)
from bot.outbox_lanes import FOLD_AT, lanes
from bot.pacing import CONVERSATION_LIMITS, PaceLater, Pacer
from cards.delivery import MAX_DIGEST
from domain.messaging import OutboxKind, OutboxMessage

NOW = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)


class FakeTime:
    """A monotonic clock the pacer sleeps on: sleeping moves it on, so a test waits for nothing."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.now += seconds


def _count_in(times: list[float], start: float, window: float) -> int:
    return sum(1 for t in times if start <= t < start + window)


def _assert_within_limits(times: list[float], limits: tuple[tuple[float, int], ...]) -> None:
    for window, limit in limits:
        worst = max(_count_in(times, t, window) for t in times)
        assert worst <= limit, f"{worst} sends in {window}s (limit {limit})"


async def _send_all(
    pacer: Pacer, clock: FakeTime, n: int, conversation: str = "19:c", tenant: str = "t"
) -> list[float]:
    times = []
    for _ in range(n):
        await pacer.acquire(conversation, tenant)
        times.append(clock.now)
    return times


async def test_one_conversation_is_paced_to_every_one_of_teams_windows() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait=3600)
    times = await _send_all(pacer, clock, 200)
    _assert_within_limits(times, CONVERSATION_LIMITS)
    # Not slower than it must be: 7 a second, then 8 per 2 seconds, then 60 per 30 seconds binds.
    assert times[6] == times[0]
    assert times[7] - times[0] == pytest.approx(1.0, abs=0.2)
    assert times[59] - times[0] < 30
    assert times[180] - times[0] == pytest.approx(90.0, abs=0.5)
    assert times[199] - times[0] < 100


async def test_the_hourly_window_holds_too() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait=3600)
    times = await _send_all(pacer, clock, 1801)
    _assert_within_limits(times, CONVERSATION_LIMITS)
    assert times[1800] - times[0] >= 3600


async def test_a_tenant_is_paced_to_fifty_a_second_across_its_conversations() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait=3600)
    times = []
    for i in range(300):
        await pacer.acquire(f"19:c{i}", "t")
        times.append(clock.now)
    _assert_within_limits(times, ((1.0, 50),))
    assert times[-1] - times[0] == pytest.approx(5.0, abs=1.0)
    # Another tenant is not held up by this one.
    before = clock.now
    await pacer.acquire("19:other", "t2")
    assert clock.now == before


async def test_a_long_wait_is_refused_so_the_row_goes_back_with_its_due_time_moved() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait=5.0)
    await _send_all(pacer, clock, 60)
    with pytest.raises(PaceLater) as refused:
        await pacer.acquire("19:c", "t")
    assert 5.0 < refused.value.seconds <= 30.0


async def test_a_429_holds_the_conversation_and_halves_the_tenants_rate() -> None:
    clock = FakeTime()
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait=3600)
    pacer.throttled_by_teams("19:c", "t", 2.5)
    start = clock.now
    await pacer.acquire("19:c", "t")
    assert clock.now - start == pytest.approx(2.5, abs=0.2)
    assert pacer.throttled == 1
    times = []
    for i in range(100):
        await pacer.acquire(f"19:d{i}", "t")
        times.append(clock.now)
    _assert_within_limits(times, ((1.0, 25),))


async def test_a_long_retry_after_holds_the_conversation_on_the_apps_clock() -> None:
    """Longer than the pacer waits: the conversation's rows go back until then (the app's clock, as due times)."""
    clock = FakeTime()
    app_now = [NOW]
    pacer = Pacer(clock=clock, sleep=clock.sleep, max_wait=5.0, app_clock=lambda: app_now[0])
    pacer.throttled_by_teams("19:c", "t", 120.0)
    with pytest.raises(PaceLater) as refused:
        await pacer.acquire("19:c", "t")
    assert refused.value.seconds == pytest.approx(120.0)
    await pacer.acquire("19:other", "t")  # only that conversation is held
    app_now[0] = NOW + timedelta(seconds=121)
    await pacer.acquire("19:c", "t")


async def test_concurrent_lanes_share_the_windows() -> None:
    """Two lanes waiting on one conversation never both take its last room (no await between check and take)."""
    pacer = Pacer(max_wait=10)
    times: list[float] = []

    async def lane() -> None:
        for _ in range(6):
            await pacer.acquire("19:shared", "t")
            times.append(asyncio.get_running_loop().time())

    await asyncio.gather(lane(), lane())
    _assert_within_limits(sorted(times), ((1.0, 7),))


@pytest.mark.parametrize(
    ("status", "code", "expected"),
    [
        (429, "", FailureClass.THROTTLED),
        (500, "", FailureClass.TRANSIENT),
        (503, "ServiceUnavailable", FailureClass.TRANSIENT),
        (408, "", FailureClass.TRANSIENT),
        (403, "BotNotInConversationRoster", FailureClass.GONE),
        (403, "ConversationBlockedByUser", FailureClass.GONE),
        (403, "BotDisabledByAdmin", FailureClass.GONE),
        (404, "ConversationNotFound", FailureClass.GONE),
        (401, "", FailureClass.CREDENTIALS),
        (403, "Forbidden", FailureClass.CREDENTIALS),
        (400, "BadArgument", FailureClass.REJECTED),
        (404, "ActivityNotFound", FailureClass.REJECTED),
        (413, "MessageTooLarge", FailureClass.REJECTED),
    ],
)
def test_failures_are_classed_by_status_and_teams_code(status: int, code: str, expected: FailureClass) -> None:
    failure = classify_http(status, code, None)
    assert failure.cls is expected
    assert failure.error == f"HTTP {status}"


def test_a_wrong_secret_stops_the_sender_but_entra_being_down_only_waits() -> None:
    assert classify_token_error("invalid_client").cls is FailureClass.CREDENTIALS
    assert classify_token_error("temporarily_unavailable").cls is FailureClass.TRANSIENT
    assert classify_token_error("ConnectionError").cls is FailureClass.TRANSIENT


def test_retry_after_is_read_in_seconds_or_as_a_date() -> None:
    assert retry_after_seconds({"Retry-After": "7"}) == 7.0
    assert retry_after_seconds({"Retry-After": "0.5"}) == 0.5
    assert retry_after_seconds({"Retry-After": "Wed, 25 Nov 2026 10:00:30 GMT"}, NOW) == 30.0
    assert retry_after_seconds({"Retry-After": "soon"}) is None
    assert retry_after_seconds({}) is None


@given(attempts=st.integers(min_value=1, max_value=30), retry_after=st.floats(min_value=0, max_value=7200))
def test_a_retry_never_comes_before_retry_after_and_backs_off_at_most_an_hour(
    attempts: int, retry_after: float
) -> None:
    rng = random.Random(attempts)
    failure = classify_http(429, "", retry_after)
    wait = retry_delay(failure, attempts, rng)
    assert wait >= timedelta(seconds=retry_after)
    base = min(3600.0, 60.0 * 2 ** (attempts - 1))
    assert timedelta(seconds=base / 2) <= backoff(attempts, rng) <= timedelta(seconds=base)


def _row(n: int, *, to: str = "p1", fold: bool = True, kind: OutboxKind = OutboxKind.SEND_TO_PERSON) -> OutboxMessage:
    payload = {"tenant_id": "t", "object_id": to, "conversation_id": to, "card": {"n": n}, "fold": fold}
    return OutboxMessage(kind, payload, NOW, dedupe_key=f"k{n}", id=n)


def test_rows_due_together_for_one_person_fold_into_digests_and_the_rest_go_alone() -> None:
    rows = [_row(i) for i in range(MAX_DIGEST + FOLD_AT)] + [_row(100, fold=False), _row(200, to="p2")]
    by_lane = lanes(rows)
    assert len(by_lane) == 2
    first, second = by_lane
    assert [(len(w.messages), w.digest) for w in first] == [(MAX_DIGEST, True), (FOLD_AT, True), (1, False)]
    assert [m.id for w in first for m in w.messages] == [m.id for m in rows[: MAX_DIGEST + FOLD_AT + 1]]
    assert [(len(w.messages), w.digest) for w in second] == [(1, False)]


def test_too_few_to_fold_and_tracked_cards_go_alone() -> None:
    tracked = _row(3, kind=OutboxKind.SEND_TO_CONVERSATION)
    tracked.payload["track"] = "transfer:1:1"
    rows = [_row(1), _row(2), tracked]
    assert [[(len(w.messages), w.digest) for w in lane] for lane in lanes(rows)] == [
        [(1, False), (1, False)],
        [(1, False)],
    ]
