"""The `stepbot` console: serve, migrate, check-config, package."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from pydantic import ValidationError
from pydantic_settings import SettingsError

from bot.profile_files import ProfileError, load_profile
from bot.settings import Settings

SECRET_FIELDS = {"app_password"}


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


def _mask(name: str, value: object) -> str:
    text = str(value)
    if name in SECRET_FIELDS or "password" in name or "secret" in name:
        return "(set, hidden)" if text else "(missing)"
    return text if text not in ("", "[]", "{}") else "(not set)"


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
    except ProfileError as exc:
        print(f"\nprofile problem: {exc}")
        status = 1
    problem = settings.startup_problem()
    if problem:
        print(f"would not start: {problem}")
        status = 1
    else:
        mode = "LOCAL MODE (unauthenticated, loopback only)" if not settings.has_credentials else "authenticated"
        print(f"would start: {mode} on {settings.host}:{settings.port}")
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
            f" Listening on {settings.host}:{settings.port} only. Everyone holds every role.\n"
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
    sub.add_parser("check-config", help="print the configuration, secrets masked")
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
    return check_config(settings)


if __name__ == "__main__":
    raise SystemExit(main())
