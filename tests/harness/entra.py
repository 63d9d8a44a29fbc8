"""Local HTTPS fakes of the Entra token endpoint and the Microsoft Graph calls the bot makes (test CA).

Graph answers chunked (no Content-Length), as the real one often does, unless a test asks for
Content-Length framing; either can be made to fail in the ways Graph fails (see `set_graph_fault`).
"""

from __future__ import annotations

import asyncio
import json
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
    graph_fault: str | None = None  # see FakeEntraAndGraph.set_graph_fault
    graph_framing: str = "chunked"  # or "content-length"
    graph_hang_seconds: float = 3.0
    token_down_scopes: tuple[str, ...] | None = None  # None: Entra answers; () every scope fails; else those
    token_requests: list[str] = field(default_factory=list)  # the scope of every token request, answered or not


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

    def set_graph_fault(self, fault: str | None, *, hang_seconds: float = 3.0) -> None:
        """Make every Graph call fail: "not_json" (200 with an HTML page), "wrong_shape" (200 with a JSON
        array), "empty" (200 with no body), "hang" (answer after `hang_seconds`); None answers again."""
        if fault not in (None, "not_json", "wrong_shape", "empty", "hang"):
            raise ValueError(f"unknown Graph fault {fault!r}")
        with self._lock:
            self.state.graph_fault = fault
            self.state.graph_hang_seconds = hang_seconds

    def set_graph_framing(self, framing: str) -> None:
        """ "chunked" (the default: no Content-Length) or "content-length"."""
        if framing not in ("chunked", "content-length"):
            raise ValueError(f"unknown framing {framing!r}")
        with self._lock:
            self.state.graph_framing = framing

    def set_token_down(self, down: bool, *, scope_prefix: str = "") -> None:
        """Entra's token endpoint answers 503 (for every scope, or only scopes starting with `scope_prefix`).

        The 503 says Retry-After: 0, so msal (which otherwise remembers a 5xx for 5 seconds) asks again at
        once when the test has brought Entra back.
        """
        with self._lock:
            self.state.token_down_scopes = (scope_prefix,) if down else None

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
            scope = str(form.get("scope", ""))
            with self._lock:
                self.state.token_requests.append(scope)
                down = self.state.token_down_scopes
            if down is not None and any(scope.startswith(prefix) for prefix in down):
                return web.json_response(
                    {"error": "temporarily_unavailable", "error_description": "injected by the test"},
                    status=503,
                    headers={"Retry-After": "0"},
                )
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

        async def graph_answer(request: web.Request) -> web.Response | tuple[int, Any]:
            auth = request.headers.get("Authorization", "")
            token_value = auth.removeprefix("Bearer ")
            body = await request.json() if request.can_read_body else None
            with self._lock:
                self.state.graph_calls.append(GraphCall(request.method, request.path, body, token_value))
                down = self.state.graph_down
                known = token_value in self.state.valid_tokens
            if down:
                return 503, {"error": {"code": "serviceUnavailable"}}
            if not known:
                return 401, {"error": {"code": "InvalidAuthenticationToken"}}
            parts = request.path.split("/")
            # /v1.0/users/{id}/getMemberGroups
            if request.method == "POST" and len(parts) == 5 and parts[2] == "users" and parts[4] == "getMemberGroups":
                with self._lock:
                    groups = list(self.state.member_groups.get(parts[3], []))
                return 200, {"value": groups}
            # GET /v1.0/users/{id}/manager: the line manager, 404 when there is none
            if request.method == "GET" and len(parts) == 5 and parts[2] == "users" and parts[4] == "manager":
                with self._lock:
                    manager = self.state.managers.get(parts[3])
                if manager is None:
                    return 404, {"error": {"code": "Request_ResourceNotFound"}}
                return 200, {"@odata.type": "#microsoft.graph.user", "id": manager}
            # GET /v1.0/users/{id}/directReports: one page per report, to exercise @odata.nextLink
            if request.method == "GET" and len(parts) == 5 and parts[2] == "users" and parts[4] == "directReports":
                with self._lock:
                    reports = sorted(p for p, m in self.state.managers.items() if m == parts[3])
                page = int(request.query.get("page", "0"))
                body: dict[str, Any] = {"value": [{"id": r} for r in reports[page : page + 1]]}
                if page + 1 < len(reports):
                    base = f"{self.server.base_url}/v1.0/users/{parts[3]}/directReports"
                    body["@odata.nextLink"] = f"{base}?$select=id&page={page + 1}"
                return 200, body
            # GET /v1.0/users/{id}
            if request.method == "GET" and len(parts) == 4 and parts[2] == "users":
                with self._lock:
                    mail = self.state.mail.get(parts[3])
                if mail is None:
                    return 404, {"error": {"code": "Request_ResourceNotFound"}}
                return 200, {"id": parts[3], "mail": mail, "userPrincipalName": mail}
            # POST /v1.0/users/{mailbox}/events
            if request.method == "POST" and len(parts) == 5 and parts[2] == "users" and parts[4] == "events":
                event_id = f"event-{uuid.uuid4().hex[:12]}"
                with self._lock:
                    self.state.events[event_id] = {"mailbox": parts[3], "body": body, "cancelled": False}
                return 201, {"id": event_id, **(body or {})}
            # POST /v1.0/users/{mailbox}/events/{id}/cancel
            if request.method == "POST" and len(parts) == 7 and parts[4] == "events" and parts[6] == "cancel":
                with self._lock:
                    event = self.state.events.get(parts[5])
                    if event is None or event["mailbox"] != parts[3]:
                        return 404, {"error": {"code": "ErrorItemNotFound"}}
                    event["cancelled"] = True
                return web.Response(status=202)
            return 404, {"error": {"code": "Request_ResourceNotFound"}}

        async def graph(request: web.Request) -> web.StreamResponse:
            answer = await graph_answer(request)
            if isinstance(answer, web.StreamResponse):
                return answer
            status, body = answer
            with self._lock:
                fault = self.state.graph_fault if status < 300 else None
                framing = self.state.graph_framing
                hang = self.state.graph_hang_seconds
            raw = json.dumps(body).encode()
            content_type = "application/json"
            if fault == "hang":
                await asyncio.sleep(hang)
            elif fault == "not_json":
                raw, content_type = b"<html><body>Service Unavailable</body></html>", "text/html"
            elif fault == "wrong_shape":
                raw = b'["unexpected"]'
            elif fault == "empty":
                raw = b""
            if framing == "content-length":
                return web.Response(body=raw, status=status, content_type=content_type)
            resp = web.StreamResponse(status=status, headers={"Content-Type": content_type})
            resp.enable_chunked_encoding()
            await resp.prepare(request)
            if raw:
                await resp.write(raw)
            await resp.write_eof()
            return resp

        app = web.Application()
        app.router.add_get("/{tenant}/v2.0/.well-known/openid-configuration", discovery)
        app.router.add_post("/{tenant}/oauth2/v2.0/token", token)
        app.router.add_route("*", "/v1.0/{tail:.*}", graph)
        return app
