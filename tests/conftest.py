"""Shared fixtures: the fakes (started once), a migrated database per kind, and a bot per test."""

from __future__ import annotations

import asyncio
import logging
import os
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
import pytest
import trustme
from aiohttp.test_utils import TestServer
from hypothesis import settings as hypothesis_settings
from sqlalchemy import text

from bot.app import RUNTIME, Runtime, create_app
from bot.profile_files import load_profile
from bot.settings import REPO_ROOT, Settings
from domain.roles import Role
from storage.audit import drop_every_guard_ddl, every_guard_ddl
from storage.database import create_engine, session_factory
from storage.migrate import upgrade
from storage.tables import Base
from storage.uow import UnitOfWorkFactory
from tests.harness.connector import FakeConnector
from tests.harness.driver import TENANT, Chat, Person, TeamsDriver
from tests.harness.entra import FakeEntraAndGraph
from tests.harness.tokens import TokenMinter, openid_server

# Property tests must not fail on a slow or busy machine: no per-example deadline.
hypothesis_settings.register_profile("stepbot", deadline=None)
hypothesis_settings.load_profile("stepbot")

APP_ID = "11111111-1111-4111-8111-111111111111"
START = datetime(2026, 11, 25, 10, 0, tzinfo=UTC)

# The cast: invented people, initials only.
SOCIAL_WORKER = Person.make("S.W.")
COORDINATOR = Person.make("E.C.")
ADMIN = Person.make("A.D.")
NOBODY = Person.make("N.R.")
ASSESSMENT_WORKER = Person.make("A.T.")
EARLY_HELP_WORKER = Person.make("E.W.")
FRONT_DOOR_DECIDER = Person.make("F.D.")
TEAM_MANAGER = Person.make("T.M.")
SECOND_COORDINATOR = Person.make("E.C.2")
CHAIR = Person.make("M.C.")
OTHER_COORDINATOR = Person.make("E.C.3")  # a coordinator of another team's channel
OTHER_TEAM_MANAGER = Person.make("T.M.2")  # manages another field team
HEAD_OF_SERVICE = Person.make("H.S.")
EARLY_HELP_MANAGER = Person.make("E.M.")
# More invented social workers, for crowds at the clinic.
SOCIAL_WORKERS = [Person.make(f"S.{i}.") for i in range(60)]
COORDINATORS_CHANNEL = Chat.channel("coordinators")
FRONT_DOOR_CHANNEL = Chat.channel("front-door", team_id="19:team-front-door@thread.tacv2")
MANAGERS_CHANNEL = Chat.channel("managers", team_id="19:team-managers@thread.tacv2")


class Clock:
    """The time the app sees; tests move it on."""

    def __init__(self, start: datetime = START) -> None:
        self.now = start

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **kwargs: float) -> datetime:
        self.now += timedelta(**kwargs)
        return self.now


# -- the fakes, once per session ------------------------------------------------------------------
@pytest.fixture(scope="session")
def minter() -> TokenMinter:
    return TokenMinter(APP_ID)


@pytest.fixture(scope="session")
def openid(minter: TokenMinter) -> Iterator[str]:
    server = openid_server(minter).start()
    yield f"{server.base_url}/v1/.well-known/openidconfiguration"
    server.stop()


@pytest.fixture(scope="session")
def connector() -> Iterator[FakeConnector]:
    fake = FakeConnector()
    fake.server.start()
    yield fake
    fake.server.stop()


@pytest.fixture(scope="session")
def test_ca(tmp_path_factory: pytest.TempPathFactory) -> tuple[trustme.CA, str]:
    ca = trustme.CA()
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return ca, str(path)


@pytest.fixture(scope="session")
def entra(test_ca: tuple[trustme.CA, str]) -> Iterator[FakeEntraAndGraph]:
    fake = FakeEntraAndGraph(test_ca[0])
    fake.server.start()
    yield fake
    fake.server.stop()


# -- databases --------------------------------------------------------------------------------------
async def _drop_everything(url: str) -> None:
    engine = create_engine(url)
    async with engine.begin() as conn:
        await conn.run_sync(Base.metadata.drop_all)
        await conn.execute(text("DROP TABLE IF EXISTS alembic_version"))
    await engine.dispose()


def _postgres_url() -> str | None:
    url = os.environ.get("TEST_DATABASE_URL", "")
    return url if url.startswith("postgresql") else None


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A migrated database of each kind; PostgreSQL only where TEST_DATABASE_URL points at one."""
    if request.param == "sqlite":
        url = f"sqlite+aiosqlite:///{tmp_path_factory.mktemp('db') / 'stepbot.db'}"
    else:
        found = _postgres_url()
        if found is None:
            if os.environ.get("CI"):
                pytest.fail("CI needs PostgreSQL: set TEST_DATABASE_URL (.ci/run does)")
            pytest.skip("PostgreSQL tests need TEST_DATABASE_URL=postgresql+asyncpg://... (CI sets it)")
        url = found
        asyncio.run(_drop_everything(url))
    upgrade(url)
    return url


@pytest.fixture
async def clean_database(database_url: str) -> AsyncIterator[str]:
    engine = create_engine(database_url)
    async with engine.begin() as conn:
        dialect = conn.dialect.name
        # The audit trail's guards refuse to empty it: set them aside, in the same transaction.
        for statement in drop_every_guard_ddl(dialect):
            await conn.execute(text(statement))
        if dialect == "postgresql":
            names = ", ".join(t.name for t in Base.metadata.sorted_tables)
            await conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
        else:
            for table in reversed(Base.metadata.sorted_tables):
                await conn.execute(table.delete())
        for statement in every_guard_ddl(dialect):
            await conn.execute(text(statement))
    await engine.dispose()
    yield database_url


@pytest.fixture
async def uow(clean_database: str) -> AsyncIterator[UnitOfWorkFactory]:
    """A unit-of-work factory on a clean database of each kind, with no server."""
    engine = create_engine(clean_database)
    yield UnitOfWorkFactory(session_factory(engine))
    await engine.dispose()


# -- the bot under test ---------------------------------------------------------------------------------
@dataclass
class BotUnderTest:
    url: str
    runtime: Runtime
    driver: TeamsDriver
    clock: Clock
    connector: FakeConnector

    async def run_outbox(self) -> int:
        return await self.runtime.worker.run_once()

    async def deliver(self) -> list[Any]:
        """Run the outbox until nothing is due; what reached the connector meanwhile."""
        mark = self.connector.snapshot()
        for _ in range(50):
            if not await self.run_outbox():
                break
        return self.connector.since(mark)


def make_settings(database_url: str, openid: str, entra: FakeEntraAndGraph, ca_path: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "app_id": APP_ID,
        "app_password": "test-secret-not-real",
        "app_tenant_id": TENANT,
        "database_url": database_url,
        "openid_metadata_url": openid,
        "authority_host": entra.authority_host,
        "ca_bundle": ca_path,
        "allowed_tenants": [TENANT],
        "roles": {
            Role.SOCIAL_WORKER: [SOCIAL_WORKER.object_id, *(p.object_id for p in SOCIAL_WORKERS)],
            Role.ASSESSMENT_SOCIAL_WORKER: [ASSESSMENT_WORKER.object_id],
            Role.COORDINATOR: [COORDINATOR.object_id, SECOND_COORDINATOR.object_id, OTHER_COORDINATOR.object_id],
            Role.EARLY_HELP_WORKER: [EARLY_HELP_WORKER.object_id],
            Role.FRONT_DOOR: [FRONT_DOOR_DECIDER.object_id],
            Role.TEAM_MANAGER: [TEAM_MANAGER.object_id, OTHER_TEAM_MANAGER.object_id],
            Role.HEAD_OF_SERVICE: [HEAD_OF_SERVICE.object_id],
            Role.EARLY_HELP_TEAM_MANAGER: [EARLY_HELP_MANAGER.object_id],
            Role.MEETING_CHAIR: [CHAIR.object_id],
            Role.ADMINISTRATOR: [ADMIN.object_id],
        },
        # Line management without Graph: each team's managers manage its members.
        "teams": {
            "Field social work team": {"managers": [TEAM_MANAGER.object_id], "members": [SOCIAL_WORKER.object_id]},
            "Another field team": {
                "managers": [OTHER_TEAM_MANAGER.object_id],
                "members": [p.object_id for p in SOCIAL_WORKERS[:5]],
            },
        },
        "coordinators_channel_id": COORDINATORS_CHANNEL.id,
        "front_door_channel_id": FRONT_DOOR_CHANNEL.id,
        "front_door_phone": "01234 000000",
        "front_door_out_of_hours_phone": "01234 999999",
        "local_mode": False,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture
async def start_bot(
    clean_database: str,
    openid: str,
    entra: FakeEntraAndGraph,
    connector: FakeConnector,
    minter: TokenMinter,
    test_ca: tuple[trustme.CA, str],
) -> AsyncIterator[Any]:
    """Starts a bot with the test settings (overrides by keyword); stops every bot it started."""
    servers: list[TestServer] = []
    sessions: list[aiohttp.ClientSession] = []
    drivers: list[TeamsDriver] = []
    connector.reset()
    entra.reset()

    async def start(**overrides: Any) -> BotUnderTest:
        settings = make_settings(clean_database, openid, entra, test_ca[1], **overrides)
        profile = load_profile(REPO_ROOT / "profiles", settings.profile)
        clock = Clock()
        app = create_app(settings, profile, clock=clock, run_scheduler=False)
        server = TestServer(app, host="127.0.0.1")
        await server.start_server()
        servers.append(server)
        http = aiohttp.ClientSession()
        sessions.append(http)
        url = str(server.make_url("")).rstrip("/")
        driver = TeamsDriver(url, connector, minter if settings.has_credentials else None, http)
        drivers.append(driver)
        return BotUnderTest(url, app[RUNTIME], driver, clock, connector)

    yield start
    for http in sessions:
        await http.close()
    for server in servers:
        await server.close()
    SUITE_RECORD.posts.extend(connector.since(0))
    for driver in drivers:
        SUITE_RECORD.answers.extend(driver.answers)


@pytest.fixture
async def bot(start_bot: Any) -> BotUnderTest:
    started: BotUnderTest = await start_bot()
    return started


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Keep tests that share a database kind together, so each kind is set up once; the privacy scan of
    # everything the suite produced runs last.
    items.sort(key=lambda item: ("test_privacy_scan" in item.nodeid, "postgresql" in item.nodeid))


@dataclass
class SuiteRecord:
    """Everything the bot sent to the connector, every card it answered a click with, and every log line, across
    the whole run (for the scans of what people read)."""

    posts: list[Any]
    logs: list[str]
    answers: list[dict[str, Any]] = field(default_factory=list)


SUITE_RECORD = SuiteRecord(posts=[], logs=[])


class _KeepEveryLine(logging.Handler):
    def emit(self, record: logging.LogRecord) -> None:
        try:
            SUITE_RECORD.logs.append(self.format(record) + (record.exc_text or ""))
        except Exception:  # noqa: BLE001 - a log line that can't be formatted is one the scan can't read either
            SUITE_RECORD.logs.append(str(record.msg))


@pytest.fixture(scope="session", autouse=True)
def keep_every_log_line() -> Iterator[None]:
    handler = _KeepEveryLine(level=logging.DEBUG)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    level = root.level
    root.setLevel(logging.INFO)  # the bot's info lines too (refusals, outcomes), not only warnings
    root.addHandler(handler)
    yield
    root.removeHandler(handler)
    root.setLevel(level)
