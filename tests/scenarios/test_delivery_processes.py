"""Delivery with several bot processes on one PostgreSQL database (each `python -m tests.harness.bot_process`: the
real app, its own port, its own outbox tick), counted by dedupe key at the local Bot Connector.

With no faults each row is delivered exactly once. A process that dies at a named point loses nothing, and the
only duplicate is of a row Teams had answered before the commit. A bounded soak of kill -9 at random loses
nothing and duplicates only such rows (each process logs "after_send" and "settled" per row, so a duplicate can
be traced to a process that died between the two). A database outage, cut with a TCP proxy, crashes nothing,
and the backlog drains when it returns.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import time
from collections import Counter
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
import trustme
from sqlalchemy import func, insert, select
from sqlalchemy.engine import make_url

from storage.database import create_engine
from storage.migrate import upgrade
from storage.tables import ConversationRefRow, OutboxRow
from tests.conftest import APP_ID
from tests.harness.bot_fleet import BotProcess, Fleet, healthy
from tests.harness.connector import FakeConnector
from tests.harness.driver import BOT_ID, TENANT
from tests.harness.entra import FakeEntraAndGraph
from tests.harness.tcp_proxy import TcpProxy
from tests.scenarios.test_delivery import keyed_card, keys_in
from tests.storage.scratch_postgres import scratch_database, unique_name, url_for

SOAK_SECONDS = 20.0


@pytest.fixture
async def database() -> AsyncIterator[str]:
    """A fresh, migrated PostgreSQL database of its own (dropped after): these tests run processes against it."""
    found = os.environ.get("TEST_DATABASE_URL", "")
    if not found.startswith("postgresql"):
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL: set TEST_DATABASE_URL (.ci/run does)")
        pytest.skip("the multi-process delivery tests need TEST_DATABASE_URL=postgresql+asyncpg://...")
    server = make_url(found)
    async with scratch_database(server, unique_name("stepbot_delivery")) as name:
        url = url_for(server, name)
        await asyncio.to_thread(upgrade, url)
        yield url


@pytest.fixture
async def fleet(
    database: str,
    openid: str,
    entra: FakeEntraAndGraph,
    connector: FakeConnector,
    test_ca: tuple[trustme.CA, str],
    tmp_path: Path,
) -> AsyncIterator[Fleet]:
    connector.reset()
    entra.reset()
    env = {
        "DATABASE_URL": database,
        "MICROSOFT_APP_ID": APP_ID,
        "MICROSOFT_APP_PASSWORD": "test-secret-not-real",
        "MICROSOFT_APP_TENANT_ID": TENANT,
        "STEPBOT_OPENID_METADATA_URL": openid,
        "STEPBOT_AUTHORITY_HOST": entra.authority_host,
        "STEPBOT_CA_BUNDLE": test_ca[1],
        "STEPBOT_ALLOWED_TENANTS": TENANT,
        "STEPBOT_HOST": "127.0.0.1",
        "STEPBOT_LOCAL_MODE": "false",
        "STEPBOT_OUTBOX_TICK_SECONDS": "0.2",
        "STEPBOT_OUTBOX_LEASE_SECONDS": "3",
        "STEPBOT_LOG_LEVEL": "WARNING",
        "STEPBOT_ROLES": json.dumps({"administrator": []}),
    }
    started = Fleet(env, tmp_path)
    try:
        yield started
    finally:
        started.stop()


def _channel(c: int) -> str:
    return f"19:delivery-{c}@thread.tacv2"


async def _seed(url: str, connector: FakeConnector, keys: list[str], channels: int) -> None:
    """Conversation references for `channels` channels (once), and one due row per key spread across them."""
    now = datetime.now(UTC)
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            known = await conn.scalar(select(func.count()).select_from(ConversationRefRow))
            if not known:
                refs = [
                    {
                        "tenant_id": TENANT,
                        "object_id": "",
                        "kind": "channel",
                        "conversation_id": _channel(c),
                        "service_url": connector.url + "/",
                        "channel_id": "msteams",
                        "bot_id": BOT_ID,
                        "user_id": "",
                        "team_id": "",
                        "status": "active",
                        "updated_at": now,
                    }
                    for c in range(channels)
                ]
                await conn.execute(insert(ConversationRefRow), refs)
            rows = [
                {
                    "kind": "send.conversation",
                    "payload": {"conversation_id": _channel(i % channels), "card": keyed_card(key)},
                    "due_at": now - timedelta(seconds=1),
                    "scheduled_at": now - timedelta(seconds=1),
                    "status": "pending",
                    "attempts": 0,
                    "last_error": "",
                    "dedupe_key": key,
                    "created_at": now,
                }
                for i, key in enumerate(keys)
            ]
            await conn.execute(insert(OutboxRow), rows)
    finally:
        await engine.dispose()


async def _sent(url: str) -> int:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return int(
                await conn.scalar(select(func.count()).select_from(OutboxRow).where(OutboxRow.status == "sent")) or 0
            )
    finally:
        await engine.dispose()


async def _drained(url: str, expected: int, fleet: Fleet, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    sent = 0
    while time.monotonic() < deadline:
        sent = await _sent(url)
        if sent >= expected:
            return
        await asyncio.sleep(0.3)
    tails = "\n".join(f"--- {p.name}\n{fleet.output(p)}" for p in fleet.processes[-3:])
    raise AssertionError(f"only {sent} of {expected} rows sent in {timeout}s\n{tails}")


def _keys(prefix: str, n: int) -> list[str]:
    return [f"key-{prefix}{i:03d}" for i in range(n)]


@dataclass(frozen=True)
class Tally:
    lost: set[str]
    duplicated: Counter[str]
    unexplained: set[str]


def tally(fleet: Fleet, connector: FakeConnector, keys: list[str], *, commits_may_fail: bool = False) -> Tally:
    """Lost and duplicated keys at the connector, and the duplicates a death between answer and commit can't explain.

    A process logs "after_send" once Teams answered and "settled" once the row is committed as sent. A send by
    a process that logged no "settled" for it is one whose process died in between (or, with
    `commits_may_fail`, whose commit was lost to the database going away). A send no line records at all was
    cut short by a kill between Teams' answer and the log write: there can be at most one per killed process.
    """
    delivered = keys_in(connector.since(0))
    wanted = set(keys)
    lost = {k for k in keys if not delivered[k]}
    duplicated = Counter({k: n - 1 for k, n in delivered.items() if n > 1 and k in wanted})
    logs = {p.name: p.sends() for p in fleet.processes}
    killed = [p for p in fleet.processes if p.killed_at is not None]
    settled = Counter(k for lines in logs.values() for point, k in lines if point == "settled")
    unexplained = {k for k, n in settled.items() if n > 1}  # committed as sent twice: never allowed
    for key, extra in duplicated.items():
        unsettled = 0
        logged = 0
        for process in fleet.processes:
            sent = sum(1 for point, k in logs[process.name] if point == "after_send" and k == key)
            done = sum(1 for point, k in logs[process.name] if point == "settled" and k == key)
            logged += sent
            if sent > done and (process.killed_at is not None or commits_may_fail):
                unsettled += sent - done
        unlogged = delivered[key] - logged
        if unlogged < 0 or unlogged > len(killed) or unsettled + unlogged < extra:
            unexplained.add(key)
    return Tally(lost, duplicated, unexplained)


# -- no faults: exactly once -------------------------------------------------------------------------------------
@pytest.mark.parametrize("processes", [2, 3])
async def test_with_several_processes_and_no_faults_each_of_1000_rows_is_delivered_exactly_once(
    fleet: Fleet, database: str, connector: FakeConnector, processes: int
) -> None:
    keys = _keys("a", 1000)
    await _seed(database, connector, keys, channels=100)
    async with aiohttp.ClientSession() as http:
        started = [fleet.start(f"p{i}", STEPBOT_OUTBOX_LEASE_SECONDS="60") for i in range(processes)]
        for process in started:
            await healthy(http, fleet, process)
        await _drained(database, len(keys), fleet, timeout=90)
    delivered = keys_in(connector.since(0))
    assert delivered == Counter({k: 1 for k in keys}), "each exactly once"
    shares = {p.name: sum(1 for point, _ in p.sends() if point == "settled") for p in started}
    print(f"\n{processes} processes delivered 1000 rows exactly once; shares: {shares}")
    assert sum(shares.values()) == len(keys)
    assert sum(1 for n in shares.values() if n) >= 2, "the work was shared"
    assert all(p.popen.poll() is None for p in started)


# -- a death at a named point -------------------------------------------------------------------------------------
@pytest.mark.parametrize("point", ["before_send", "after_send"])
async def test_a_process_dying_at_a_named_point_loses_nothing_and_only_an_answered_row_comes_twice(
    fleet: Fleet, database: str, connector: FakeConnector, point: str
) -> None:
    keys = _keys("b", 12)
    await _seed(database, connector, keys, channels=1)  # one conversation: its rows go one after another
    victim = keys[7]
    async with aiohttp.ClientSession() as http:
        dying = fleet.start("dying", STEPBOT_TEST_CRASH_AT=f"{point}:{victim}")
        dying.popen.wait(timeout=60)
        assert dying.popen.returncode == 137, fleet.output(dying)
        dying.killed_at = time.monotonic()
        survivor = fleet.start("survivor")
        await healthy(http, fleet, survivor)
        await _drained(database, len(keys), fleet, timeout=60)
    result = tally(fleet, connector, keys)
    assert result.lost == set()
    assert set(result.duplicated) == ({victim} if point == "after_send" else set())
    assert result.unexplained == set()


# -- kill -9 at random ----------------------------------------------------------------------------------------------
async def test_a_bounded_soak_of_random_kills_loses_nothing_and_duplicates_only_answered_rows(
    fleet: Fleet, database: str, connector: FakeConnector
) -> None:
    keys = _keys("c", 500)
    await _seed(database, connector, keys, channels=50)
    rng = random.Random(20261125)
    slow = {"STEPBOT_PACE_TENANT_PER_SECOND": "10"}  # so the backlog lasts the soak
    async with aiohttp.ClientSession() as http:
        for i in range(3):
            fleet.start(f"s{i}", **slow)
        started = 3
        ends = time.monotonic() + SOAK_SECONDS
        while time.monotonic() < ends and await _sent(database) < len(keys):
            await asyncio.sleep(rng.uniform(1.0, 2.5))
            alive = fleet.alive()
            if alive:
                fleet.kill(rng.choice(alive))
            fleet.start(f"s{started}", **slow)
            started += 1
        for process in fleet.alive():
            await healthy(http, fleet, process)
        await _drained(database, len(keys), fleet, timeout=60)
    killed = sum(1 for p in fleet.processes if p.killed_at is not None)
    result = tally(fleet, connector, keys)
    print(
        f"\nsoak: {len(keys)} rows, {started} processes started, {killed} killed with -9, "
        f"lost {len(result.lost)}, duplicated {sum(result.duplicated.values())} ({len(result.duplicated)} rows)"
    )
    assert killed >= 3, "the soak killed something"
    assert result.lost == set()
    assert result.unexplained == set(), "every duplicate is of a row a killed process had sent and not committed"


# -- the database goes away --------------------------------------------------------------------------------------------
async def _ready(http: aiohttp.ClientSession, process: BotProcess, want: int | None = None) -> int:
    """/readyz's status (waiting up to 10 s for `want`: a process back from an outage finishes its tick first)."""
    deadline = time.monotonic() + 10
    while True:
        async with http.get(f"http://127.0.0.1:{process.port}/readyz") as resp:
            status, body = resp.status, await resp.text()
        if want is None or status == want or time.monotonic() > deadline:
            if want is not None and status != want:
                print(f"\n{process.name} /readyz {status}: {body}")
            return status
        await asyncio.sleep(0.2)


async def test_a_database_outage_crashes_nothing_and_the_backlog_drains_when_it_returns(
    fleet: Fleet, database: str, connector: FakeConnector
) -> None:
    url = make_url(database)
    proxy = TcpProxy(url.host or "127.0.0.1", url.port or 5432).start()
    through = url.set(host="127.0.0.1", port=proxy.port).render_as_string(hide_password=False)
    fleet.env["DATABASE_URL"] = through
    try:
        async with aiohttp.ClientSession() as http:
            bots = [fleet.start(f"d{i}", STEPBOT_OUTBOX_LEASE_SECONDS="5") for i in range(2)]
            for process in bots:
                await healthy(http, fleet, process)
            # Cut while idle: the backlog builds up where the bots can't see it.
            proxy.cut()
            first = _keys("d", 200)
            await _seed(database, connector, first, channels=20)
            await asyncio.sleep(3)
            assert keys_in(connector.since(0)) == Counter()
            assert [await _ready(http, p) for p in bots] == [503, 503]
            assert all(p.popen.poll() is None for p in bots), "nothing crashed"
            proxy.restore()
            await _drained(database, len(first), fleet, timeout=60)
            assert keys_in(connector.since(0)) == Counter({k: 1 for k in first})

            # Cut mid-drain: commits are lost for rows Teams had answered; they may come twice, none is lost.
            second = _keys("e", 300)
            await _seed(database, connector, second, channels=20)
            while sum(keys_in(connector.since(0))[k] for k in second) < 60:
                await asyncio.sleep(0.05)
            proxy.cut()
            await asyncio.sleep(3)
            assert all(p.popen.poll() is None for p in bots), "nothing crashed"
            proxy.restore()
            await _drained(database, len(first) + len(second), fleet, timeout=90)
            assert [await _ready(http, p, want=200) for p in bots] == [200, 200]
    finally:
        proxy.stop()
    result = tally(fleet, connector, first + second, commits_may_fail=True)
    print(f"\noutage: lost {len(result.lost)}, duplicated {sum(result.duplicated.values())}, refused {proxy.refused}")
    assert result.lost == set()
    assert result.unexplained == set()
    assert proxy.refused > 0, "the bots did try the database while it was away"
