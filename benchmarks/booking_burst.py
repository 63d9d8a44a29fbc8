"""Clinic-opening burst: N social workers confirm the first clinic's slots at once through /api/messages."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import os
import shutil
import signal
import sqlite3
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from turns import (
    APP_ID,
    BENCH_DIR,
    BOT_ID,
    CLOCK_TICKS,
    PHASE_SECONDS,
    PYTHON,
    REPO_ROOT,
    REQUEST_SECONDS,
    STARTUP_SECONDS,
    TENANT,
    Children,
    Fakes,
    _child_env,
    _raise_on_sigterm,
    _read_line,
    cpu_seconds,
    start_stepbot,
)

if str(REPO_ROOT) not in sys.path:
    sys.path.insert(0, str(REPO_ROOT))

from tests.harness.cardwalk import buttons, shown_text

SETUP_SECONDS = 300.0  # the whole unmeasured setup phase
MAX_WORKERS = 2000
BOOKED = "You're booked"
SLOT_TAKEN = "Someone booked that slot a moment ago"
TARGET_P99_MS = 500.0
CARD_TYPE = "application/vnd.microsoft.card.adaptive"
CORES = os.cpu_count() or 1


# -- the fakes: benchmarks/fakes.py, with a connector that also keeps the last cards sent to each chat ------------
def serve_fakes(argv: list[str]) -> int:
    """Run as the fakes process: the `book` reply's picker goes to the connector, so the benchmark reads it there."""
    import fakes  # benchmarks/fakes.py, beside this file
    from aiohttp import web

    from tests.harness.connector import Recorded

    class CardKeepingConnector(fakes.CountingConnector):
        def __init__(self, extra_counts: Callable[[], dict[str, int]]) -> None:
            super().__init__(extra_counts)
            self._cards: dict[str, list[dict[str, Any]]] = {}

        def _record(self, call: Recorded) -> None:
            super()._record(call)
            if call.cards:
                with self._count_lock:
                    self._cards[call.conversation_id] = call.cards

        def _app(self) -> web.Application:
            app: web.Application = super()._app()

            async def cards(request: web.Request) -> web.Response:
                with self._count_lock:
                    found = self._cards.get(request.query.get("conversation", ""), [])
                return web.json_response(found)

            app.router.add_get("/bench/cards", cards)
            return app

    fakes.CountingConnector = CardKeepingConnector  # type: ignore[misc]  # fakes.main() builds this one
    sys.argv = [str(BENCH_DIR / "fakes.py"), *argv]
    result: int = fakes.main()
    return result


def start_fakes(children: Children, tokens: int) -> Fakes:
    argv = [PYTHON, str(Path(__file__).resolve()), "--serve-fakes", "--app-id", APP_ID]
    argv += ["--ca-dir", str(children.workdir), "--tokens", str(tokens)]
    proc = children.start("fakes", argv, _child_env({}), stdin_pipe=True)
    assert proc.stdout is not None
    line = _read_line(proc.stdout, STARTUP_SECONDS)
    if not line:
        raise RuntimeError(f"the fakes exited:\n{children.log_tail('fakes')}")
    return Fakes(**json.loads(line))


# -- the social workers and the bot ---------------------------------------------------------------------------
@dataclass(frozen=True)
class Worker:
    index: int
    object_id: str
    name: str

    @staticmethod
    def make(i: int) -> Worker:
        return Worker(i, str(uuid.uuid5(uuid.NAMESPACE_DNS, f"bench-social-worker-{i}.test")), f"S.{i}.")

    @property
    def conversation_id(self) -> str:
        return f"a:bench-booking-{self.index}"

    @property
    def case_reference(self) -> str:
        return f"DEMO-{1000 + self.index}"


@dataclass(frozen=True)
class BotProcess:
    url: str
    pid: int


def start_bot(children: Children, fakes: Fakes, database_url: str, workers: list[Worker]) -> BotProcess:
    bot = start_stepbot(
        children, fakes, database_url=database_url, social_workers=[w.object_id for w in workers]
    )
    return BotProcess(bot.url, bot.pid)


def activity(worker: Worker, fakes: Fakes, type_: str, **extra: Any) -> bytes:
    """A Teams personal-chat activity from this worker (the shape tests/harness/driver.py builds)."""
    body: dict[str, Any] = {
        "type": type_,
        "id": uuid.uuid4().hex,
        "timestamp": datetime.now(UTC).isoformat(),
        "serviceUrl": fakes.service_url,
        "channelId": "msteams",
        "from": {"id": f"29:bench-{worker.object_id}", "name": worker.name, "aadObjectId": worker.object_id},
        "conversation": {
            "id": worker.conversation_id,
            "conversationType": "personal",
            "tenantId": TENANT,
            "isGroup": False,
        },
        "recipient": {"id": BOT_ID, "name": "Stepbot"},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
    }
    body.update(extra)
    return json.dumps(body).encode()


def execute(worker: Worker, fakes: Fakes, action: dict[str, Any], **inputs: Any) -> bytes:
    """Press an Action.Execute button, the card's inputs merged into its data as Teams does."""
    data = {k: v for k, v in action.get("data", {}).items() if k != "verb"}
    data.update(inputs)
    value = {"action": {"type": "Action.Execute", "verb": action["verb"], "data": data}, "trigger": "manual"}
    return activity(worker, fakes, "invoke", name="adaptiveCard/action", value=value)


def invoke_card(body: Any) -> dict[str, Any] | None:
    if isinstance(body, dict) and body.get("type") == CARD_TYPE and isinstance(body.get("value"), dict):
        card: dict[str, Any] = body["value"]
        return card
    return None


async def post(http: aiohttp.ClientSession, bot: BotProcess, body: bytes, token: str) -> tuple[int, Any]:
    headers = {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    async with http.post(f"{bot.url}/api/messages", data=body, headers=headers) as resp:
        text = await resp.text()
        try:
            parsed: Any = json.loads(text) if text else None
        except ValueError:
            parsed = text
        return resp.status, parsed


# -- setup (not measured): book -> pick a slot of the first clinic -> fill the form -> review --------------------
@dataclass
class Prepared:
    worker: Worker
    slot_id: int
    clinic_title: str
    confirm: dict[str, Any]  # the review card's booking.confirm button


def first_clinic(picker: dict[str, Any]) -> tuple[str, list[dict[str, Any]]]:
    """The first clinic on the picker (its title) and its slot buttons."""
    for item in picker.get("body", []):
        slots = buttons(item, "booking.pick")
        if slots:
            return shown_text(item).splitlines()[0], slots
    raise RuntimeError(f"no clinic with free slots on the picker:\n{shown_text(picker)}")


def the_button(card: dict[str, Any] | None, verb: str, step: str) -> dict[str, Any]:
    found = buttons(card, verb) if card else []
    if not found:
        raise RuntimeError(f"{step}: no {verb!r} button came back:\n{shown_text(card) if card else card}")
    return found[0]


async def prepare(
    http: aiohttp.ClientSession, bot: BotProcess, fakes: Fakes, worker: Worker, token: str, decision_date: str
) -> Prepared:
    status, _ = await post(http, bot, activity(worker, fakes, "message", text="book", textFormat="plain"), token)
    if status != 201:
        raise RuntimeError(f"{worker.name} `book`: HTTP {status}")
    url = f"{fakes.connector_url}/bench/cards"
    async with http.get(url, params={"conversation": worker.conversation_id}) as resp:
        cards: list[dict[str, Any]] = await resp.json()
    if not cards:
        raise RuntimeError(f"{worker.name} `book`: no picker reached the connector")
    title, slots = first_clinic(cards[-1])
    slot = slots[worker.index % len(slots)]
    status, body = await post(http, bot, execute(worker, fakes, slot), token)
    review = the_button(invoke_card(body), "booking.review", f"{worker.name} pick (HTTP {status})")
    details = {
        "case_reference": worker.case_reference,
        "team": "Safeguarding Team 2",
        "direction": "step_down_early_help",
        "decision_date": decision_date,
        "reason": "Plan goals met; family engaging with the school and the health visitor.",
        "manager_agreed": "true",
    }
    status, body = await post(http, bot, execute(worker, fakes, review, **details), token)
    confirm = the_button(invoke_card(body), "booking.confirm", f"{worker.name} review (HTTP {status})")
    return Prepared(worker, int(slot["data"]["slot_id"]), title, confirm)


async def setup(bot: BotProcess, fakes: Fakes, workers: list[Worker], concurrency: int) -> list[Prepared]:
    decision_date = (datetime.now(UTC).date() - timedelta(days=3)).isoformat()
    prepared: list[Prepared] = []
    cursor = iter(workers)
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout) as http:

        async def one_at_a_time() -> None:
            for worker in cursor:  # shared: each worker is prepared once, the loop ends with the list
                token = fakes.tokens[worker.index % len(fakes.tokens)]
                prepared.append(await prepare(http, bot, fakes, worker, token, decision_date))

        async with asyncio.timeout(SETUP_SECONDS), asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(one_at_a_time())
    return sorted(prepared, key=lambda p: p.worker.index)


# -- the burst (measured) ---------------------------------------------------------------------------------------
@dataclass
class Outcome:
    status: int
    latency: float
    sent_at: float
    kind: str  # booked | refused | other
    detail: str = ""


def classify(status: int, body: Any) -> tuple[str, str]:
    card = invoke_card(body)
    text = shown_text(card) if card else ""
    if status == 200 and BOOKED in text:
        return "booked", ""
    if status == 200 and SLOT_TAKEN in text:
        return "refused", ""
    detail = next((line for line in text.splitlines()[1:2]), "") or text[:80] or str(body)[:80]
    return "other", f"HTTP {status}: {detail}"


async def confirm_all(
    bot: BotProcess, fakes: Fakes, prepared: list[Prepared], concurrency: int, spread: float = 0.0
) -> tuple[list[Outcome], float]:
    """Every prepared confirm, `concurrency` in flight; bodies and tokens are built before the clock starts.

    With `spread` > 0 the confirms arrive evenly over that many seconds (a clinic opening: people confirming
    within seconds) instead of all in the same instant.
    """
    requests = [
        (execute(p.worker, fakes, p.confirm), fakes.tokens[p.worker.index % len(fakes.tokens)]) for p in prepared
    ]
    outcomes: list[Outcome] = []
    cursor = iter(enumerate(requests))
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    async with aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=concurrency), timeout=timeout) as http:
        started = time.perf_counter()

        async def confirmer() -> None:
            for n, (body, token) in cursor:
                if spread:
                    await asyncio.sleep(max(0.0, started + spread * n / len(requests) - time.perf_counter()))
                sent = time.perf_counter()
                try:
                    status, reply = await post(http, bot, body, token)
                except (aiohttp.ClientError, TimeoutError) as exc:
                    status, reply = 0, repr(exc)
                kind, detail = classify(status, reply)
                outcomes.append(Outcome(status, time.perf_counter() - sent, sent - started, kind, detail))

        async with asyncio.timeout(PHASE_SECONDS), asyncio.TaskGroup() as group:
            for _ in range(concurrency):
                group.create_task(confirmer())
        wall = time.perf_counter() - started
    return outcomes, wall


def machine_busy_seconds() -> float:
    """CPU time all cores spent busy (not idle or waiting on I/O) since boot, from /proc/stat."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = fields[3] + (fields[4] if len(fields) > 4 else 0)
    return (sum(fields[:8]) - idle) / CLOCK_TICKS


@dataclass
class Burst:
    outcomes: list[Outcome]
    wall: float
    bot_cpu: float  # the bot process, all its threads
    own_cpu: float  # this process: the load generator
    machine_cpu: float  # every core, every process (the database server included)


def burst(bot: BotProcess, fakes: Fakes, prepared: list[Prepared], concurrency: int, spread: float) -> Burst:
    before = cpu_seconds(bot.pid), time.process_time(), machine_busy_seconds()
    outcomes, wall = asyncio.run(confirm_all(bot, fakes, prepared, concurrency, spread))
    after = cpu_seconds(bot.pid), time.process_time(), machine_busy_seconds()
    bot_cpu, own_cpu, machine_cpu = (a - b for a, b in zip(after, before, strict=True))
    return Burst(outcomes, wall, bot_cpu, own_cpu, machine_cpu)


# -- the database: a scratch PostgreSQL database, and the checks after the burst ---------------------------------
@dataclass
class ScratchPostgres:
    """A fresh database created on the given server for this run, dropped afterwards."""

    admin_url: Any  # sqlalchemy URL of the database to connect to for CREATE/DROP DATABASE
    name: str = field(default_factory=lambda: f"stepbot_booking_burst_{uuid.uuid4().hex[:10]}")
    created: bool = False

    @staticmethod
    def parse(url: str) -> ScratchPostgres:
        from sqlalchemy.engine import make_url

        parsed = make_url(url)
        if parsed.drivername != "postgresql+asyncpg":
            raise SystemExit("--database-url must be postgresql+asyncpg://user@127.0.0.1:5432/db")
        if parsed.host != "127.0.0.1":
            raise SystemExit("--database-url: the benchmark talks to 127.0.0.1 only")
        return ScratchPostgres(parsed)

    @property
    def bot_url(self) -> str:
        rendered: str = self.admin_url.set(database=self.name).render_as_string(hide_password=False)
        return rendered

    async def _connect(self, database: str) -> Any:
        import asyncpg  # type: ignore[import-untyped]

        u = self.admin_url
        return await asyncpg.connect(
            host=u.host,
            port=u.port or 5432,
            user=u.username,
            password=u.password,
            database=database,
            timeout=10,
        )

    async def create(self) -> None:
        conn = await self._connect(self.admin_url.database or "postgres")
        try:
            await conn.execute(f'CREATE DATABASE "{self.name}"')
            self.created = True
        finally:
            await conn.close()

    async def drop(self) -> None:
        if not self.created:
            return
        conn = await self._connect(self.admin_url.database or "postgres")
        try:
            force = " WITH (FORCE)" if conn.get_server_version().major >= 13 else ""
            await conn.execute(f'DROP DATABASE IF EXISTS "{self.name}"{force}')
            self.created = False
        finally:
            await conn.close()


SLOTS_SQL = "SELECT id, clinic_date, slot_index, capacity, booked FROM clinic_slots ORDER BY clinic_date, slot_index"
ACTIVE_SQL = "SELECT slot_id, count(*) FROM bookings WHERE status IN ('held', 'booked') GROUP BY slot_id"
BOOKED_SQL = "SELECT count(*) FROM bookings WHERE status = 'booked'"


@dataclass
class Seats:
    slots: list[tuple[int, str, int, int, int]]  # id, clinic_date, slot_index, capacity, booked
    active_per_slot: dict[int, int]
    booked_rows: int

    @property
    def overbooked(self) -> list[tuple[int, str, int, int, int]]:
        return [s for s in self.slots if s[4] > s[3] or self.active_per_slot.get(s[0], 0) > s[3]]

    @property
    def seats_taken(self) -> int:
        return sum(s[4] for s in self.slots)

    def clinic_of(self, slot_ids: set[int]) -> tuple[set[str], int, int]:
        """The dates of these slots, and those clinics' capacity and slot count."""
        dates = {s[1] for s in self.slots if s[0] in slot_ids}
        on = [s for s in self.slots if s[1] in dates]
        return dates, sum(s[3] for s in on), len(on)


def read_sqlite(path: Path) -> Seats:
    with contextlib.closing(sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)) as conn:
        slots = [(int(a), str(b), int(c), int(d), int(e)) for a, b, c, d, e in conn.execute(SLOTS_SQL)]
        active = {int(a): int(b) for a, b in conn.execute(ACTIVE_SQL)}
        booked = int(conn.execute(BOOKED_SQL).fetchone()[0])
    return Seats(slots, active, booked)


async def read_postgres(scratch: ScratchPostgres) -> Seats:
    conn = await scratch._connect(scratch.name)
    try:
        async with conn.transaction(readonly=True):
            slots = [(int(r[0]), str(r[1]), int(r[2]), int(r[3]), int(r[4])) for r in await conn.fetch(SLOTS_SQL)]
            active = {int(r[0]): int(r[1]) for r in await conn.fetch(ACTIVE_SQL)}
            booked = int(await conn.fetchval(BOOKED_SQL))
    finally:
        await conn.close()
    return Seats(slots, active, booked)


# -- the report -------------------------------------------------------------------------------------------------
def percentile(values: list[float], p: float) -> float:
    """Nearest rank, in ms (as turns.py computes it)."""
    ordered = sorted(values)
    rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
    return ordered[rank] * 1000


def report(
    args: argparse.Namespace,
    database: str,
    prepared: list[Prepared],
    run: Burst,
    seats: Seats,
    out: Callable[[str], None] = print,
) -> int:
    """Print the figures and the checks; 1 on overbooking, counts that disagree, or a confirm not answering 200."""
    outcomes, wall, cpu = run.outcomes, run.wall, run.bot_cpu
    kinds = Counter(o.kind for o in outcomes)
    statuses = Counter(o.status for o in outcomes)
    latencies = [o.latency for o in outcomes]
    dates, capacity, slot_count = seats.clinic_of({p.slot_id for p in prepared})
    p50, p95, p99 = (percentile(latencies, p) for p in (50, 95, 99))
    rows = [
        ("database", database),
        ("workers", str(len(prepared))),
        ("burst concurrency", str(args.concurrency)),
        ("arriving over", f"{args.spread_seconds:g} s" if args.spread_seconds else "the same instant"),
        ("confirmed (You're booked)", str(kinds["booked"])),
        ("capacity of the contended clinic", f"{capacity} ({', '.join(sorted(dates))}, {slot_count} slots)"),
        ("refusals (slot taken)", str(kinds["refused"])),
        ("other", str(kinds["other"])),
        ("HTTP statuses", ", ".join(f"{n}x{s or 'conn'}" for s, n in sorted(statuses.items()))),
        ("all sent within", f"{max(o.sent_at for o in outcomes) * 1000:.0f} ms"),
        ("burst wall time", f"{wall * 1000:.0f} ms"),
        ("latency p50 / p95 / p99", f"{p50:.0f} / {p95:.0f} / {p99:.0f} ms (max {max(latencies) * 1000:.0f})"),
        ("bot CPU during the burst", f"{cpu * 1000:.0f} ms ({cpu * 1000 / len(outcomes):.1f} ms per confirm)"),
        ("load generator CPU (this process)", f"{run.own_cpu * 1000:.0f} ms"),
        (
            "machine CPU during the burst",
            f"{run.machine_cpu * 1000:.0f} ms busy of {wall * 1000 * CORES:.0f} ({CORES} cores)",
        ),
        ("bookings with status 'booked'", str(seats.booked_rows)),
        ("sum of clinic_slots.booked", str(seats.seats_taken)),
    ]
    width = max(len(k) for k, _ in rows) + 2
    for key, value in rows:
        out(f"{key:<{width}}{value}")
    for detail, n in Counter(o.detail for o in outcomes if o.kind == "other").most_common(5):
        out(f"  other: {n}x {detail}")
    overbooked = seats.overbooked
    if overbooked:
        out("overbooked slots (id, clinic_date, slot_index, capacity, booked):")
        for row in overbooked:
            out(f"  {row}  active bookings {seats.active_per_slot.get(row[0], 0)}")
    else:
        out("overbooked slots: 0")
    consistent = seats.booked_rows == seats.seats_taken == kinds["booked"]
    if not consistent:
        out(
            f"PROBLEM: bookings 'booked' {seats.booked_rows}, sum of booked {seats.seats_taken}, "
            f"'booked' replies {kinds['booked']} should all be equal"
        )
    bad_http = any(s != 200 for s in statuses)
    if bad_http:
        out("PROBLEM: some confirms did not answer HTTP 200")
    met = p99 < TARGET_P99_MS and not overbooked
    out(
        f"target (p99 < {TARGET_P99_MS:.0f} ms, zero overbooking): {'MET' if met else 'NOT MET'} "
        f"(p99 {p99:.0f} ms, {len(overbooked)} overbooked slots)"
    )
    return 1 if overbooked or bad_http or not consistent else 0


# -- main ----------------------------------------------------------------------------------------------------------
def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--workers", type=int, default=200, help="social workers confirming (default 200)")
    parser.add_argument("--concurrency", type=int, help="confirms in flight (default: all of them at once)")
    parser.add_argument(
        "--spread-seconds",
        type=float,
        default=2.0,
        help="the confirms arrive evenly over this many seconds (default 2: 'within seconds'); 0: all at once",
    )
    parser.add_argument("--setup-concurrency", type=int, default=8, help="connections for the setup (default 8)")
    parser.add_argument(
        "--database-url",
        default="",
        help="postgresql+asyncpg://user@127.0.0.1:5432/postgres: a scratch database is created on that server "
        "(this one is used only to create and drop it); default: a temporary SQLite file",
    )
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, SQLite database)")
    args = parser.parse_args(argv)
    if not 1 <= args.workers <= MAX_WORKERS:
        parser.error(f"--workers must be between 1 and {MAX_WORKERS}")
    args.concurrency = args.concurrency or args.workers
    if not 1 <= args.concurrency <= args.workers:
        parser.error("--concurrency must be between 1 and --workers")
    if not 1 <= args.setup_concurrency <= 64:
        parser.error("--setup-concurrency must be between 1 and 64")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    scratch = ScratchPostgres.parse(args.database_url) if args.database_url else None
    workdir = Path(tempfile.mkdtemp(prefix="stepbot-booking-burst-"))
    children = Children(workdir)
    workers = [Worker.make(i) for i in range(args.workers)]
    try:
        if scratch is not None:
            asyncio.run(scratch.create())
            database_url = scratch.bot_url
            database = f"PostgreSQL (scratch database {scratch.name})"
        else:
            database_url = f"sqlite+aiosqlite:///{workdir / 'bench.db'}"
            database = "SQLite (temporary file)"
        print(f"starting the fakes and stepbot (work dir {workdir}, {database}) ...", flush=True)
        fakes = start_fakes(children, tokens=args.workers)
        bot = start_bot(children, fakes, database_url, workers)

        started = time.perf_counter()
        prepared = asyncio.run(setup(bot, fakes, workers, args.setup_concurrency))
        print(f"setup: {len(prepared)} workers reviewed a booking in {time.perf_counter() - started:.1f} s", flush=True)

        print(f"burst: {len(prepared)} confirms, {args.concurrency} in flight ...", flush=True)
        run = burst(bot, fakes, prepared, args.concurrency, args.spread_seconds)

        seats = read_sqlite(workdir / "bench.db") if scratch is None else asyncio.run(read_postgres(scratch))
        print()
        return report(args, database, prepared, run, seats)
    finally:
        children.stop_all()
        if scratch is not None:
            try:
                asyncio.run(scratch.drop())
            except Exception as exc:  # noqa: BLE001 - say so, and go on cleaning up
                print(f"could not drop the scratch database {scratch.name}: {exc!r}", file=sys.stderr)
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    if sys.argv[1:2] == ["--serve-fakes"]:
        raise SystemExit(serve_fakes(sys.argv[2:]))
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the fakes and the bot were stopped", file=sys.stderr)
        raise SystemExit(130) from None
