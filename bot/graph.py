"""A small Microsoft Graph client: app-only tokens from msal, aiohttp calls to a configurable base URL."""

from __future__ import annotations

import logging
import ssl
from datetime import UTC, datetime
from typing import Any

import aiohttp

from bot.credentials import AppTokenSource, build_msal_app
from bot.settings import Settings

log = logging.getLogger(__name__)

GRAPH_SCOPE = "https://graph.microsoft.com/.default"


class GraphError(Exception):
    """Graph answered with an error or could not be reached."""


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
        """The JSON Graph answers; None for no content (and, with `missing_ok`, for 404 Not Found)."""
        token = await self._tokens.token()
        try:
            async with self._session.request(
                method,
                f"{self._base}{path}",
                json=json,
                headers={"Authorization": f"Bearer {token}"},
                ssl=self._ssl,
                timeout=self._timeout,
            ) as resp:
                if missing_ok and resp.status == 404:
                    return None
                if resp.status >= 400:
                    raise GraphError(f"Graph {method} {path.split('?')[0]} answered {resp.status}")
                if resp.status in (202, 204) or not resp.content_length:
                    return None
                return await resp.json(content_type=None)
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise GraphError(f"Graph {method} unreachable: {type(exc).__name__}") from exc

    async def user_address(self, object_id: str) -> str:
        body = await self.request("GET", f"/users/{object_id}?$select=mail,userPrincipalName")
        return str(body.get("mail") or body.get("userPrincipalName") or "")

    async def member_groups(self, object_id: str) -> set[str]:
        """Every group the user belongs to, directly or through nesting."""
        body = await self.request("POST", f"/users/{object_id}/getMemberGroups", {"securityEnabledOnly": False})
        return {str(g) for g in body.get("value", [])}


    async def manager_of(self, object_id: str) -> str | None:
        """The person's line manager (Graph's manager relationship), or None when they have none."""
        body = await self.request("GET", f"/users/{object_id}/manager?$select=id", missing_ok=True)
        return str(body["id"]) if isinstance(body, dict) and body.get("id") else None

    async def direct_reports(self, object_id: str, *, max_pages: int = 10) -> set[str]:
        """The people whose line manager this person is (following Graph's paging, within reason)."""
        found: set[str] = set()
        path: str | None = f"/users/{object_id}/directReports?$select=id"
        for _ in range(max_pages):
            if path is None:
                break
            body = await self.request("GET", path) or {}
            found |= {str(item["id"]) for item in body.get("value", []) if isinstance(item, dict) and item.get("id")}
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
        created = await self._graph.request("POST", f"/users/{self._mailbox}/events", body)
        return str(created["id"])

    async def cancel_event(self, event_id: str, *, comment: str) -> None:
        await self._graph.request("POST", f"/users/{self._mailbox}/events/{event_id}/cancel", {"comment": comment})
