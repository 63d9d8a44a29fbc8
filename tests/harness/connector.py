"""A local Bot Connector: records every activity the bot sends, serves a roster, and fails on demand."""

from __future__ import annotations

import asyncio
import threading
import time
import uuid
from dataclasses import dataclass, field
from typing import Any

from aiohttp import web

from tests.harness.threaded import ThreadedServer


@dataclass
class Recorded:
    """One call the bot made to the connector."""

    op: str  # send | reply | update | delete | create | members
    conversation_id: str
    activity: dict[str, Any] = field(default_factory=dict)
    activity_id: str = ""
    authorization: str = ""
    # When the connector answered (time.monotonic() in the test process): pacing is checked from these.
    at: float = field(default_factory=time.monotonic)
    # The status a failure injected by the test answered with (0: answered normally).
    status: int = 0
    code: str = ""

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [
            a["content"]
            for a in self.activity.get("attachments") or []
            if a.get("contentType") == "application/vnd.microsoft.card.adaptive"
        ]


@dataclass
class Fault:
    status: int
    headers: dict[str, str]
    body: dict[str, Any]
    hang_seconds: float = 0.0
    # Only a request for this conversation meets the fault (None: the next request, whatever it is for).
    conversation: str | None = None


@dataclass
class Member:
    id: str
    aad_object_id: str
    name: str

    def json(self) -> dict[str, Any]:
        return {"id": self.id, "aadObjectId": self.aad_object_id, "name": self.name, "userPrincipalName": ""}


class FakeConnector:
    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.calls: list[Recorded] = []
        # Requests answered with a failure the test injected, with when: a 429's Retry-After is checked from these.
        self.faulted: list[Recorded] = []
        self._faults: list[Fault] = []
        self.rosters: dict[str, list[Member]] = {}
        self.server = ThreadedServer(self._app)

    # -- test controls --------------------------------------------------------------------------
    @property
    def url(self) -> str:
        return self.server.base_url

    def reset(self) -> None:
        with self._lock:
            self.calls.clear()
            self.faulted.clear()
            self._faults.clear()
            self.rosters.clear()

    def fail_next(
        self,
        status: int,
        *,
        times: int = 1,
        retry_after: float | None = None,
        code: str = "",
        conversation: str | None = None,
    ) -> None:
        headers = {"Retry-After": f"{retry_after:g}"} if retry_after is not None else {}
        body = {"error": {"code": code or f"HTTP{status}", "message": "injected by the test"}}
        with self._lock:
            self._faults.extend(Fault(status, headers, body, conversation=conversation) for _ in range(times))

    def hang_next(self, seconds: float, *, times: int = 1, conversation: str | None = None) -> None:
        with self._lock:
            self._faults.extend(
                Fault(200, {}, {}, hang_seconds=seconds, conversation=conversation) for _ in range(times)
            )

    def sends_to(self, conversation_id: str) -> list[Recorded]:
        """The activities posted into a conversation (or its threads), in the order they were answered."""
        with self._lock:
            return [
                c for c in self.calls if c.op in ("send", "reply") and c.conversation_id.startswith(conversation_id)
            ]

    def snapshot(self) -> int:
        with self._lock:
            return len(self.calls)

    def since(self, mark: int) -> list[Recorded]:
        with self._lock:
            return list(self.calls[mark:])

    # -- the Bot Connector REST API ---------------------------------------------------------------
    def _fault(self, conversation: str = "") -> Fault | None:
        with self._lock:
            for i, fault in enumerate(self._faults):
                if fault.conversation is None or conversation.startswith(fault.conversation):
                    return self._faults.pop(i)
            return None

    def _record(self, call: Recorded) -> None:
        with self._lock:
            self.calls.append(call)

    async def _apply_fault(self, request: web.Request | None = None) -> web.Response | None:
        conversation = request.match_info.get("conversation_id", "") if request is not None else ""
        fault = self._fault(conversation)
        if fault is None:
            return None
        if fault.hang_seconds:
            await asyncio.sleep(fault.hang_seconds)
            return None
        with self._lock:
            self.faulted.append(
                Recorded("fault", conversation, status=fault.status, code=str(fault.body["error"]["code"]))
            )
        return web.json_response(fault.body, status=fault.status, headers=fault.headers)

    def _app(self) -> web.Application:
        async def send(request: web.Request) -> web.Response:
            arrived = time.monotonic()
            failed = await self._apply_fault(request)
            if failed is not None:
                return failed
            body = await request.json()
            activity_id = uuid.uuid4().hex
            op = "reply" if "activity_id" in request.match_info else "send"
            self._record(
                Recorded(
                    op,
                    request.match_info["conversation_id"],
                    body,
                    request.match_info.get("activity_id", activity_id),
                    request.headers.get("Authorization", ""),
                    at=arrived,
                )
            )
            return web.json_response({"id": activity_id}, status=201 if op == "send" else 200)

        async def update(request: web.Request) -> web.Response:
            failed = await self._apply_fault(request)
            if failed is not None:
                return failed
            body = await request.json()
            self._record(
                Recorded(
                    "update",
                    request.match_info["conversation_id"],
                    body,
                    request.match_info["activity_id"],
                    request.headers.get("Authorization", ""),
                )
            )
            return web.json_response({"id": request.match_info["activity_id"]})

        async def delete(request: web.Request) -> web.Response:
            self._record(
                Recorded("delete", request.match_info["conversation_id"], {}, request.match_info["activity_id"])
            )
            return web.Response(status=200)

        async def create(request: web.Request) -> web.Response:
            failed = await self._apply_fault(request)
            if failed is not None:
                return failed
            body = await request.json()
            conversation_id = f"a:personal-{uuid.uuid4().hex[:12]}"
            self._record(Recorded("create", conversation_id, body, "", request.headers.get("Authorization", "")))
            return web.json_response({"id": conversation_id, "activityId": "", "serviceUrl": self.url}, status=201)

        async def members(request: web.Request) -> web.Response:
            conversation_id = request.match_info["conversation_id"]
            self._record(Recorded("members", conversation_id))
            with self._lock:
                roster = [m.json() for m in self.rosters.get(conversation_id, [])]
            return web.json_response(roster)

        async def paged_members(request: web.Request) -> web.Response:
            conversation_id = request.match_info["conversation_id"]
            self._record(Recorded("members", conversation_id))
            with self._lock:
                roster = [m.json() for m in self.rosters.get(conversation_id, [])]
            return web.json_response({"members": roster})

        app = web.Application()
        app.router.add_post("/v3/conversations", create)
        app.router.add_post("/v3/conversations/{conversation_id}/activities", send)
        app.router.add_post("/v3/conversations/{conversation_id}/activities/{activity_id}", send)
        app.router.add_put("/v3/conversations/{conversation_id}/activities/{activity_id}", update)
        app.router.add_delete("/v3/conversations/{conversation_id}/activities/{activity_id}", delete)
        app.router.add_get("/v3/conversations/{conversation_id}/members", members)
        app.router.add_get("/v3/conversations/{conversation_id}/pagedmembers", paged_members)
        return app
