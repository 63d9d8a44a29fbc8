"""Turn benchmark: authenticated `help` turns through /api/messages, stepbot beside the stock echo bot."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import ctypes
import json
import os
import select
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import aiohttp

BENCH_DIR = Path(__file__).resolve().parent
REPO_ROOT = BENCH_DIR.parent
VENV_BIN = Path(sys.executable).parent
PYTHON = sys.executable

APP_ID = "11111111-1111-4111-8111-111111111111"
APP_PASSWORD = "bench-secret-not-real"
TENANT = "00000000-0000-4000-8000-00000000aaaa"
BOT_ID = "28:bench-bot"
PEOPLE = 64  # distinct people, each in their own personal chat, all holding a role
STARTUP_SECONDS = 60.0
PHASE_SECONDS = 600.0  # no phase may run longer than this
REQUEST_SECONDS = 30.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# -- child processes ----------------------------------------------------------------------------------
def _die_with_parent() -> None:
    """Linux: a child gets SIGTERM if the benchmark dies without cleaning up (kill -9, say)."""
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL("libc.so.6", use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _child_env(extra: dict[str, str]) -> dict[str, str]:
    """A clean environment: no inherited proxies, .env-style settings or credentials reach the children."""
    env = {k: os.environ[k] for k in ("PATH", "HOME", "LANG", "LC_ALL", "TMPDIR") if k in os.environ}
    env.update({"NO_PROXY": "127.0.0.1,localhost", "no_proxy": "127.0.0.1,localhost", "PYTHONUNBUFFERED": "1"})
    env.update(extra)
    return env


@dataclass
class Children:
    """Every process the benchmark starts; stopped on any exit (normal, exception, Ctrl-C, SIGTERM)."""

    workdir: Path
    procs: list[tuple[str, subprocess.Popen[bytes]]] = field(default_factory=list)

    def start(
        self, name: str, argv: list[str], env: dict[str, str], *, stdin_pipe: bool = False
    ) -> subprocess.Popen[bytes]:
        log = (self.workdir / f"{name}.log").open("wb")
        proc = subprocess.Popen(
            argv,
            cwd=self.workdir,  # no stray .env is read by the bots
            env=env,
            stdin=subprocess.PIPE if stdin_pipe else subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdin_pipe else log,
            stderr=log,
            preexec_fn=_die_with_parent,
        )
        log.close()
        self.procs.append((name, proc))
        return proc

    def log_tail(self, name: str, lines: int = 30) -> str:
        path = self.workdir / f"{name}.log"
        if not path.exists():
            return ""
        return "\n".join(path.read_text(errors="replace").splitlines()[-lines:])

    def stop_all(self) -> None:
        for _name, proc in reversed(self.procs):
            if proc.stdin is not None:
                with contextlib.suppress(OSError):
                    proc.stdin.close()
            if proc.poll() is None:
                proc.terminate()
        for _name, proc in reversed(self.procs):
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=10)
            if proc.stdout is not None:
                proc.stdout.close()


def _read_line(stream: IO[bytes], timeout: float) -> bytes:
    ready, _, _ = select.select([stream], [], [], timeout)
    if not ready:
        raise TimeoutError("the fakes did not report their URLs in time")
    return stream.readline()


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def http_get_json(url: str, timeout: float = 5.0) -> Any:
    assert url.startswith("http://127.0.0.1:"), url  # the benchmark talks to nothing else
    with urllib.request.urlopen(url, timeout=timeout) as resp:
        return json.loads(resp.read())


def wait_healthy(children: Children, name: str, proc: subprocess.Popen[bytes], url: str) -> None:
    deadline = time.monotonic() + STARTUP_SECONDS
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{name} exited with {proc.returncode}:\n{children.log_tail(name)}")
        try:
            http_get_json(url, timeout=1.0)
            return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{name} was not healthy within {STARTUP_SECONDS:.0f}s:\n{children.log_tail(name)}")


def cpu_seconds(pid: int) -> float:
    """User + system CPU of a process (all its threads), from /proc/<pid>/stat."""
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS  # utime, stime (fields 14 and 15)


# -- the bots ---------------------------------------------------------------------------------------
@dataclass
class Fakes:
    openid_metadata_url: str
    connector_url: str
    service_url: str
    authority_host: str
    ca_bundle: str
    tokens: list[str]

    def counts(self, prefix: str) -> tuple[int, int]:
        """Replies the connector received in conversations with this prefix, and Entra tokens issued so far."""
        counts: dict[str, int] = http_get_json(f"{self.connector_url}/bench/counts")
        replies = sum(n for key, n in counts.items() if key.startswith(f"reply {prefix}"))
        return replies, counts.get("entra tokens", 0)


@dataclass
class Bot:
    name: str
    url: str
    pid: int
    conversation_prefix: str


def person_id(i: int) -> str:
    return str(uuid.uuid5(uuid.NAMESPACE_DNS, f"bench-person-{i}.test"))


def start_fakes(children: Children) -> Fakes:
    proc = children.start(
        "fakes",
        [PYTHON, str(BENCH_DIR / "fakes.py"), "--app-id", APP_ID, "--ca-dir", str(children.workdir)],
        _child_env({}),
        stdin_pipe=True,
    )
    assert proc.stdout is not None
    line = _read_line(proc.stdout, STARTUP_SECONDS)
    if not line:
        raise RuntimeError(f"the fakes exited:\n{children.log_tail('fakes')}")
    return Fakes(**json.loads(line))


def start_stepbot(
    children: Children,
    fakes: Fakes,
    *,
    database_url: str | None = None,
    social_workers: list[str] | None = None,
) -> Bot:
    """Migrate and serve stepbot against the fakes, auth on; the burst benchmark reuses this too."""
    port = free_port()
    people = social_workers if social_workers is not None else [person_id(i) for i in range(PEOPLE)]
    roles = {"social_worker": people}
    env = _child_env(
        {
            "MICROSOFT_APP_ID": APP_ID,
            "MICROSOFT_APP_PASSWORD": APP_PASSWORD,
            "MICROSOFT_APP_TENANT_ID": TENANT,
            "MICROSOFT_APP_TYPE": "SingleTenant",
            "DATABASE_URL": database_url or f"sqlite+aiosqlite:///{children.workdir / 'bench.db'}",
            "STEPBOT_OPENID_METADATA_URL": fakes.openid_metadata_url,
            "STEPBOT_AUTHORITY_HOST": fakes.authority_host,
            "STEPBOT_CA_BUNDLE": fakes.ca_bundle,
            "STEPBOT_GRAPH_BASE_URL": "",
            "STEPBOT_ALLOWED_TENANTS": TENANT,  # comma-separated
            "STEPBOT_ROLES": json.dumps(roles),
            "STEPBOT_HOST": "127.0.0.1",
            "STEPBOT_PORT": str(port),
            "STEPBOT_LOG_LEVEL": "WARNING",
            "STEPBOT_LOCAL_MODE": "false",
        }
    )
    stepbot = str(VENV_BIN / "stepbot")
    migrate = children.start("stepbot-migrate", [stepbot, "migrate"], env)
    if migrate.wait(timeout=120) != 0:
        raise RuntimeError(f"stepbot migrate failed:\n{children.log_tail('stepbot-migrate')}")
    proc = children.start("stepbot", [stepbot, "serve"], env)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(children, "stepbot", proc, f"{url}/healthz")
    return Bot("stepbot", url, proc.pid, "a:bench-stepbot-")


def start_echo(children: Children, fakes: Fakes) -> Bot:
    port = free_port()
    env = _child_env(
        {
            "ECHO_PORT": str(port),
            "MicrosoftAppId": APP_ID,
            "MicrosoftAppPassword": APP_PASSWORD,
            "MicrosoftAppType": "SingleTenant",
            "MicrosoftAppTenantId": TENANT,
            "ECHO_OPENID_METADATA_URL": fakes.openid_metadata_url,
            "ECHO_AUTHORITY_HOST": fakes.authority_host,
            "REQUESTS_CA_BUNDLE": fakes.ca_bundle,
        }
    )
    proc = children.start("echo", [PYTHON, str(BENCH_DIR / "echo_bot.py")], env)
    url = f"http://127.0.0.1:{port}"
    wait_healthy(children, "echo", proc, f"{url}/healthz")
    return Bot("echo (stock)", url, proc.pid, "a:bench-echo-")


# -- the load ---------------------------------------------------------------------------------------
def help_activity(bot: Bot, fakes: Fakes, i: int) -> bytes:
    """A Teams personal-chat message `help` from one of the benchmark's people."""
    who = i % PEOPLE
    oid = person_id(who)
    body = {
        "type": "message",
        "id": uuid.uuid4().hex,
        "timestamp": "2026-11-25T10:00:00.000Z",
        "serviceUrl": fakes.service_url,
        "channelId": "msteams",
        "from": {"id": f"29:{oid[:8]}", "name": f"P.{who}.", "aadObjectId": oid},
        "conversation": {
            "id": f"{bot.conversation_prefix}{who}",
            "conversationType": "personal",
            "tenantId": TENANT,
            "isGroup": False,
        },
        "recipient": {"id": BOT_ID, "name": "Stepbot"},
        "channelData": {"tenant": {"id": TENANT}},
        "locale": "en-GB",
        "text": "help",
        "textFormat": "plain",
    }
    return json.dumps(body).encode()


@dataclass
class PhaseResult:
    bot: str
    concurrency: int
    turns: int
    seconds: float
    latencies: list[float]
    cpu_seconds: float
    replies: int
    entra_tokens: int
    bad_statuses: dict[int, int]

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        rank = max(0, min(len(ordered) - 1, round(p / 100 * len(ordered) + 0.5) - 1))
        return ordered[rank] * 1000

    @property
    def turns_per_second(self) -> float:
        return self.turns / self.seconds

    @property
    def cpu_ms_per_turn(self) -> float:
        return self.cpu_seconds * 1000 / self.turns


async def drive(bot: Bot, fakes: Fakes, turns: int, concurrency: int, first: int) -> tuple[list[float], dict[int, int]]:
    """Send `turns` requests with `concurrency` in flight; bodies and tokens are prepared before timing."""
    bodies = [help_activity(bot, fakes, first + i) for i in range(turns)]
    headers = [
        {"Content-Type": "application/json", "Authorization": f"Bearer {fakes.tokens[(first + i) % len(fakes.tokens)]}"}
        for i in range(turns)
    ]
    latencies: list[float] = []
    bad: dict[int, int] = {}
    cursor = iter(range(turns))
    timeout = aiohttp.ClientTimeout(total=REQUEST_SECONDS)
    connector = aiohttp.TCPConnector(limit=concurrency)
    async with aiohttp.ClientSession(connector=connector, timeout=timeout) as http:

        async def worker() -> None:
            for i in cursor:  # a shared iterator: each turn is taken once, the loop ends with it
                started = time.perf_counter()
                try:
                    async with http.post(f"{bot.url}/api/messages", data=bodies[i], headers=headers[i]) as resp:
                        await resp.read()
                        status = resp.status
                except (aiohttp.ClientError, TimeoutError):
                    status = 0
                latencies.append(time.perf_counter() - started)
                if status != 201:
                    bad[status] = bad.get(status, 0) + 1

        async with asyncio.timeout(PHASE_SECONDS), asyncio.TaskGroup() as workers:
            for _ in range(concurrency):
                workers.create_task(worker())
    return latencies, bad


def run_phase(bot: Bot, fakes: Fakes, turns: int, concurrency: int, warmup: int, first: int) -> PhaseResult:
    if warmup:
        asyncio.run(drive(bot, fakes, warmup, concurrency, first))
    replies_before, tokens_before = fakes.counts(bot.conversation_prefix)
    cpu_before = cpu_seconds(bot.pid)
    started = time.perf_counter()
    latencies, bad = asyncio.run(drive(bot, fakes, turns, concurrency, first + warmup))
    elapsed = time.perf_counter() - started
    cpu_after = cpu_seconds(bot.pid)
    # Replies are sent inside the turn, before the 201; allow the connector a moment to count the last ones.
    replies, tokens = fakes.counts(bot.conversation_prefix)
    deadline = time.monotonic() + 2.0
    while replies - replies_before < turns and time.monotonic() < deadline:
        time.sleep(0.05)
        replies, tokens = fakes.counts(bot.conversation_prefix)
    return PhaseResult(
        bot.name,
        concurrency,
        turns,
        elapsed,
        latencies,
        cpu_after - cpu_before,
        replies - replies_before,
        tokens - tokens_before,
        bad,
    )


# -- the report -------------------------------------------------------------------------------------
def print_table(results: list[PhaseResult], out: Callable[[str], None] = print) -> None:
    head = f"{'bot':<14}{'conc':>5}{'turns':>7}{'turns/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
    head += f"{'CPU ms/turn':>13}{'replies':>9}{'Entra tokens':>14}  errors"
    out(head)
    out("-" * len(head))
    for r in results:
        errors = ", ".join(f"{n}x{s or 'conn'}" for s, n in sorted(r.bad_statuses.items())) or "-"
        out(
            f"{r.bot:<14}{r.concurrency:>5}{r.turns:>7}{r.turns_per_second:>9.1f}{r.percentile(50):>9.1f}"
            f"{r.percentile(95):>9.1f}{r.percentile(99):>9.1f}{r.cpu_ms_per_turn:>13.2f}{r.replies:>9}"
            f"{r.entra_tokens:>14}  {errors}"
        )


def verdicts(results: list[PhaseResult]) -> Iterator[tuple[bool, str]]:
    by_key = {(r.bot.split()[0], r.concurrency): r for r in results}
    for conc in sorted({r.concurrency for r in results}):
        ours, stock = by_key.get(("stepbot", conc)), by_key.get(("echo", conc))
        if ours is None or stock is None:
            continue
        p50_ok = ours.percentile(50) <= stock.percentile(50)
        cpu_ok = ours.cpu_ms_per_turn <= stock.cpu_ms_per_turn
        ok = p50_ok and cpu_ok
        yield ok, (
            f"concurrency {conc}: stepbot p50 {ours.percentile(50):.1f} ms vs echo {stock.percentile(50):.1f} ms "
            f"({'ok' if p50_ok else 'SLOWER'}); CPU {ours.cpu_ms_per_turn:.2f} vs {stock.cpu_ms_per_turn:.2f} "
            f"ms/turn ({'ok' if cpu_ok else 'MORE'}) -> {'no worse than the stock echo bot' if ok else 'WORSE'}"
        )
        if ours.percentile(99) > stock.percentile(99):
            yield True, (
                f"  note (not part of the target): stepbot's p99 at concurrency {conc} is "
                f"{ours.percentile(99):.1f} ms vs echo's {stock.percentile(99):.1f} ms"
            )


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--turns", type=int, default=2000, help="measured turns per phase per bot (default 2000)")
    parser.add_argument("--concurrency", default="1,16", help="comma-separated in-flight requests (default 1,16)")
    parser.add_argument("--warmup", type=int, default=50, help="unmeasured turns before each phase (default 50)")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory (logs, database)")
    args = parser.parse_args(argv)
    try:
        args.levels = [int(c) for c in args.concurrency.split(",") if c.strip()]
    except ValueError:
        parser.error("--concurrency takes integers, e.g. 1,16")
    if not args.levels or any(c < 1 or c > 256 for c in args.levels):
        parser.error("--concurrency levels must be between 1 and 256")
    if not 1 <= args.turns <= 1_000_000 or args.warmup < 0:
        parser.error("--turns must be at least 1 and --warmup not negative")
    return args


def _raise_on_sigterm(_signum: int, _frame: Any) -> None:
    raise SystemExit(143)


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_on_sigterm)
    workdir = Path(tempfile.mkdtemp(prefix="stepbot-bench-"))
    children = Children(workdir)
    results: list[PhaseResult] = []
    try:
        print(f"starting the fakes and both bots (work dir {workdir}) ...", flush=True)
        fakes = start_fakes(children)
        bots = [start_stepbot(children, fakes), start_echo(children, fakes)]
        first = 0
        for conc in args.levels:
            for bot in bots:
                print(f"  {bot.name}: {args.warmup} warm-up + {args.turns} turns at concurrency {conc}", flush=True)
                results.append(run_phase(bot, fakes, args.turns, conc, args.warmup, first))
                first += args.warmup + args.turns
        print()
        print_table(results)
        print()
        ok = True
        for good, line in verdicts(results):
            ok &= good
            print(line)
        complete = all(r.replies == r.turns and not r.bad_statuses for r in results)
        if not complete:
            print("PROBLEM: some turns did not answer 201 or their reply never reached the connector")
        print(f"target (stepbot no slower than the stock echo bot): {'MET' if ok and complete else 'NOT MET'}")
        return 0 if complete else 1
    finally:
        children.stop_all()
        if args.keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)


if __name__ == "__main__":
    try:
        raise SystemExit(main())
    except KeyboardInterrupt:
        print("\ninterrupted; the fakes and the bots were stopped", file=sys.stderr)
        raise SystemExit(130) from None
