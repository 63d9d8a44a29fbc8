"""Plays a Teams user: sends text or card actions as a person in a chat or channel, and reads what came back."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp

from tests.harness.connector import FakeConnector, Recorded
from tests.harness.tokens import TokenMinter

TENANT = "00000000-0000-4000-8000-00000000aaaa"
BOT_ID = "28:test-bot"


@dataclass(frozen=True)
class Person:
    """An invented test user: initials only, ids made up."""

    name: str
    object_id: str
    user_id: str  # the 29: id Teams gives this person for our bot

    @staticmethod
    def make(name: str) -> Person:
        oid = str(uuid.uuid5(uuid.NAMESPACE_DNS, f"{name}.test"))
        return Person(name=name, object_id=oid, user_id=f"29:{oid[:8]}")


@dataclass(frozen=True)
class Chat:
    kind: str  # personal | channel | groupChat
    id: str
    team_id: str = ""
    channel_name: str = ""

    @staticmethod
    def personal(person: Person) -> Chat:
        return Chat("personal", f"a:personal-{person.object_id[:12]}")

    @staticmethod
    def channel(name: str, team_id: str = "19:team-general@thread.tacv2") -> Chat:
        return Chat("channel", f"19:{name}@thread.tacv2", team_id, name)

    @staticmethod
    def group(name: str) -> Chat:
        return Chat("groupChat", f"19:{name}@thread.v2")


@dataclass
class Exchange:
    """One request to /api/messages and everything the bot sent the connector meanwhile."""

    status: int
    body: Any
    sent: list[Recorded] = field(default_factory=list)

    @property
    def cards(self) -> list[dict[str, Any]]:
        return [c for r in self.sent for c in r.cards]

    @property
    def invoke_card(self) -> dict[str, Any] | None:
        if isinstance(self.body, dict) and self.body.get("type") == "application/vnd.microsoft.card.adaptive":
            value = self.body.get("value")
            return value if isinstance(value, dict) else None
        return None

    def card_text(self) -> str:
        return json.dumps(self.cards + ([self.invoke_card] if self.invoke_card else []))


class TeamsDriver:
    """Builds Teams-shaped activities, signs them like the Bot Framework, posts them to the bot."""

    def __init__(
        self,
        bot_url: str,
        connector: FakeConnector,
        minter: TokenMinter | None,
        http: aiohttp.ClientSession,
        tenant_id: str = TENANT,
    ) -> None:
        self.bot_url = bot_url
        self.connector = connector
        self.minter = minter
        self.http = http
        self.tenant_id = tenant_id
        # Every card an Action.Execute answered with, for the suite's scans of what people read.
        self.answers: list[dict[str, Any]] = []

    def activity(self, person: Person, chat: Chat, type_: str, **extra: Any) -> dict[str, Any]:
        channel_data: dict[str, Any] = {"tenant": {"id": self.tenant_id}}
        if chat.team_id:
            channel_data["team"] = {"id": chat.team_id, "name": "Test team"}
            channel_data["channel"] = {"id": chat.id, "name": chat.channel_name}
        body: dict[str, Any] = {
            "type": type_,
            "id": uuid.uuid4().hex,
            "timestamp": "2026-11-25T10:00:00.000Z",
            "serviceUrl": self.connector.url + "/",
            "channelId": "msteams",
            "from": {"id": person.user_id, "name": person.name, "aadObjectId": person.object_id},
            "conversation": {
                "id": chat.id,
                "conversationType": chat.kind,
                "tenantId": self.tenant_id,
                "isGroup": chat.kind != "personal",
            },
            "recipient": {"id": BOT_ID, "name": "Stepbot"},
            "channelData": channel_data,
            "locale": "en-GB",
        }
        body.update(extra)
        return body

    async def post(
        self, body: Any, *, token: str | None = None, headers: dict[str, str] | None = None, raw: bytes | None = None
    ) -> Exchange:
        mark = self.connector.snapshot()
        hdrs = {"Content-Type": "application/json"}
        if token is None and self.minter is not None and isinstance(body, dict):
            token = self.minter.mint(str(body.get("serviceUrl", "")))
        if token:
            hdrs["Authorization"] = f"Bearer {token}"
        hdrs.update(headers or {})
        data = raw if raw is not None else json.dumps(body).encode()
        async with self.http.post(f"{self.bot_url}/api/messages", data=data, headers=hdrs) as resp:
            text = await resp.text()
            try:
                parsed: Any = json.loads(text) if text else None
            except ValueError:
                parsed = text
            exchange = Exchange(resp.status, parsed, self.connector.since(mark))
            if exchange.invoke_card:
                self.answers.append(exchange.invoke_card)
            return exchange

    async def say(self, person: Person, chat: Chat, text: str) -> Exchange:
        extra: dict[str, Any] = {"text": text, "textFormat": "plain"}
        if chat.kind != "personal":
            extra["text"] = f"<at>Stepbot</at> {text}"
            extra["entities"] = [
                {"type": "mention", "text": "<at>Stepbot</at>", "mentioned": {"id": BOT_ID, "name": "Stepbot"}}
            ]
        return await self.post(self.activity(person, chat, "message", **extra))

    async def submit(self, person: Person, chat: Chat, data: dict[str, Any], reply_to: str = "") -> Exchange:
        """Action.Submit: a message whose value is the card's data and the inputs."""
        extra: dict[str, Any] = {"value": data}
        if reply_to:
            extra["replyToId"] = reply_to
        return await self.post(self.activity(person, chat, "message", **extra))

    async def execute(
        self, person: Person, chat: Chat, verb: str, data: dict[str, Any] | None = None, reply_to: str = ""
    ) -> Exchange:
        """Action.Execute: an adaptiveCard/action invoke."""
        value = {"action": {"type": "Action.Execute", "verb": verb, "data": data or {}}, "trigger": "manual"}
        extra: dict[str, Any] = {"name": "adaptiveCard/action", "value": value}
        if reply_to:
            extra["replyToId"] = reply_to
        return await self.post(self.activity(person, chat, "invoke", **extra))

    async def install(self, person: Person, chat: Chat) -> Exchange:
        return await self.post(self.activity(person, chat, "installationUpdate", action="add"))

    async def uninstall(self, person: Person, chat: Chat) -> Exchange:
        return await self.post(self.activity(person, chat, "installationUpdate", action="remove"))

    async def bot_removed_from_team(self, person: Person, chat: Chat) -> Exchange:
        body = self.activity(person, chat, "conversationUpdate", membersRemoved=[{"id": BOT_ID}])
        body["channelData"]["eventType"] = "teamMemberRemoved"
        return await self.post(body)

    async def channel_deleted(self, person: Person, chat: Chat) -> Exchange:
        body = self.activity(person, chat, "conversationUpdate")
        body["channelData"]["eventType"] = "channelDeleted"
        return await self.post(body)
