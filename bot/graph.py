"""A small Microsoft Graph client: app-only tokens from msal, aiohttp calls to a configurable base URL."""

from __future__ import annotations

import json as json_module
import logging
import ssl
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.credentials import AppTokenSource, TokenError, build_msal_app
from bot.settings import Settings

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphError(Exception):
    """Graph answered with an error or could not be reached."""


class GraphNotFound(GraphError):
    """Graph answered 404 Not Found."""


def ssl_context(ca_bundle: str) -> ssl.SSLContext | bool:
    if not ca_bundle:
        return True
    return ssl.create_default_context(cafile=ca_bundle)


class GraphClient:
    def __init__(self, settings: Settings, session: aiohttp.ClientSession) -> None:
        self._base = settings.graph_base_url.rstrip("/")
        self._session = session
        self._ssl = ssl_context(settings.ca_bundle)
        self._timeout = aiohttp.ClientTimeout(total=settings.http_timeout_seconds)
        tenant = settings.app_tenant_id or "organizations"
        self._tokens = AppTokenSource(lambda: build_msal_app(settings, tenant), GRAPH_SCOPE)

    async def request(self, method: str, path: str, json: Any = None, *, missing_ok: bool = False) -> Any:
        """The JSON Graph answers; None for no content (and, with `missing_ok`, for 404 Not Found).

        Raises only GraphError, whatever failed (the token, the network, TLS, a timeout, the status or the
        body), so a caller handles one exception and a Graph outage never escapes into a turn.
        """
        where = f"Graph {method} {path.split('?')[0]}"
        try:
            token = await self._tokens.token()
        except TokenError as exc:
            raise GraphError(f"{where}: no token ({exc})") from exc
        try:
            async with self._session.request(
                method,
                f"{self._base}{path}",
                json=json,
                headers={"Authorization": f"Bearer {token}"},
                ssl=self._ssl,
                timeout=self._timeout,
            ) as resp:
                if resp.status == 404:
                    if missing_ok:
                        return None
                    raise GraphNotFound(f"{where} answered 404")
                if resp.status >= 400:
                    raise GraphError(f"{where} answered {resp.status}")
                if resp.status in (202, 204):
                    return None
                # Read whatever the framing: Graph often answers chunked, with no Content-Length.
                raw = await resp.read()
        except GraphError:
            raise
        except Exception as exc:  # aiohttp, ssl and asyncio raise many kinds: each is a Graph failure
            raise GraphError(f"{where} unreachable: {type(exc).__name__}") from exc
        if not raw.strip():
            return None
        try:
            return json_module.loads(raw)
        except ValueError as exc:
            raise GraphError(f"{where} answered something that is not JSON") from exc

    async def request_object(
        self, method: str, path: str, json: Any = None, *, missing_ok: bool = False
    ) -> dict[str, Any]:
        """A JSON object from Graph ({} for 404 with `missing_ok`); any other answer is a GraphError."""
        try:
            body = await self.request(method, path, json)
        except GraphNotFound:
            if missing_ok:
                return {}
            raise
        if not isinstance(body, dict):
            raise GraphError(f"Graph {method} {path.split('?')[0]} answered an unexpected shape")
        return body

    async def user_address(self, object_id: str) -> str:
        body = await self.request_object("GET", f"/users/{object_id}?$select=mail,userPrincipalName")
        return str(body.get("mail") or body.get("userPrincipalName") or "")

    async def member_groups(self, object_id: str) -> set[str]:
        """Every group the user belongs to, directly or through nesting."""
        path = f"/users/{object_id}/getMemberGroups"
        body = await self.request_object("POST", path, {"securityEnabledOnly": False})
        groups = body.get("value")
        if not isinstance(groups, list) or not all(isinstance(g, str) for g in groups):
            raise GraphError(f"Graph POST {path} answered an unexpected shape")
        return set(groups)

    async def manager_of(self, object_id: str) -> str | None:
        """The person's line manager (Graph's manager relationship), or None when they have none."""
        body = await self.request_object("GET", f"/users/{object_id}/manager?$select=id", missing_ok=True)
        return str(body["id"]) if body.get("id") else None

    async def direct_reports(self, object_id: str, *, max_pages: int = 10) -> set[str]:
        """The people whose line manager this person is (following Graph's paging, within reason)."""
        found: set[str] = set()
        path: str | None = f"/users/{object_id}/directReports?$select=id"
        for _ in range(max_pages):
            if path is None:
                break
            body = await self.request_object("GET", path)
            items = body.get("value", [])
            if not isinstance(items, list):
                raise GraphError("Graph GET directReports answered an unexpected shape")
            found |= {str(item["id"]) for item in items if isinstance(item, dict) and item.get("id")}
            next_link = body.get("@odata.nextLink")
            path = str(next_link).removeprefix(self._base) if next_link else None
        return found


class GraphClinicCalendar:
    """Clinic bookings as Outlook events organised from the clinic's own mailbox (never the worker's)."""

    def __init__(self, graph: GraphClient, mailbox: str) -> None:
        self._graph = graph
        self._mailbox = mailbox

    async def create_event(
        self, *, attendee_object_id: str, subject: str, start: datetime, end: datetime, join_url: str
    ) -> str:
        address = await self._graph.user_address(attendee_object_id)
        if not address:
            raise GraphError("the worker has no mail address")
        content = "Step-down clinic booking made in Teams."
        if join_url:
            # The join link goes in the body: an event's onlineMeetingUrl is read-only in Graph.
            content += f"\nJoin the clinic: {join_url}"
        body: dict[str, Any] = {
            "subject": subject,
            "body": {"contentType": "text", "content": content},
            "start": {"dateTime": start.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "end": {"dateTime": end.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S"), "timeZone": "UTC"},
            "attendees": [{"emailAddress": {"address": address}, "type": "required"}],
            "location": {"displayName": "Microsoft Teams"},
            "isOnlineMeeting": False,
        }
        created = await self._graph.request_object("POST", f"/users/{self._mailbox}/events", body)
        if not created.get("id"):
            raise GraphError("Graph created an event without an id")
        return str(created["id"])

    async def cancel_event(self, event_id: str, *, comment: str) -> None:
        await self._graph.request("POST", f"/users/{self._mailbox}/events/{event_id}/cancel", {"comment": comment})
