"""Bot processes for the multi-process delivery tests: started, killed with -9 and stopped by the test.

Each runs `python -m tests.harness.bot_process` (the real app) on a port of its own, with the environment the
test gives it, its output in a file and its sends logged (see bot_process.py).
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import aiohttp

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class BotProcess:
    name: str
    popen: subprocess.Popen[bytes]
    port: int
    log: Path
    killed_at: float | None = None

    def sends(self) -> list[tuple[str, str]]:
        text = self.log.read_text() if self.log.exists() else ""
        return [tuple(line.split(" ", 1)) for line in text.splitlines() if " " in line]  # type: ignore[misc]


@dataclass
class Fleet:
    """Bot processes started, killed and stopped by the test."""

    env: dict[str, str]
    tmp: Path
    processes: list[BotProcess] = field(default_factory=list)

    def start(self, name: str, **extra: str) -> BotProcess:
        port = _free_port()
        log = self.tmp / f"{name}.sends"
        env = {
            **os.environ,
            **self.env,
            "STEPBOT_PORT": str(port),
            "STEPBOT_WORKER_ID": name,
            "STEPBOT_TEST_SEND_LOG": str(log),
            **extra,
        }
        env.pop("TEST_DATABASE_URL", None)
        with (self.tmp / f"{name}.out").open("wb") as out:
            popen = subprocess.Popen(
                [sys.executable, "-m", "tests.harness.bot_process"], cwd=REPO, env=env, stdout=out, stderr=out
            )
        process = BotProcess(name, popen, port, log)
        self.processes.append(process)
        return process

    def kill(self, process: BotProcess) -> None:
        process.popen.send_signal(signal.SIGKILL)
        process.popen.wait(timeout=10)
        process.killed_at = time.monotonic()

    def alive(self) -> list[BotProcess]:
        return [p for p in self.processes if p.popen.poll() is None]

    def stop(self) -> None:
        for process in self.alive():
            process.popen.terminate()
        for process in self.processes:
            try:
                process.popen.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.popen.kill()
                process.popen.wait(timeout=10)

    def output(self, process: BotProcess) -> str:
        return (self.tmp / f"{process.name}.out").read_text(errors="replace")[-3000:]


async def healthy(http: aiohttp.ClientSession, fleet: Fleet, process: BotProcess, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        assert process.popen.poll() is None, f"{process.name} exited:\n{fleet.output(process)}"
        try:
            async with http.get(f"http://127.0.0.1:{process.port}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"{process.name} never answered /healthz:\n{fleet.output(process)}")
