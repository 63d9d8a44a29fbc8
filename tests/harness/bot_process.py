"""One bot process for the delivery tests: the real app (HTTP and the outbox tick) on its own port, configured
from the environment like `stepbot serve`, with a log of its sends at the worker's named points.

`STEPBOT_TEST_SEND_LOG` names a file that gets a line "after_send <key>" once the Bot Connector has answered
and "settled <key>" once the row is committed as sent (written straight to the file: a kill -9 loses nothing
written). `STEPBOT_TEST_CRASH_AT="<point>:<key>"` makes the process die (os._exit) at that point for that row.

    python -m tests.harness.bot_process
"""

from __future__ import annotations

import logging
import os

from aiohttp import web

from bot.app import RUNTIME, create_app
from bot.profile_files import load_profile
from bot.settings import Settings
from domain.messaging import OutboxMessage

DIED = 137


def main() -> None:
    settings = Settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    logging.getLogger("apscheduler").setLevel(logging.ERROR)
    profile = load_profile(settings.profiles_dir, settings.profile)
    log_path = os.environ.get("STEPBOT_TEST_SEND_LOG", "")
    crash_at = os.environ.get("STEPBOT_TEST_CRASH_AT", "")
    fd = os.open(log_path, os.O_WRONLY | os.O_CREAT | os.O_APPEND, 0o644) if log_path else None

    def checkpoint(point: str, message: OutboxMessage) -> None:
        if crash_at == f"{point}:{message.key}":
            os._exit(DIED)
        if fd is not None and point in ("after_send", "settled"):
            os.write(fd, f"{point} {message.key}\n".encode())

    app = create_app(settings, profile)

    async def hook(app: web.Application) -> None:
        app[RUNTIME].worker.checkpoint = checkpoint

    app.on_startup.append(hook)
    web.run_app(app, host=settings.host, port=settings.port, print=None, access_log=None)


if __name__ == "__main__":
    main()
