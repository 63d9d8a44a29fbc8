"""`stepbot migrate` takes the URL as written, percent-encoding and all, and replicas migrating at once take turns."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import URL

from storage.database import create_engine
from storage.migrate import alembic_config, upgrade
from storage.tables import Base
from tests.storage.scratch_postgres import scratch_database, scratch_roles, unique_name, url_for

REPO = Path(__file__).resolve().parents[2]
REPLICAS = 6
HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()


async def _one_value(url: str, query: str) -> object:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return (await conn.execute(text(query))).scalar_one()
    finally:
        await engine.dispose()


def test_the_migration_config_gives_the_url_back_exactly_as_written() -> None:
    url = "postgresql+asyncpg://app:p%40ss%25w%3Ard@db:5432/stepbot?ssl=require"
    assert alembic_config(url).get_main_option("sqlalchemy.url") == url


async def test_a_percent_encoded_user_and_password_migrate_a_postgresql_database(postgres_server: URL) -> None:
    # This server may trust local connections without asking for the password, so the user name needs
    # encoding too: a URL read back wrongly then names no role, and the upgrade fails.
    role, password = unique_name("stepbot%mig"), "p@ss%w:rd"
    async with (
        scratch_roles(postgres_server, (role, password)),
        scratch_database(postgres_server, unique_name("stepbot_pct"), owner=role) as database,
    ):
        url = url_for(postgres_server, database, role, password)
        assert "%25" in url and "%40" in url and "%3A" in url
        await asyncio.to_thread(upgrade, url)
        assert await _one_value(url, "SELECT version_num FROM alembic_version") == HEAD
        owner = await _one_value(url, "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_events'")
        assert owner == role


async def test_replicas_migrating_one_fresh_database_at_once_all_succeed_and_leave_one_schema(
    postgres_server: URL,
) -> None:
    async with scratch_database(postgres_server, unique_name("stepbot_race")) as database:
        url = url_for(postgres_server, database)
        # Processes, as replicas are (Alembic's context is one per process): each imports everything
        # first, then they all start the upgrade at the same moment.
        start_at = time.time() + 4
        script = (
            "import sys, time; from storage.migrate import upgrade; "
            "time.sleep(max(0.0, float(sys.argv[2]) - time.time())); upgrade(sys.argv[1])"
        )
        replicas = [
            subprocess.Popen(
                [sys.executable, "-c", script, url, str(start_at)],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=REPO,
            )
            for _ in range(REPLICAS)
        ]
        errors = [replica.communicate(timeout=120)[1] for replica in replicas]
        failed = [(r.returncode, error[-600:]) for r, error in zip(replicas, errors, strict=True) if r.returncode]
        assert failed == []

        engine = create_engine(url)
        try:
            async with engine.connect() as conn:
                versions = list((await conn.execute(text("SELECT version_num FROM alembic_version"))).scalars())
                triggers = list(
                    (
                        await conn.execute(
                            text(
                                "SELECT tgname FROM pg_trigger WHERE tgrelid = 'audit_events'::regclass "
                                "AND NOT tgisinternal ORDER BY tgname"
                            )
                        )
                    ).scalars()
                )
                diff = await conn.run_sync(
                    lambda sync: compare_metadata(
                        MigrationContext.configure(sync, opts={"compare_type": True}), Base.metadata
                    )
                )
        finally:
            await engine.dispose()
        assert versions == [HEAD]
        assert triggers == ["audit_events_no_change", "audit_events_no_truncate"]
        assert diff == []
