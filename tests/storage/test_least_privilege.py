"""Two PostgreSQL roles: the migration role owns the schema, the application role can undo no audit event.

Each test makes its own roles and database on the tests' server, with names unique to the run, as an
administrator would (README, section 6), and drops them afterwards.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
import pytest
import trustme
from aiohttp.test_utils import TestServer
from sqlalchemy import text
from sqlalchemy.engine import URL
from sqlalchemy.exc import DBAPIError

from bot.app import RUNTIME, create_app
from bot.cli import main
from bot.profile_files import load_profile
from bot.settings import REPO_ROOT
from dialogs.housekeeping import Retention, purge_old_records
from storage.database import create_engine
from storage.migrate import upgrade
from storage.tables import Base
from tests.conftest import SOCIAL_WORKER, BotUnderTest, Clock, make_settings
from tests.harness.cardwalk import shown_text
from tests.harness.connector import FakeConnector
from tests.harness.driver import TeamsDriver
from tests.harness.entra import FakeEntraAndGraph
from tests.harness.tokens import TokenMinter
from tests.scenarios.booking_steps import book
from tests.storage.scratch_postgres import (
    quoted,
    run_as_server_admin,
    scratch_database,
    scratch_roles,
    unique_name,
    url_for,
)

WORKING_RIGHTS = {"SELECT", "INSERT", "UPDATE", "DELETE"}
EVERY_RIGHT = (*sorted(WORKING_RIGHTS), "TRUNCATE", "REFERENCES", "TRIGGER")


@dataclass(frozen=True)
class TwoRoles:
    owner: str
    app: str
    owner_url: str
    app_url: str


@asynccontextmanager
async def two_roles_on_a_migrated_database(server: URL) -> AsyncIterator[TwoRoles]:
    """The administrator's steps: two login roles, a database the migration role owns, then `stepbot migrate`."""
    owner, app = unique_name("stepbot_owner"), unique_name("stepbot_app")
    async with (
        scratch_roles(server, (owner, "owner-secret-not-real"), (app, "app-secret-not-real")),
        scratch_database(server, unique_name("stepbot_roles"), owner=owner) as database,
    ):
        await run_as_server_admin(
            server.set(database=database), f"REVOKE ALL ON DATABASE {quoted(database)} FROM PUBLIC"
        )
        roles = TwoRoles(
            owner=owner,
            app=app,
            owner_url=url_for(server, database, owner, "owner-secret-not-real"),
            app_url=url_for(server, database, app, "app-secret-not-real"),
        )
        await asyncio.to_thread(upgrade, roles.owner_url)
        yield roles


async def _grant(monkeypatch: pytest.MonkeyPatch, url: str, role: str) -> int:
    monkeypatch.setenv("DATABASE_URL", url)
    # main() runs its own event loop.
    return await asyncio.to_thread(main, ["grant", role])


async def _rights(url: str) -> dict[str, set[str]]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            rights: dict[str, set[str]] = {}
            for table in Base.metadata.sorted_tables:
                rights[table.name] = {
                    right
                    for right in EVERY_RIGHT
                    if (
                        await conn.execute(
                            text("SELECT has_table_privilege(current_user, :table, :right)"),
                            {"table": table.name, "right": right},
                        )
                    ).scalar_one()
                }
            return rights
    finally:
        await engine.dispose()


@asynccontextmanager
async def a_bot_on(
    url: str,
    openid: str,
    entra: FakeEntraAndGraph,
    connector: FakeConnector,
    minter: TokenMinter,
    ca_path: str,
) -> AsyncIterator[BotUnderTest]:
    connector.reset()
    entra.reset()
    settings = make_settings(url, openid, entra, ca_path)
    clock = Clock()
    app = create_app(settings, load_profile(REPO_ROOT / "profiles", settings.profile), clock=clock, run_scheduler=False)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    http = aiohttp.ClientSession()
    try:
        base = str(server.make_url("")).rstrip("/")
        yield BotUnderTest(base, app[RUNTIME], TeamsDriver(base, connector, minter, http), clock, connector)
    finally:
        await http.close()
        await server.close()


async def test_the_application_role_does_the_bots_work_and_can_only_read_and_add_audit_events(
    postgres_server: URL,
    monkeypatch: pytest.MonkeyPatch,
    openid: str,
    entra: FakeEntraAndGraph,
    connector: FakeConnector,
    minter: TokenMinter,
    test_ca: tuple[trustme.CA, str],
) -> None:
    async with two_roles_on_a_migrated_database(postgres_server) as roles:
        assert await _grant(monkeypatch, roles.owner_url, roles.app) == 0

        rights = await _rights(roles.app_url)
        assert rights.pop("audit_events") == {"SELECT", "INSERT"}
        assert rights and all(granted == WORKING_RIGHTS for granted in rights.values()), rights

        # The bot's normal work, connected as the application role: a booking (drafts, slots, bookings,
        # conversations, processed actions, the audit trail, the outbox), its delivery, and the purge.
        async with a_bot_on(roles.app_url, openid, entra, connector, minter, test_ca[1]) as bot:
            booked = await book(bot, SOCIAL_WORKER)
            assert "You're booked" in shown_text(booked)
            await bot.deliver()
            uow = bot.runtime.services.uow
            async with uow() as work:
                assert "booking.booked" in [e["action"] for e in await work.audit.for_record("booking", "1")]
                before = len(await work.audit.for_record("booking", "1"))
            later = bot.clock.now + timedelta(days=400)
            purged = await purge_old_records(uow, later, Retention(timedelta(days=1), timedelta(days=1)))
            assert purged.processed_actions > 0

            refused = (
                "UPDATE audit_events SET action = 'rewritten'",
                "DELETE FROM audit_events",
                "TRUNCATE audit_events",
                "DROP TRIGGER audit_events_no_change ON audit_events",
                "DROP TRIGGER audit_events_no_truncate ON audit_events",
                "ALTER TABLE audit_events DISABLE TRIGGER ALL",
                "ALTER TABLE audit_events ADD COLUMN note text",
                "DROP FUNCTION audit_events_append_only() CASCADE",
                "CREATE TABLE shadow_audit (id integer)",
            )
            for statement in refused:
                with pytest.raises(DBAPIError, match=r"permission denied|must be owner"):
                    async with uow() as work:
                        await work.session.execute(text(statement))
            async with uow() as work:
                assert len(await work.audit.for_record("booking", "1")) == before


async def test_grant_refuses_a_role_that_owns_the_tables_or_could_become_their_owner(
    postgres_server: URL, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    async with two_roles_on_a_migrated_database(postgres_server) as roles:
        assert await _grant(monkeypatch, roles.owner_url, roles.owner) == 2
        assert "connect as the role that ran `stepbot migrate`" in capsys.readouterr().err

        await run_as_server_admin(postgres_server, f"GRANT {quoted(roles.owner)} TO {quoted(roles.app)}")
        assert await _grant(monkeypatch, roles.owner_url, roles.app) == 2
        assert "could drop the audit trail's guards" in capsys.readouterr().err

        await run_as_server_admin(postgres_server, f"REVOKE {quoted(roles.owner)} FROM {quoted(roles.app)}")
        assert await _grant(monkeypatch, roles.owner_url, roles.app) == 0
