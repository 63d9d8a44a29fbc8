"""Local HTTPS fakes of the Entra token endpoint and the Microsoft Graph calls the bot makes (test CA)."""

from __future__ import annotations

import ssl
import threading
import uuid
from dataclasses import dataclass, field
from typing import Any

import trustme
from aiohttp import web

from tests.harness.threaded import ThreadedServer


@dataclass
class GraphCall:
    method: str
    path: str
    body: Any
    token: str


@dataclass
class EntraState:
    tokens_issued: list[dict[str, str]] = field(default_factory=list)
    valid_tokens: set[str] = field(default_factory=set)
    graph_calls: list[GraphCall] = field(default_factory=list)
    member_groups: dict[str, list[str]] = field(default_factory=dict)
    mail: dict[str, str] = field(default_factory=dict)
    events: dict[str, dict[str, Any]] = field(default_factory=dict)  # event id -> {"mailbox", "body", "cancelled"}
    managers: dict[str, str] = field(default_factory=dict)  # person -> their line manager
    graph_down: bool = False


class FakeEntraAndGraph:
    """One HTTPS server: /{tenant}/v2.0/.well-known/openid-configuration, /{tenant}/oauth2/v2.0/token, /v1.0/..."""

    def __init__(self, ca: trustme.CA) -> None:
        self._lock = threading.Lock()
        self.state = EntraState()
        cert = ca.issue_cert("127.0.0.1", "localhost")
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        cert.configure_cert(context)
        self.server = ThreadedServer(self._app, ssl_context=context)

    @property
    def authority_host(self) -> str:
        return self.server.base_url

    @property
    def graph_base_url(self) -> str:
        return f"{self.server.base_url}/v1.0"

    def reset(self) -> None:
        with self._lock:
            self.state = EntraState()

    def set_member_groups(self, object_id: str, groups: list[str]) -> None:
        with self._lock:
            self.state.member_groups[object_id] = groups

    def set_mail(self, object_id: str, address: str) -> None:
        with self._lock:
            self.state.mail[object_id] = address

    def set_manager(self, object_id: str, manager_object_id: str) -> None:
        with self._lock:
            self.state.managers[object_id] = manager_object_id

    def set_graph_down(self, down: bool) -> None:
        with self._lock:
            self.state.graph_down = down

    def _app(self) -> web.Application:
        async def discovery(request: web.Request) -> web.Response:
            tenant = request.match_info["tenant"]
            base = f"{self.server.base_url}/{tenant}"
            return web.json_response(
                {
                    "token_endpoint": f"{base}/oauth2/v2.0/token",
                    "authorization_endpoint": f"{base}/oauth2/v2.0/authorize",
                    "issuer": f"{base}/v2.0",
                    "device_authorization_endpoint": f"{base}/oauth2/v2.0/devicecode",
                }
            )

        async def token(request: web.Request) -> web.Response:
            form = await request.post()
            if form.get("grant_type") != "client_credentials":
                return web.json_response({"error": "unsupported_grant_type"}, status=400)
            has_secret = bool(form.get("client_secret"))
            has_assertion = bool(form.get("client_assertion"))
            if not (has_secret or has_assertion):
                return web.json_response({"error": "invalid_client"}, status=401)
            access = f"fake-{uuid.uuid4().hex}"
            with self._lock:
                self.state.tokens_issued.append(
                    {
                        "tenant": request.match_info["tenant"],
                        "client_id": str(form.get("client_id", "")),
                        "scope": str(form.get("scope", "")),
                        "credential": "certificate" if has_assertion else "secret",
                    }
                )
                self.state.valid_tokens.add(access)
            return web.json_response(
                {"token_type": "Bearer", "expires_in": 3599, "ext_expires_in": 3599, "access_token": access}
            )

        async def graph(request: web.Request) -> web.Response:
            auth = request.headers.get("Authorization", "")
            token_value = auth.removeprefix("Bearer ")
            body = await request.json() if request.can_read_body else None
            with self._lock:
                self.state.graph_calls.append(GraphCall(request.method, request.path, body, token_value))
                down = self.state.graph_down
                known = token_value in self.state.valid_tokens
            if down:
                return web.json_response({"error": {"code": "serviceUnavailable"}}, status=503)
            if not known:
                return web.json_response({"error": {"code": "InvalidAuthenticationToken"}}, status=401)
            parts = request.path.split("/")
            # /v1.0/users/{id}/getMemberGroups
            if request.method == "POST" and len(parts) == 5 and parts[2] == "users" and parts[4] == "getMemberGroups":
                with self._lock:
                    groups = list(self.state.member_groups.get(parts[3], []))
                return web.json_response({"value": groups})
            # GET /v1.0/users/{id}/manager: the line manager, 404 when there is none
            if request.method == "GET" and len(parts) == 5 and parts[2] == "users" and parts[4] == "manager":
                with self._lock:
                    manager = self.state.managers.get(parts[3])
                if manager is None:
                    return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)
                return web.json_response({"@odata.type": "#microsoft.graph.user", "id": manager})
            # GET /v1.0/users/{id}/directReports: one page per report, to exercise @odata.nextLink
            if request.method == "GET" and len(parts) == 5 and parts[2] == "users" and parts[4] == "directReports":
                with self._lock:
                    reports = sorted(p for p, m in self.state.managers.items() if m == parts[3])
                page = int(request.query.get("page", "0"))
                body: dict[str, Any] = {"value": [{"id": r} for r in reports[page : page + 1]]}
                if page + 1 < len(reports):
                    base = f"{self.server.base_url}/v1.0/users/{parts[3]}/directReports"
                    body["@odata.nextLink"] = f"{base}?$select=id&page={page + 1}"
                return web.json_response(body)
            # GET /v1.0/users/{id}
            if request.method == "GET" and len(parts) == 4 and parts[2] == "users":
                with self._lock:
                    mail = self.state.mail.get(parts[3])
                if mail is None:
                    return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)
                return web.json_response({"id": parts[3], "mail": mail, "userPrincipalName": mail})
            # POST /v1.0/users/{mailbox}/events
            if request.method == "POST" and len(parts) == 5 and parts[2] == "users" and parts[4] == "events":
                event_id = f"event-{uuid.uuid4().hex[:12]}"
                with self._lock:
                    self.state.events[event_id] = {"mailbox": parts[3], "body": body, "cancelled": False}
                return web.json_response({"id": event_id, **(body or {})}, status=201)
            # POST /v1.0/users/{mailbox}/events/{id}/cancel
            if request.method == "POST" and len(parts) == 7 and parts[4] == "events" and parts[6] == "cancel":
                with self._lock:
                    event = self.state.events.get(parts[5])
                    if event is None or event["mailbox"] != parts[3]:
                        return web.json_response({"error": {"code": "ErrorItemNotFound"}}, status=404)
                    event["cancelled"] = True
                return web.Response(status=202)
            return web.json_response({"error": {"code": "Request_ResourceNotFound"}}, status=404)

        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
        app.router.add_route("*", "/v1.0/{tail:.*}", graph)
        return app
