"""The `stepbot` console: serve, migrate, grant, check-config, package, dead-letters, export, purge."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlsplit

from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot.profile_files import ProfileError, load_profile
from bot.settings import Settings
from domain.directions import Direction

if TYPE_CHECKING:
    from dialogs.retention import PurgeReport

SECRET_FIELDS = {"app_password"}
# A Teams join link lets whoever holds it into the meeting: only its host is shown.
BEARER_URL_FIELDS = {"clinic_join_url"}
HIDDEN = "***"


def _settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        for err in exc.errors():
            where = ".".join(str(p) for p in err["loc"]) or "settings"
            print(f"configuration error: {where}: {err['msg']}", file=sys.stderr)
        raise SystemExit(2) from exc
    except SettingsError as exc:
        # e.g. STEPBOT_ROLES that is not valid JSON
        print(f"configuration error: {exc}", file=sys.stderr)
        raise SystemExit(2) from exc


def mask_url(text: str) -> str:
    """The URL without what could let someone in: a password in its userinfo, its query values, its fragment."""
    try:
        parts = urlsplit(text)
    except ValueError:  # e.g. an unclosed IPv6 bracket: nothing in it is shown
        return "(set, hidden: not a valid URL)"
    userinfo, at, hostport = parts.netloc.rpartition("@")
    netloc = parts.netloc
    if at:
        user, colon, _password = userinfo.partition(":")
        netloc = f"{user}:{HIDDEN}@{hostport}" if colon else f"{user}@{hostport}"
    # A piece without "=" may be a bare token: hidden whole.
    pieces = [piece.partition("=") for piece in parts.query.split("&") if piece]
    query = "&".join(f"{key}={HIDDEN}" if equals else HIDDEN for key, equals, _ in pieces)
    # Put together by hand: urlunsplit drops the "//" of a URL with no host (sqlite:///file.db).
    masked = f"{parts.scheme}://{netloc}{parts.path}"
    return masked + (f"?{query}" if query else "") + (f"#{HIDDEN}" if parts.fragment else "")


def _mask(name: str, value: object) -> str:
    text = str(value)
    if name in SECRET_FIELDS or "password" in name or "secret" in name:
        return "(set, hidden)" if text else "(missing)"
    if text in ("", "[]", "{}"):
        return "(not set)"
    if name in BEARER_URL_FIELDS:
        try:
            host = urlsplit(text).hostname if "://" in text else None
        except ValueError:
            host = None
        return f"(set, hidden: a link to {host})" if host else "(set, hidden)"
    return mask_url(text) if "://" in text else text


def check_config(settings: Settings) -> int:
    """Print what is set and what is missing, secrets masked; non-zero when the service would not start."""
    status = 0
    for name, field in Settings.model_fields.items():
        alias = field.validation_alias
        env = alias.choices[0] if alias is not None and hasattr(alias, "choices") else name.upper()
        print(f"{env:40} {_mask(name, getattr(settings, name))}")
    try:
        profile = load_profile(settings.profiles_dir, settings.profile)
        print(f"\nprofile: {profile.key} ({profile.authority}) is valid")
        unset = [
            env
            for env, value in (
                ("STEPBOT_FRONT_DOOR_PHONE", settings.front_door_phone),
                ("STEPBOT_FRONT_DOOR_OUT_OF_HOURS_PHONE", settings.front_door_out_of_hours_phone),
            )
            if not value
        ]
        if unset and profile.transfers.to_services.get(Direction.STEP_UP):
            print(
                f"warning: {' and '.join(unset)} not set: the step-up form's urgent-concern warning cannot give "
                f"the {profile.labels.front_door}'s numbers, and tells people to ask their manager"
            )
    except ProfileError as exc:
        print(f"\nprofile problem: {exc}")
        status = 1
    problem = settings.startup_problem()
    if problem:
        print(f"would not start: {problem}")
        status = 1
    else:
        mode = "LOCAL MODE (unauthenticated, loopback only)" if settings.local_mode else "authenticated"
        print(f"would start: {mode} on {settings.host}:{settings.port}")
        if settings.local_mode:
            print(
                "warning: local mode gives everyone without a configured role every role, and lets every "
                "tenant in when STEPBOT_ALLOWED_TENANTS is empty: for development on this machine only"
            )
    if not settings.allowed_tenants and not settings.local_mode:
        print("warning: STEPBOT_ALLOWED_TENANTS is empty: every tenant is refused")
    return status


def serve(settings: Settings) -> int:
    from aiohttp import web

    from bot.app import create_app
    from storage.migrate import upgrade

    try:
        profile = load_profile(settings.profiles_dir, settings.profile)
    except ProfileError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        return 2
    problem = settings.startup_problem()
    if problem:
        print(f"cannot start: {problem}", file=sys.stderr)
        return 2
    if settings.migrate_on_start:
        upgrade(settings.database_url)
    if not settings.has_credentials:
        banner = "!" * 72
        print(
            f"{banner}\n LOCAL MODE: no credentials, Bot Framework authentication is OFF.\n"
            f" Listening on {settings.host}:{settings.port} only. Anyone without a configured role holds every role.\n"
            f" Try it with the Microsoft 365 Agents Playground (see README).\n{banner}",
            file=sys.stderr,
        )
    web.run_app(create_app(settings, profile), host=settings.host, port=settings.port, print=None)
    return 0


def migrate(settings: Settings) -> int:
    from storage.migrate import upgrade

    if settings.database_url.startswith("sqlite"):
        path = settings.database_url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
    upgrade(settings.database_url)
    print("database is at the latest migration")
    return 0


def grant(settings: Settings, app_role: str) -> int:
    """Run as the migration role, after each `stepbot migrate`: the application role's least privileges."""
    import asyncio

    from sqlalchemy.exc import DBAPIError

    from storage.privileges import GrantRefused, grant_application_role

    try:
        statements = asyncio.run(grant_application_role(settings.database_url, app_role))
    except GrantRefused as exc:
        print(f"cannot grant: {exc}", file=sys.stderr)
        return 2
    except DBAPIError as exc:
        print(
            f"cannot grant: {exc.orig}: DATABASE_URL must name the role that ran `stepbot migrate`",
            file=sys.stderr,
        )
        return 2
    for statement in statements:
        print(f"{statement};")
    print(f"{app_role} may read and add to the audit trail, and use the other tables; it owns nothing")
    return 0


def dead_letters(settings: Settings, action: str, outbox_id: int | None) -> int:
    """`stepbot dead-letters list|retry ID|drop ID`: what the bot gave up on (never what it carried)."""
    import asyncio
    from datetime import UTC, datetime

    from dialogs.dead_letters import console_list, console_settle
    from storage.database import create_engine, session_factory
    from storage.uow import UnitOfWorkFactory

    async def run() -> int:
        engine = create_engine(settings.database_url)
        try:
            uow = UnitOfWorkFactory(session_factory(engine))
            if action == "list":
                letters = await console_list(uow)
                for d in letters:
                    died = d.dead_at.isoformat() if d.dead_at else "-"
                    print(
                        f"{d.id}\t{d.kind.value}\tdue {d.due_at.isoformat()}\tdead {died}\t{d.attempts} tries\t"
                        f"{d.error_class}\t{d.error} {d.error_code}".rstrip()
                    )
                print(f"{len(letters)} dead letters")
                return 0
            if outbox_id is None:
                print(f"say which: stepbot dead-letters {action} ID", file=sys.stderr)
                return 2
            if not await console_settle(uow, outbox_id, datetime.now(UTC), send=action == "retry"):
                print(f"no dead letter {outbox_id}", file=sys.stderr)
                return 1
            print(f"dead letter {outbox_id} " + ("sent again" if action == "retry" else "dropped"))
            return 0
        finally:
            await engine.dispose()

    return asyncio.run(run())


def _console_user() -> str:
    import getpass

    try:
        return getpass.getuser()
    except (KeyError, OSError):  # no login name in some containers
        return "unknown"


def export(settings: Settings, reference: str, out: Path) -> int:
    """`stepbot export REF --out DIR`: the case's record as JSON and a PDF summary; audited; nothing for an
    unknown reference."""
    import asyncio
    from datetime import UTC, datetime

    from bot.case_export import export_files
    from dialogs.case_export import load_case_record, record_export
    from domain.working_days import WorkingCalendar
    from storage.database import create_engine, session_factory
    from storage.uow import UnitOfWorkFactory

    try:
        profile = load_profile(settings.profiles_dir, settings.profile)
    except ProfileError as exc:
        print(f"cannot export: {exc}", file=sys.stderr)
        return 2
    wanted = reference.strip().upper()
    calendar = WorkingCalendar.from_profile(profile.working)

    async def run() -> list[Path] | None:
        engine = create_engine(settings.database_url)
        written: list[Path] = []
        try:
            now = datetime.now(UTC)
            async with UnitOfWorkFactory(session_factory(engine))() as uow:
                record = await load_case_record(uow, wanted)
                if record is None:
                    return None
                written = export_files(record, out, profile=profile, calendar=calendar, exported_at=now)
                await record_export(uow, record, who=_console_user(), files=[p.name for p in written], now=now)
            return written
        except BaseException:
            for path in written:  # not audited, so not kept
                path.unlink(missing_ok=True)
            raise
        finally:
            await engine.dispose()

    paths = asyncio.run(run())
    if paths is None:
        print(
            f"no case {wanted}: the bot holds no request or booking with that reference; nothing was written",
            file=sys.stderr,
        )
        return 1
    for path in paths:
        print(f"wrote {path}")
    print(f"export of {wanted} recorded in the audit trail")
    return 0


def purge(settings: Settings, dry_run: bool) -> int:
    """`stepbot purge [--dry-run]`: remove what has passed its retention period; print the counts."""
    import asyncio
    from datetime import UTC, datetime

    from dialogs.retention import COUNTED, purge_expired
    from storage.database import create_engine, session_factory
    from storage.uow import UnitOfWorkFactory

    async def run() -> PurgeReport:
        engine = create_engine(settings.database_url)
        try:
            uow = UnitOfWorkFactory(session_factory(engine))
            return await purge_expired(uow, settings.retention, datetime.now(UTC), dry_run=dry_run)
        finally:
            await engine.dispose()

    report = asyncio.run(run())
    periods = settings.retention
    print(
        f"retention: requests {periods.transfers}, bookings {periods.bookings}, audit events {periods.audit_events}, "
        f"outbox {periods.outbox}, counted from each case's closure"
    )
    print("dry run: nothing was written; this would be removed:" if dry_run else "removed:")
    for name in COUNTED:
        print(f"  {name:32} {report.counts.get(name, 0)}")
    if report.audit_kept:
        print(f"warning: {report.audit_kept}", file=sys.stderr)
        return 3
    return 0


def package(app_id: str, output: str) -> int:
    """Needs only the app id (from --app-id or MICROSOFT_APP_ID), not the whole configuration."""
    from bot.package import build_package

    try:
        path = build_package(Path(output), app_id=app_id)
    except ValueError as exc:
        print(f"cannot build the package: {exc}", file=sys.stderr)
        return 2
    print(f"wrote {path}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="stepbot", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("serve", help="start the bot")
    sub.add_parser("migrate", help="apply database migrations")
    grants = sub.add_parser("grant", help="give the application's PostgreSQL role its least privileges")
    grants.add_argument("role", help="the role `stepbot serve` connects as (DATABASE_URL names the owner here)")
    sub.add_parser("check-config", help="print the configuration, secrets masked")
    letters = sub.add_parser("dead-letters", help="list the messages the bot gave up on; send one again or drop it")
    letters.add_argument("action", choices=["list", "retry", "drop"])
    letters.add_argument("id", nargs="?", type=int, help="the dead letter's id (from list), for retry and drop")
    exporting = sub.add_parser("export", help="write a case's record and audit trail as JSON and a PDF summary")
    exporting.add_argument("reference", help="the case reference, e.g. DEMO-0001")
    exporting.add_argument("--out", default="exports", type=Path, help="the directory to write to (./exports)")
    purging = sub.add_parser("purge", help="remove the case records past their retention period (STEPBOT_RETENTION)")
    purging.add_argument("--dry-run", action="store_true", help="count what would go, write nothing")
    pkg = sub.add_parser("package", help="build the Teams app package (app.zip)")
    pkg.add_argument("--output", default="app.zip")
    pkg.add_argument("--app-id", default=None, help="defaults to MICROSOFT_APP_ID")
    args = parser.parse_args(argv)
    if args.command == "package":
        return package(args.app_id or os.environ.get("MICROSOFT_APP_ID", ""), args.output)
    settings = _settings()
    logging.basicConfig(level=settings.log_level.upper(), format="%(asctime)s %(levelname)s %(name)s %(message)s")
    # The scheduler logs every tick at INFO: keep it to warnings whatever the bot's level.
    logging.getLogger("apscheduler").setLevel(max(logging.WARNING, logging.getLogger().level))
    if args.command == "serve":
        return serve(settings)
    if args.command == "migrate":
        return migrate(settings)
    if args.command == "grant":
        return grant(settings, args.role)
    if args.command == "dead-letters":
        return dead_letters(settings, args.action, args.id)
    if args.command == "export":
        return export(settings, args.reference, args.out)
    if args.command == "purge":
        return purge(settings, args.dry_run)
    return check_config(settings)


if __name__ == "__main__":
    raise SystemExit(main())
