"""Apply the Alembic migrations to a database URL (the `stepbot migrate` command and start-up)."""

from __future__ import annotations

import asyncio
from pathlib import Path

from alembic import command
from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
# The key of the PostgreSQL advisory lock that lets one migration run at a time (env.py takes it); any
# fixed number works, as long as nothing else in the database uses it.
MIGRATION_LOCK_KEY = 7_415_822_013


def alembic_config(url: str) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    # The config is a configparser, which reads "%" as interpolation: a percent-encoded password
    # ("s3cr%40t") must be written "%%"; env.py reads it back with get_main_option, which undoes that.
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def upgrade(url: str, revision: str = "head") -> None:
    """Blocking: call from a thread or before the event loop starts."""
    command.upgrade(alembic_config(url), revision)


async def upgrade_async(url: str, revision: str = "head") -> None:
    await asyncio.to_thread(upgrade, url, revision)
