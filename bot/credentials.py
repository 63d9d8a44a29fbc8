"""Outbound credentials and connector clients: one of each per app id and audience, tokens fetched off the loop."""

from __future__ import annotations

import asyncio
import logging
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import msal
import requests
from botframework.connector.aio import ConnectorClient
from botframework.connector.auth import AppCredentials, ConnectorFactory
from botframework.connector.auth.authentication_constants import AuthenticationConstants

from bot.settings import Settings

log = logging.getLogger(__name__)

BOT_FRAMEWORK_SCOPE = AuthenticationConstants.TO_CHANNEL_FROM_BOT_OAUTH_SCOPE  # https://api.botframework.com
DEFAULT_AUTHORITY_HOST = "https://login.microsoftonline.com"
# Refresh a token this long before it expires, so a send never waits on Entra.
EARLY_REFRESH_SECONDS = 300
# A held token this close to its expiry is not handed to a send that may not fetch a new one.
USABLE_MARGIN_SECONDS = 30


class TokenError(Exception):
    """Entra would not give the bot a token."""


class _PinnedCASession(requests.Session):
    """A requests session that keeps our CA bundle even when REQUESTS_CA_BUNDLE says otherwise."""

    def __init__(self, ca_bundle: str, timeout: float) -> None:
        super().__init__()
        self._ca_bundle = ca_bundle
        self._timeout = timeout
        self.verify = ca_bundle

    def merge_environment_settings(self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any) -> Any:
        settings = super().merge_environment_settings(url, proxies, stream, verify, cert)
        settings["verify"] = self._ca_bundle
        return settings

    def request(self, *args: Any, **kwargs: Any) -> Any:  # type: ignore[override]
        kwargs.setdefault("timeout", self._timeout)
        return super().request(*args, **kwargs)


def build_msal_app(settings: Settings, tenant: str) -> msal.ConfidentialClientApplication:
    """One msal app (and token cache) per tenant authority; secret or certificate from settings.

    Blocking (msal discovers the tenant over HTTPS): call it off the event loop.
    """
    credential: Any
    if settings.app_certificate_path:
        credential = {
            "private_key": Path(settings.app_certificate_path).read_text(encoding="utf-8"),
            "thumbprint": settings.app_certificate_thumbprint,
        }
    else:
        credential = settings.app_password
    custom_host = settings.authority_host.rstrip("/") != DEFAULT_AUTHORITY_HOST
    return msal.ConfidentialClientApplication(
        client_id=settings.app_id,
        client_credential=credential,
        authority=f"{settings.authority_host.rstrip('/')}/{tenant}",
        # A custom host is a sovereign cloud or the tests' fake: never ask Microsoft to discover it.
        instance_discovery=not custom_host,
        http_client=(
            _PinnedCASession(settings.ca_bundle, settings.http_timeout_seconds) if settings.ca_bundle else None
        ),
        timeout=settings.http_timeout_seconds,
    )


class AppTokenSource:
    """Client-credential tokens for one scope; msal runs in a thread so the loop never blocks.

    Callers waiting at the same time share one request to Entra and its outcome, so an Entra that hangs
    costs each waiting turn one timeout, not one per turn queued ahead of it.
    """

    def __init__(self, make_app: Callable[[], msal.ConfidentialClientApplication], scope: str) -> None:
        self._make_app = make_app
        self._app: msal.ConfidentialClientApplication | None = None
        self._scopes = [scope if scope.endswith("/.default") else scope.rstrip("/") + "/.default"]
        self._token: str | None = None
        self._expires_at = 0.0
        self._pending: asyncio.Task[str] | None = None

    def _acquire_blocking(self) -> dict[str, Any]:
        if self._app is None:
            self._app = self._make_app()
        result: dict[str, Any] = self._app.acquire_token_for_client(scopes=self._scopes)
        return result

    async def _fetch(self) -> str:
        try:
            result = await asyncio.to_thread(self._acquire_blocking)
        except Exception as exc:  # msal and requests raise many kinds (no network, a bad answer): all mean no token
            raise TokenError(type(exc).__name__) from exc
        if "access_token" not in result:
            raise TokenError(str(result.get("error", "no token")))
        self._token = str(result["access_token"])
        self._expires_at = time.time() + float(result.get("expires_in", 3600))
        return self._token

    async def token(self) -> str:
        """A token for the scope, fetched from Entra when none is held or it is near its end; raises TokenError."""
        if self._token and time.time() < self._expires_at - EARLY_REFRESH_SECONDS:
            return self._token
        pending = self._pending
        if pending is None or pending.done():
            pending = self._pending = asyncio.create_task(self._fetch())
            # A waiter cancelled mid-fetch leaves the outcome unread: read it so asyncio does not warn.
            pending.add_done_callback(lambda task: task.cancelled() or task.exception())
        return await asyncio.shield(pending)

    @property
    def cached(self) -> str | None:
        return self._token

    @property
    def usable(self) -> bool:
        """A token is held and still valid for a send now (no call to Entra needed)."""
        return bool(self._token) and time.time() < self._expires_at - USABLE_MARGIN_SECONDS


class PrefetchedCredentials(AppCredentials):  # type: ignore[misc]
    """msrest credentials that hand out a token fetched beforehand, off the event loop."""

    def __init__(self, app_id: str, source: AppTokenSource | None) -> None:
        super().__init__(app_id=app_id, oauth_scope=BOT_FRAMEWORK_SCOPE)
        self._source = source

    async def prepare(self) -> None:
        """Fetch (or refresh) the token before a send; raises TokenError when Entra gives none."""
        if self._source is not None:
            await self._source.token()

    @property
    def ready(self) -> bool:
        """A send can go now without asking Entra (a valid token is held, or the bot has no credentials)."""
        return self._source is None or self._source.usable

    def get_access_token(self, force_refresh: bool = False) -> str:
        if self._source is None or self._source.cached is None:
            raise PermissionError("no bot token was fetched before the send")
        return self._source.cached

    def _should_set_token(self, session: Any) -> bool:
        return self._source is not None


async def prepare_send(client: Any, *, may_fetch: bool = True) -> None:
    """Make a connector client from CachedConnectorFactory ready to send: its token held and valid.

    With `may_fetch` False nothing asks Entra: without a valid token this raises TokenError at once.
    """
    credentials = getattr(getattr(client, "config", None), "credentials", None)
    if not isinstance(credentials, PrefetchedCredentials):
        return
    if may_fetch:
        await credentials.prepare()
    elif not credentials.ready:
        raise TokenError("no valid bot token held")


class CachedConnectorFactory(ConnectorFactory):  # type: ignore[misc]
    """Gives the adapter (and the outbox sender) one reused ConnectorClient per service URL and audience."""

    def __init__(self, settings: Settings) -> None:
        self._settings = settings
        self._credentials: dict[str, PrefetchedCredentials] = {}
        self._clients: dict[tuple[str, str], ConnectorClient] = {}
        self._msal_app: msal.ConfidentialClientApplication | None = None
        self._msal_lock = threading.Lock()

    def _shared_msal_app(self) -> msal.ConfidentialClientApplication:
        """One msal app for every bot-token audience (built in the token thread, once)."""
        with self._msal_lock:
            if self._msal_app is None:
                single = self._settings.app_type.value == "SingleTenant"
                tenant = self._settings.app_tenant_id if single else "botframework.com"
                self._msal_app = build_msal_app(self._settings, tenant)
            return self._msal_app

    def _credentials_for(self, audience: str) -> PrefetchedCredentials:
        creds = self._credentials.get(audience)
        if creds is None:
            source: AppTokenSource | None = None
            if self._settings.has_credentials:
                source = AppTokenSource(self._shared_msal_app, audience)
            creds = PrefetchedCredentials(self._settings.app_id, source)
            self._credentials[audience] = creds
        return creds

    async def create(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        """The client for a service URL, without fetching a token.

        The adapter calls this before every inbound turn, which must neither wait on Entra nor fail for a
        token it may never use: call `prepare_send` (or use `sending_client`) before sending with it.
        """
        audience = audience or BOT_FRAMEWORK_SCOPE
        creds = self._credentials_for(audience)
        key = (service_url, audience)
        client = self._clients.get(key)
        if client is None:
            client = ConnectorClient(creds, base_url=service_url)
            # The outbox owns retries; msrest's would retry behind its back and hide 429s.
            client.config.retry_policy.retries = 0
            # A few seconds, not msrest's 100: a send that hangs is retried by the outbox, not waited for.
            client.config.connection.timeout = min(
                self._settings.send_timeout_seconds, self._settings.http_timeout_seconds
            )
            if self._settings.ca_bundle:
                client.config.connection.verify = self._settings.ca_bundle
            self._clients[key] = client
        return client

    async def sending_client(self, service_url: str, audience: str | None = None) -> ConnectorClient:
        """The client for a service URL with its token fetched: for a send now (the outbox's)."""
        client = await self.create(service_url, audience)
        await prepare_send(client)
        return client

    async def close(self) -> None:
        for client in self._clients.values():
            try:
                await client.close()
            except Exception:
                log.debug("connector client close failed", exc_info=True)
        self._clients.clear()
