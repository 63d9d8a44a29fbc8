"""The aiohttp application: /api/messages (authenticated before the adapter), /healthz, /readyz."""

from __future__ import annotations

import asyncio
import json
import logging
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from botbuilder.core import InvokeResponse
from botbuilder.core.serializer_helper import serializer_helper
from botbuilder.integration.aiohttp import CloudAdapter
from botbuilder.schema import Activity
from botframework.connector.auth import (
    AuthenticateRequestResult,
    AuthenticationConstants,
    BotFrameworkAuthentication,
    ClaimsIdentity,
    ConnectorFactory,
)

from bot import activities
from bot.auth import AuthError, BotFrameworkTokenValidator, SigningKeyCache
from bot.credentials import BOT_FRAMEWORK_SCOPE, CachedConnectorFactory
from bot.graph import GraphClient, GraphClinicCalendar
from bot.handler import StepBot
from bot.line_managers import ConfiguredLineManagers, GraphLineManagers
from bot.outbox_metrics import CONTENT_TYPE, metrics_text, outbox_readiness
from bot.outbox_worker import OutboxWorker, worker_for
from bot.profile_files import with_closure_days
from bot.roles import RoleDirectory
from bot.settings import Settings
from dialogs.catalogue import build_router
from dialogs.housekeeping import Housekeeping, Retention
from dialogs.ports import ClinicCalendar, LineManagers
from dialogs.turn import Services
from dialogs.weekly_digest import ensure_next_digest
from domain.profiles import PolicyProfile
from domain.roles import Role
from storage.database import create_engine, ping, session_factory
from storage.uow import UnitOfWorkFactory

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 256 * 1024


def system_clock() -> datetime:
    return datetime.now(UTC)


class _OwnAuthentication(BotFrameworkAuthentication):  # type: ignore[misc]
    """The adapter's authentication: requests are authenticated before it, so it only hands out connectors."""

    def __init__(self, connectors: ConnectorFactory) -> None:
        self._connectors = connectors

    async def authenticate_request(self, activity: Activity, auth_header: str) -> AuthenticateRequestResult:
        raise PermissionError("requests are authenticated before the adapter")

    async def authenticate_streaming_request(self, auth_header: str, channel_id_header: str) -> Any:
        raise PermissionError("streaming is not supported")

    def create_connector_factory(self, claims_identity: ClaimsIdentity) -> ConnectorFactory:
        return self._connectors

    async def create_user_token_client(self, claims_identity: ClaimsIdentity) -> None:
        # The bot uses no user sign-in; skipping this saves a client per turn.
        return None


@dataclass
class Runtime:
    """Everything built at start-up, kept on the app for the handlers and the tests."""

    settings: Settings
    profile: PolicyProfile
    services: Services
    bot: StepBot
    adapter: CloudAdapter
    connectors: CachedConnectorFactory
    validator: BotFrameworkTokenValidator | None
    keys: SigningKeyCache | None
    worker: OutboxWorker
    http: aiohttp.ClientSession
    scheduler: AsyncIOScheduler | None
    engine: Any
    roles: RoleDirectory


RUNTIME = web.AppKey("runtime", Runtime)


def _bad_request(reason: str) -> web.Response:
    return web.json_response({"error": reason}, status=400)


# An activity is a few levels deep; a body nested deeper than this is not one (and would exhaust recursion).
MAX_DEPTH = 32


def _too_deep(body: Any, limit: int = MAX_DEPTH) -> bool:
    stack = [(body, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > limit:
            return True
        if isinstance(node, dict):
            stack.extend((v, depth + 1) for v in node.values())
        elif isinstance(node, list):
            stack.extend((v, depth + 1) for v in node)
    return False


def _check_request(request: web.Request) -> web.Response | None:
    if request.content_type != "application/json":
        return _bad_request("Content-Type must be application/json")
    if request.content_length is not None and request.content_length > MAX_BODY_BYTES:
        return web.json_response({"error": "body too large"}, status=413)
    return None


def _parse_activity(raw: bytes) -> Activity | web.Response:
    try:
        body = json.loads(raw)
    except (ValueError, UnicodeDecodeError, RecursionError):
        return _bad_request("body is not JSON")
    if not isinstance(body, dict):
        return _bad_request("body is not an activity")
    if _too_deep(body):
        return _bad_request("body is nested too deeply to be an activity")
    conversation = body.get("conversation")
    if not isinstance(conversation, dict) or not conversation.get("id"):
        return _bad_request("activity has no conversation")
    if not isinstance(body.get("serviceUrl"), str) or not body["serviceUrl"]:
        return _bad_request("activity has no serviceUrl")
    if not isinstance(body.get("type"), str) or not body["type"]:
        return _bad_request("activity has no type")
    try:
        activity = Activity().deserialize(body)
    except Exception:  # noqa: BLE001 - msrest raises assorted errors for a malformed activity
        return _bad_request("activity could not be read")
    return activity


async def messages(request: web.Request) -> web.StreamResponse:
    runtime = request.app[RUNTIME]
    settings = runtime.settings
    refused = _check_request(request)
    if refused is not None:
        return refused
    raw = await request.read()
    # The token first: without one, nobody gets the bot to parse a body.
    caller = None
    if runtime.validator is not None:
        try:
            caller = await runtime.validator.authenticate(request.headers.get("Authorization"))
        except AuthError as exc:
            log.info("refused a request: %s", exc)
            return web.json_response({"error": "unauthorized"}, status=401)
    read = _parse_activity(raw)
    if isinstance(read, web.Response):
        return read
    activity = read

    claims: dict[str, Any] = {}
    if runtime.validator is not None and caller is not None:
        try:
            runtime.validator.check_activity(
                caller, channel_id=activity.channel_id or "", service_url=activity.service_url
            )
        except AuthError as exc:
            log.info("refused a request: %s", exc)
            return web.json_response({"error": "unauthorized"}, status=401)
        claims = caller.claims

    if activity.channel_id != "msteams":
        return web.json_response({"error": "only Microsoft Teams is served"}, status=403)
    if not settings.tenant_allowed(activities.tenant_of(activity)):
        return web.json_response({"error": "tenant not allowed"}, status=403)

    auth = AuthenticateRequestResult()
    auth.audience = BOT_FRAMEWORK_SCOPE
    auth.claims_identity = ClaimsIdentity(
        claims
        or {
            AuthenticationConstants.AUDIENCE_CLAIM: settings.app_id,
            AuthenticationConstants.APP_ID_CLAIM: settings.app_id,
        },
        True,
    )
    auth.caller_id = "urn:botframework:azure"
    auth.connector_factory = runtime.connectors
    invoke: InvokeResponse | None = await runtime.adapter.process_activity(auth, activity, runtime.bot.on_turn)
    if invoke is not None:
        return web.json_response(data=serializer_helper(invoke.body), status=invoke.status)
    return web.Response(status=201)


async def healthz(_request: web.Request) -> web.Response:
    return web.json_response({"status": "ok"})


async def readyz(request: web.Request) -> web.Response:
    runtime = request.app[RUNTIME]
    database = await ping(runtime.engine)
    keys = runtime.keys is None or bool(runtime.keys.key_ids)
    body: dict[str, Any] = {"database": database, "signing_keys": keys}
    # Only a process that runs the tick can stall it: the outbox's state is reported beside it.
    ticking = runtime.scheduler is not None
    outbox, stalled = await outbox_readiness(runtime.worker, runtime.services.uow, ticking, database)
    if outbox is not None:
        body["outbox"] = outbox
    return web.json_response(body, status=200 if database and keys and not stalled else 503)


async def metrics(request: web.Request) -> web.Response:
    """Prometheus text: the outbox's tick, backlog, dead letters and 429s (counts and ages, no content)."""
    runtime = request.app[RUNTIME]
    text = await metrics_text(runtime.worker, runtime.services.uow, await ping(runtime.engine))
    return web.Response(body=text.encode(), headers={"Content-Type": CONTENT_TYPE})


async def _on_turn_error(context: Any, error: Exception) -> None:
    """Last resort for a failure outside a dialog (the handler guards dialogs itself)."""
    from botbuilder.core import CardFactory, MessageFactory

    from cards.common import render_apology

    correlation = uuid.uuid4().hex[:12]
    log.error(
        "turn failed outside a dialog",
        exc_info=(type(error), error, error.__traceback__),
        extra={"correlation_id": correlation},
    )
    if context.activity.type == "message":
        try:
            apology = CardFactory.adaptive_card(render_apology(correlation))
            await context.send_activity(MessageFactory.attachment(apology))
        except Exception:  # noqa: BLE001 - the apology itself failing must not raise again
            log.warning("could not send the apology", extra={"correlation_id": correlation})


def line_managers_for(settings: Settings, graph: GraphClient | None) -> LineManagers:
    """Graph's manager relationship when Graph is configured, else the teams in STEPBOT_TEAMS."""
    if graph is not None:
        return GraphLineManagers(graph, settings.role_cache_seconds, settings.directory_max_stale_seconds)
    return ConfiguredLineManagers(settings.teams)


def build_services(
    settings: Settings,
    profile: PolicyProfile,
    uow: UnitOfWorkFactory,
    capabilities: Any,
    roles: RoleDirectory,
    calendar: ClinicCalendar | None = None,
    line_managers: LineManagers | None = None,
) -> Services:
    return Services(
        uow=uow,
        profile=profile,
        local_mode=settings.local_mode,
        admin_contact=settings.admin_contact,
        channels=settings.channels(),
        admin_object_ids=tuple(roles.holders_of(Role.ADMINISTRATOR)),
        role_holders={role: tuple(roles.holders_of(role)) for role in Role},
        capabilities_for=capabilities,
        clinic_join_url=settings.clinic_join_url,
        front_door_phone=settings.front_door_phone,
        front_door_out_of_hours_phone=settings.front_door_out_of_hours_phone,
        calendar=calendar,
        line_managers=line_managers or ConfiguredLineManagers(settings.teams),
        digest_weekday=settings.digest_weekday,
        digest_time=settings.digest_time,
    )


# Database drivers that log each statement with its parameters (what a person typed) at DEBUG.
_CHATTY_DRIVERS = ("aiosqlite", "asyncpg")


def quiet_database_drivers() -> None:
    """Keep the drivers' statement logs off whatever level the bot logs at: parameters never reach a log."""
    for name in _CHATTY_DRIVERS:
        logging.getLogger(name).setLevel(logging.WARNING)


def create_app(
    settings: Settings,
    profile: PolicyProfile,
    *,
    clock: Callable[[], datetime] = system_clock,
    run_scheduler: bool = True,
) -> web.Application:
    """Build the app; start-up opens the database, fetches signing keys and starts the outbox tick."""
    problem = settings.startup_problem()
    if problem:
        raise RuntimeError(problem)
    quiet_database_drivers()
    # The council's own closure days count as non-working days in every clock.
    profile = with_closure_days(profile, settings.closure_dates)
    app = web.Application(client_max_size=MAX_BODY_BYTES)
    app.router.add_post("/api/messages", messages)
    app.router.add_get("/healthz", healthz)
    app.router.add_get("/readyz", readyz)
    app.router.add_get("/metrics", metrics)

    async def lifecycle(app: web.Application) -> Any:
        http = aiohttp.ClientSession()
        engine = create_engine(settings.database_url)
        uow = UnitOfWorkFactory(session_factory(engine))
        graph = GraphClient(settings, http) if settings.graph_enabled else None
        # The app's clock ages cached group memberships, so how long they are served is testable.
        roles = RoleDirectory(settings, graph, clock=lambda: clock().timestamp())
        router = build_router()
        calendar = GraphClinicCalendar(graph, settings.clinic_mailbox) if graph and settings.clinic_mailbox else None
        services = build_services(
            settings, profile, uow, router.capabilities_for, roles, calendar, line_managers_for(settings, graph)
        )
        connectors = CachedConnectorFactory(settings)
        adapter = CloudAdapter(_OwnAuthentication(connectors))
        adapter.on_turn_error = _on_turn_error
        bot = StepBot(services, router, roles, clock)
        keys: SigningKeyCache | None = None
        validator: BotFrameworkTokenValidator | None = None
        refresher: asyncio.Task[None] | None = None
        if settings.has_credentials:
            keys = SigningKeyCache(
                settings.openid_metadata_url,
                http,
                settings.http_timeout_seconds,
                settings.signing_keys_min_refresh_seconds,
            )
            await keys.refresh(force=True)
            validator = BotFrameworkTokenValidator(settings.app_id, keys)
            refresher = asyncio.create_task(keys.run_periodic_refresh())
        worker = worker_for(settings, services, connectors, roles, clock)
        async with services.uow() as work:
            # Every replica queues the same next digest (its key is its date): one posts it.
            await ensure_next_digest(work, services, clock())
        scheduler: AsyncIOScheduler | None = None
        if run_scheduler:
            scheduler = AsyncIOScheduler(timezone=settings.time_zone)
            scheduler.add_job(
                worker.tick, "interval", seconds=settings.outbox_tick_seconds, max_instances=1, coalesce=True
            )
            retention = Retention(
                processed_actions=timedelta(days=settings.processed_actions_retention_days),
                sent_outbox=timedelta(days=settings.sent_outbox_retention_days),
            )
            # Every replica purges: each delete is "older than", so a second one finds less to do.
            scheduler.add_job(
                Housekeeping(uow, clock, retention).tick,
                "interval",
                seconds=settings.purge_interval_seconds,
                max_instances=1,
                coalesce=True,
                id="purge",
            )
            scheduler.start()
        app[RUNTIME] = Runtime(
            settings=settings,
            profile=profile,
            services=services,
            bot=bot,
            adapter=adapter,
            connectors=connectors,
            validator=validator,
            keys=keys,
            worker=worker,
            http=http,
            scheduler=scheduler,
            engine=engine,
            roles=roles,
        )
        yield
        if scheduler is not None:
            scheduler.shutdown(wait=False)
        if refresher is not None:
            refresher.cancel()
        await connectors.close()
        await http.close()
        await engine.dispose()

    app.cleanup_ctx.append(lifecycle)
    return app
