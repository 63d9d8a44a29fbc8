"""Deployment configuration from environment variables (and an optional .env), validated by pydantic."""

from __future__ import annotations

import ipaddress
import re
from datetime import date, time
from enum import StrEnum
from pathlib import Path
from typing import Annotated

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from domain.retention import RetentionPeriods
from domain.roles import Role

REPO_ROOT = Path(__file__).resolve().parent.parent
BOT_FRAMEWORK_OPENID = "https://login.botframework.com/v1/.well-known/openidconfiguration"
# The Docker image writes this file. A file, not a variable: the env file that would switch local mode on
# could just as well override a variable, but it cannot remove a file from the image.
IMAGE_MARKER = Path("/etc/stepbot/container-image")


class TeamMembers(BaseModel):
    """One team of the configured line management: its managers and the people they manage (object ids)."""

    model_config = ConfigDict(extra="forbid")

    managers: list[str] = Field(min_length=1)
    members: list[str] = Field(default_factory=list)


class AppType(StrEnum):
    SINGLE_TENANT = "SingleTenant"
    MULTI_TENANT = "MultiTenant"


def _env(name: str) -> AliasChoices:
    return AliasChoices(name, name.lower())


class Settings(BaseSettings):
    """Every variable is documented in README.md; `stepbot check-config` prints them, secrets masked."""

    model_config = SettingsConfigDict(env_file=".env", extra="ignore", populate_by_name=True)

    # The bot's Entra app registration.
    app_id: str = Field("", validation_alias=_env("MICROSOFT_APP_ID"))
    app_password: str = Field("", validation_alias=_env("MICROSOFT_APP_PASSWORD"), repr=False)
    app_certificate_path: str = Field("", validation_alias=_env("MICROSOFT_APP_CERTIFICATE_PATH"))
    app_certificate_thumbprint: str = Field("", validation_alias=_env("MICROSOFT_APP_CERTIFICATE_THUMBPRINT"))
    app_tenant_id: str = Field("", validation_alias=_env("MICROSOFT_APP_TENANT_ID"))
    app_type: AppType = Field(AppType.SINGLE_TENANT, validation_alias=_env("MICROSOFT_APP_TYPE"))

    database_url: str = Field("sqlite+aiosqlite:///./data/stepbot.db", validation_alias=_env("DATABASE_URL"))

    # Serving.
    local_mode: bool = Field(False, validation_alias=_env("STEPBOT_LOCAL_MODE"))
    host: str = Field("127.0.0.1", validation_alias=_env("STEPBOT_HOST"))
    port: int = Field(3978, ge=1, le=65535, validation_alias=_env("STEPBOT_PORT"))
    log_level: str = Field("INFO", validation_alias=_env("STEPBOT_LOG_LEVEL"))
    migrate_on_start: bool = Field(False, validation_alias=_env("STEPBOT_MIGRATE_ON_START"))

    # Who may talk to the bot.
    # NoDecode: a comma-separated list, not JSON.
    allowed_tenants: Annotated[list[str], NoDecode] = Field(
        default_factory=list, validation_alias=_env("STEPBOT_ALLOWED_TENANTS")
    )
    roles: dict[Role, list[str]] = Field(default_factory=dict, validation_alias=_env("STEPBOT_ROLES"))
    role_cache_seconds: int = Field(300, ge=0, validation_alias=_env("STEPBOT_ROLE_CACHE_SECONDS"))
    # Line management, where Graph is not used: {"Field team A": {"managers": [...], "members": [...]}}.
    teams: dict[str, TeamMembers] = Field(default_factory=dict, validation_alias=_env("STEPBOT_TEAMS"))
    # How long a directory answer (line managers) may be served from cache while Graph cannot be reached.
    directory_max_stale_seconds: int = Field(
        3600, ge=0, le=7 * 86400, validation_alias=_env("STEPBOT_DIRECTORY_MAX_STALE_SECONDS")
    )
    admin_contact: str = Field(
        "Ask your administrator to give you a role in the bot.", validation_alias=_env("STEPBOT_ADMIN_CONTACT")
    )

    # Where the bot posts.
    coordinators_channel_id: str = Field("", validation_alias=_env("STEPBOT_COORDINATORS_CHANNEL_ID"))
    front_door_channel_id: str = Field("", validation_alias=_env("STEPBOT_FRONT_DOOR_CHANNEL_ID"))
    managers_channel_id: str = Field("", validation_alias=_env("STEPBOT_MANAGERS_CHANNEL_ID"))
    admins_channel_id: str = Field("", validation_alias=_env("STEPBOT_ADMINS_CHANNEL_ID"))

    # The step-down clinic (Redcar): its Teams meeting link, and the mailbox its Outlook events come from.
    clinic_join_url: str = Field("", validation_alias=_env("STEPBOT_CLINIC_JOIN_URL"))
    clinic_mailbox: str = Field("", validation_alias=_env("STEPBOT_CLINIC_MAILBOX"))

    # The front door's numbers, shown before anything else on a step-up form.
    front_door_phone: str = Field("", validation_alias=_env("STEPBOT_FRONT_DOOR_PHONE"))
    front_door_out_of_hours_phone: str = Field("", validation_alias=_env("STEPBOT_FRONT_DOOR_OUT_OF_HOURS_PHONE"))
    # Channels named by a profile for step across / co-work services: JSON {"leaving_care": "19:..."}.
    extra_channels: dict[str, str] = Field(default_factory=dict, validation_alias=_env("STEPBOT_EXTRA_CHANNELS"))

    # Policy.
    time_zone: str = Field("Europe/London", validation_alias=_env("STEPBOT_TIME_ZONE"))
    profile: str = Field("redcar", validation_alias=_env("STEPBOT_PROFILE"))
    profiles_dir: Path = Field(REPO_ROOT / "profiles", validation_alias=_env("STEPBOT_PROFILES_DIR"))
    # The council's own closure days, not working days for any deadline: "2026-12-29,2026-12-30" (ISO dates).
    closure_days: str = Field("", validation_alias=_env("STEPBOT_CLOSURE_DAYS"))

    # Microsoft endpoints (overridden only by the tests' local fakes or a sovereign cloud).
    openid_metadata_url: str = Field(BOT_FRAMEWORK_OPENID, validation_alias=_env("STEPBOT_OPENID_METADATA_URL"))
    authority_host: str = Field("https://login.microsoftonline.com", validation_alias=_env("STEPBOT_AUTHORITY_HOST"))
    graph_base_url: str = Field("", validation_alias=_env("STEPBOT_GRAPH_BASE_URL"))
    ca_bundle: str = Field("", validation_alias=_env("STEPBOT_CA_BUNDLE"))

    signing_keys_min_refresh_seconds: float = Field(
        30.0, ge=0, le=3600, validation_alias=_env("STEPBOT_SIGNING_KEYS_MIN_REFRESH_SECONDS")
    )

    # Outbound behaviour.
    http_timeout_seconds: float = Field(10.0, gt=0, le=120, validation_alias=_env("STEPBOT_HTTP_TIMEOUT_SECONDS"))
    outbox_tick_seconds: float = Field(5.0, gt=0, le=3600, validation_alias=_env("STEPBOT_OUTBOX_TICK_SECONDS"))
    outbox_batch: int = Field(50, ge=1, le=1000, validation_alias=_env("STEPBOT_OUTBOX_BATCH"))
    # How long a claimed row is this worker's before another may take it (renewed while it is still sending).
    outbox_lease_seconds: float = Field(120.0, ge=1, le=3600, validation_alias=_env("STEPBOT_OUTBOX_LEASE_SECONDS"))
    # The Bot Connector's own timeout (at most STEPBOT_HTTP_TIMEOUT_SECONDS): a send that hangs is retried.
    send_timeout_seconds: float = Field(5.0, gt=0, le=120, validation_alias=_env("STEPBOT_SEND_TIMEOUT_SECONDS"))
    # This process's share of Teams' 50 requests a second per tenant (divide it among the replicas).
    pace_tenant_per_second: int = Field(50, ge=1, le=50, validation_alias=_env("STEPBOT_PACE_TENANT_PER_SECOND"))
    # Names this process's claims in the outbox (and its logs); empty: the host, the pid and a random part.
    worker_id: str = Field("", max_length=100, validation_alias=_env("STEPBOT_WORKER_ID"))
    # The managers' weekly digest: the day (Monday is 0) and local time it goes to the managers' channel.
    digest_weekday: int = Field(0, ge=0, le=6, validation_alias=_env("STEPBOT_DIGEST_WEEKDAY"))
    digest_time: time = Field(time(9, 0), validation_alias=_env("STEPBOT_DIGEST_TIME"))

    # Retention: how long what only serves a repeat or a delivery is kept (expired drafts go at once).
    purge_interval_seconds: float = Field(
        3600.0, gt=0, le=86400, validation_alias=_env("STEPBOT_PURGE_INTERVAL_SECONDS")
    )
    processed_actions_retention_days: int = Field(
        30, ge=1, le=3650, validation_alias=_env("STEPBOT_PROCESSED_ACTIONS_RETENTION_DAYS")
    )
    sent_outbox_retention_days: int = Field(
        30, ge=1, le=3650, validation_alias=_env("STEPBOT_SENT_OUTBOX_RETENTION_DAYS")
    )
    # Retention of case records, for `stepbot purge`: JSON {"transfers": "P6Y", "bookings": "P6Y",
    # "audit_events": "P7Y", "outbox": "P1Y"}, each an ISO 8601 duration or a number of days.
    retention: RetentionPeriods = Field(default_factory=RetentionPeriods, validation_alias=_env("STEPBOT_RETENTION"))

    @field_validator("allowed_tenants", mode="before")
    @classmethod
    def _split_tenants(cls, value: object) -> object:
        if isinstance(value, str):
            return [t.strip() for t in value.split(",") if t.strip()]
        return value

    @field_validator("closure_days")
    @classmethod
    def _iso_dates(cls, value: str) -> str:
        days: list[date] = []
        for part in (p.strip() for p in value.split(",")):
            if not part:
                continue
            try:
                # fromisoformat alone also takes "20261229" and week dates: only the documented form is read.
                if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", part):
                    raise ValueError(part)
                days.append(date.fromisoformat(part))
            except ValueError:
                raise ValueError(f"not a date written YYYY-MM-DD: {part!r}") from None
        # Kept as text (sorted, without repeats) so check-config shows what was read.
        return ",".join(d.isoformat() for d in sorted(set(days)))

    @property
    def closure_dates(self) -> frozenset[date]:
        return frozenset(date.fromisoformat(d) for d in self.closure_days.split(",") if d)

    @model_validator(mode="after")
    def _credentials_make_sense(self) -> Settings:
        if self.app_id and not (self.app_password or self.app_certificate_path):
            raise ValueError("MICROSOFT_APP_ID is set but neither MICROSOFT_APP_PASSWORD nor a certificate is")
        if self.app_certificate_path and not self.app_certificate_thumbprint:
            raise ValueError("MICROSOFT_APP_CERTIFICATE_PATH needs MICROSOFT_APP_CERTIFICATE_THUMBPRINT")
        if self.app_id and self.app_type is AppType.SINGLE_TENANT and not self.app_tenant_id:
            raise ValueError("a SingleTenant bot needs MICROSOFT_APP_TENANT_ID")
        return self

    @property
    def has_credentials(self) -> bool:
        return bool(self.app_id)

    @property
    def graph_enabled(self) -> bool:
        return bool(self.graph_base_url and self.app_id)

    @property
    def binds_loopback_only(self) -> bool:
        if self.host == "localhost":
            return True
        try:
            return ipaddress.ip_address(self.host).is_loopback
        except ValueError:
            return False

    @property
    def credential_variables(self) -> list[str]:
        """The credential variables that are set."""
        values = {
            "MICROSOFT_APP_ID": self.app_id,
            "MICROSOFT_APP_PASSWORD": self.app_password,
            "MICROSOFT_APP_CERTIFICATE_PATH": self.app_certificate_path,
        }
        return [name for name, value in values.items() if value]

    def startup_problem(self) -> str | None:
        """Why the service must not start as configured, or None.

        Local mode gives everyone without a role every role and lets every tenant in, so it runs only where
        nobody else can reach it and nothing real is at stake: on loopback, without credentials, never in
        the Docker image.
        """
        if self.local_mode:
            if IMAGE_MARKER.exists():
                return (
                    "STEPBOT_LOCAL_MODE=true, but this is the Docker image, which never runs in local mode: "
                    "set STEPBOT_LOCAL_MODE=false and the bot's credentials (MICROSOFT_APP_ID and "
                    "MICROSOFT_APP_PASSWORD or a certificate)"
                )
            credentials = self.credential_variables
            if credentials:
                names = ", ".join(credentials)
                return (
                    f"STEPBOT_LOCAL_MODE=true with {names} set: local mode runs only without credentials. "
                    f"Set STEPBOT_LOCAL_MODE=false to run authenticated, or unset {names} to try the bot locally"
                )
            if not self.binds_loopback_only:
                return (
                    f"local mode runs on a loopback address only, not {self.host}: set STEPBOT_HOST=127.0.0.1, "
                    "or set the bot's credentials and STEPBOT_LOCAL_MODE=false"
                )
            return None
        if not self.has_credentials:
            return (
                "no MICROSOFT_APP_ID: set the bot's credentials, or STEPBOT_LOCAL_MODE=true "
                "to run unauthenticated on 127.0.0.1"
            )
        return None

    def channels(self) -> dict[str, str]:
        named = {
            "coordinators": self.coordinators_channel_id,
            "front_door": self.front_door_channel_id,
            "managers": self.managers_channel_id,
            "admins": self.admins_channel_id,
        }
        return {**{k: v for k, v in self.extra_channels.items() if v}, **{k: v for k, v in named.items() if v}}

    def tenant_allowed(self, tenant_id: str | None) -> bool:
        """Fail closed: outside local mode an empty allow-list lets nobody in."""
        if not self.allowed_tenants:
            return self.local_mode
        return bool(tenant_id) and tenant_id in self.allowed_tenants
