"""Reminders benchmark: 100,000 open transfers' worth of outbox rows, and one tick's due rows claimed and sent.

It seeds the outbox with bulk inserts (rows due over the coming weeks, a few hundred due now), shows the claim's
query plan (it reads an index of due pending rows), times the claim with the whole backlog queued and with most
of it gone (the same, since the cost grows with the rows due, not the rows queued), then runs the real outbox
worker (its sender, lanes and pace) against the tests' local Bot Connector and prints the rate achieved
against the configured pace. SQLite always; PostgreSQL too with --postgres (a scratch database, dropped after).

    make bench-reminders
    make bench-reminders BENCH_ARGS="--postgres postgresql+asyncpg://postgres@127.0.0.1:5432/postgres"
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parent.parent
if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from sqlalchemy import delete, insert, text  # noqa: E402
from sqlalchemy.engine import make_url  # noqa: E402
from sqlalchemy.ext.asyncio import create_async_engine  # noqa: E402

from bot.app import build_services  # noqa: E402
from bot.credentials import CachedConnectorFactory  # noqa: E402
from bot.outbox_sender import OutboxSender  # noqa: E402
from bot.outbox_worker import LEASE, OutboxWorker  # noqa: E402
from bot.pacing import Pacer  # noqa: E402
from bot.profile_files import load_profile  # noqa: E402
from bot.roles import RoleDirectory  # noqa: E402
from bot.settings import Settings  # noqa: E402
from cards.common import render_notice  # noqa: E402
from storage.database import create_engine, session_factory  # noqa: E402
from storage.migrate import upgrade  # noqa: E402
from storage.outbox import claim_query  # noqa: E402
from storage.tables import ConversationRefRow, OutboxRow  # noqa: E402
from storage.uow import UnitOfWorkFactory  # noqa: E402
from tests.harness.connector import FakeConnector  # noqa: E402

TENANT = "00000000-0000-4000-8000-00000000aaaa"
CHUNK = 5000
CLAIMS = 20  # claims timed per measurement (each rolled back)


def _person(i: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"bench-person-{i}.test"))


async def seed(url: str, connector_url: str, *, rows: int, due_now: int, people: int, now: datetime) -> float:
    """Personal chats for `people` people, `rows` rows due over four weeks and `due_now` due: bulk inserts."""
    engine = create_engine(url)
    started = time.perf_counter()
    card = render_notice("Joint visit due for DEMO-0001", ["Due Thursday 10 December 2026, 5pm."])
    try:
        async with engine.begin() as conn:
            await conn.execute(
                insert(ConversationRefRow),
                [
                    {
                        "tenant_id": TENANT,
                        "object_id": _person(i),
                        "kind": "personal",
                        "conversation_id": f"a:bench-{i}",
                        "service_url": connector_url + "/",
                        "channel_id": "msteams",
                        "bot_id": "28:bench-bot",
                        "user_id": f"29:bench-{i}",
                        "team_id": "",
                        "status": "active",
                        "updated_at": now,
                    }
                    for i in range(people)
                ],
            )

        def row(i: int, due: datetime) -> dict[str, Any]:
            who = i % people
            payload = {"tenant_id": TENANT, "object_id": _person(who), "card": card, "summary": "A reminder"}
            return {
                "kind": "send.person",
                "payload": {**payload, "fold": True, "late_note": True},
                "due_at": due,
                "scheduled_at": due,
                "status": "pending",
                "attempts": 0,
                "last_error": "",
                "dedupe_key": f"reminder:{i}",
                "created_at": now,
            }

        four_weeks = timedelta(weeks=4).total_seconds()
        later = [row(i, now + timedelta(seconds=60 + four_weeks * i / rows)) for i in range(rows)]
        due = [row(rows + i, now - timedelta(seconds=i % 60)) for i in range(due_now)]
        for start in range(0, len(later), CHUNK):
            async with engine.begin() as conn:
                await conn.execute(insert(OutboxRow), later[start : start + CHUNK])
        async with engine.begin() as conn:
            await conn.execute(insert(OutboxRow), due)
            await conn.execute(text("ANALYZE outbox" if engine.dialect.name == "postgresql" else "ANALYZE"))
    finally:
        await engine.dispose()
    return time.perf_counter() - started


async def explain(url: str, now: datetime) -> list[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            sql = str(claim_query(now, 50).compile(engine.sync_engine, compile_kwargs={"literal_binds": True}))
            if engine.dialect.name == "sqlite":
                found = await conn.execute(text("EXPLAIN QUERY PLAN " + sql))
                return [str(r[-1]) for r in found]
            found = await conn.execute(text("EXPLAIN (ANALYZE, BUFFERS, COSTS OFF) " + sql))
            return [str(r[0]) for r in found]
    finally:
        await engine.dispose()


async def time_claims(uow: UnitOfWorkFactory, now: datetime) -> float:
    """The median time of one claim of 50 rows (each in a transaction rolled back, so every claim finds them)."""
    times = []
    for _ in range(CLAIMS):
        work = uow()
        await work.__aenter__()
        started = time.perf_counter()
        claimed = await work.outbox.claim_due(now, 50, LEASE, "bench")
        times.append(time.perf_counter() - started)
        assert len(claimed) == 50
        await work.session.rollback()
        await work.__aexit__(None, None, None)
    return statistics.median(times) * 1000


async def run(url: str, args: argparse.Namespace) -> None:
    name = url.split("://", 1)[0]
    connector = FakeConnector()
    connector.server.start()
    try:
        await asyncio.to_thread(upgrade, url)
        now = datetime.now(UTC)
        seconds = await seed(url, connector.url, rows=args.rows, due_now=args.due_now, people=args.people, now=now)
        print(f"\n== {name}: seeded {args.rows:,} rows due over 4 weeks and {args.due_now} due now in {seconds:.1f} s")
        print("claim plan:")
        for line in await explain(url, now):
            print(f"    {line}")
        engine = create_engine(url)
        uow = UnitOfWorkFactory(session_factory(engine))
        full = await time_claims(uow, now)
        async with engine.begin() as conn:
            await conn.execute(delete(OutboxRow).where(OutboxRow.due_at > now + timedelta(days=1)))
        small = await time_claims(uow, now)
        print(f"claim of 50: {full:.2f} ms with {args.rows:,} queued for later, {small:.2f} ms with a day's worth")
        await engine.dispose()

        settings = Settings(  # type: ignore[call-arg]
            _env_file=None, database_url=url, local_mode=True, pace_tenant_per_second=args.pace
        )
        profile = load_profile(settings.profiles_dir, settings.profile)
        engine = create_engine(url)
        uow = UnitOfWorkFactory(session_factory(engine))
        roles = RoleDirectory(settings, None)
        services = build_services(settings, profile, uow, lambda _turn: [], roles)
        connectors = CachedConnectorFactory(settings)
        sender = OutboxSender(services, connectors, roles, Pacer(tenant_per_second=settings.pace_tenant_per_second))
        worker = OutboxWorker(services, sender, lambda: datetime.now(UTC), 50, worker_id="bench")
        started = time.perf_counter()
        async with uow() as work:
            first = await work.outbox.claim_due(datetime.now(UTC), 50, LEASE, "probe")
            await work.session.rollback()
        claim_ms = (time.perf_counter() - started) * 1000
        started = time.perf_counter()
        await worker.tick()
        tick = time.perf_counter() - started
        sent = worker.stats.sent
        calls = len(connector.calls)
        print(
            f"one tick: {sent} rows sent ({calls} activities) in {tick:.2f} s; its first claim took {claim_ms:.1f} ms"
        )
        times = sorted(c.at for c in connector.calls)
        busiest = max(sum(1 for t in times if start <= t < start + 1.0) for start in times)
        print(
            f"sending rate: {sent / tick:.1f} rows/s over the tick against a pace of {args.pace}/s per tenant; "
            f"the busiest second at the connector took {busiest}"
        )
        assert len(first) == 50 and sent == args.due_now, (len(first), sent)
        await connectors.close()
        await engine.dispose()
    finally:
        connector.server.stop()


async def postgres_scratch(server_url: str, args: argparse.Namespace) -> None:
    server = make_url(server_url)
    database = f"stepbot_bench_reminders_{uuid.uuid4().hex[:10]}"
    admin = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            await conn.exec_driver_sql(f'CREATE DATABASE "{database}"')
        try:
            await run(server.set(database=database).render_as_string(hide_password=False), args)
        finally:
            async with admin.connect() as conn:
                await conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
    finally:
        await admin.dispose()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=100_000, help="rows queued for the coming weeks")
    parser.add_argument("--due-now", type=int, default=300, help="rows due now: one tick's work")
    parser.add_argument("--people", type=int, default=2000, help="people the rows are for (one chat each)")
    parser.add_argument("--pace", type=int, default=50, help="STEPBOT_PACE_TENANT_PER_SECOND")
    parser.add_argument("--postgres", default="", help="a PostgreSQL server URL: also run there, in a scratch db")
    parser.add_argument("--skip-sqlite", action="store_true")
    args = parser.parse_args(argv)
    if not args.skip_sqlite:
        with tempfile.TemporaryDirectory(prefix="stepbot-bench-") as tmp:
            asyncio.run(run(f"sqlite+aiosqlite:///{tmp}/bench.db", args))
    if args.postgres:
        asyncio.run(postgres_scratch(args.postgres, args))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
