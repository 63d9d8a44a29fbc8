"""Reading an incoming activity into the plain values dialogs use (who, where, the references to keep)."""

from __future__ import annotations

from typing import Any

from botbuilder.schema import Activity

from domain.messaging import ConversationKind, ConversationRef

# Keys Teams adds to Action.Submit data that are not part of our payloads.
TEAMS_INJECTED_KEYS = ("msteams",)


def channel_data(activity: Activity) -> dict[str, Any]:
    data = activity.channel_data
    if isinstance(data, dict):
        return data
    if data is None:
        return {}
    serialized = getattr(data, "serialize", None)
    return serialized() if callable(serialized) else {}


def tenant_of(activity: Activity) -> str:
    conversation = activity.conversation
    if conversation is not None and getattr(conversation, "tenant_id", None):
        return str(conversation.tenant_id)
    tenant = channel_data(activity).get("tenant") or {}
    return str(tenant.get("id", "")) if isinstance(tenant, dict) else ""


def team_of(activity: Activity) -> str:
    team = channel_data(activity).get("team") or {}
    return str(team.get("id", "")) if isinstance(team, dict) else ""


def kind_of(activity: Activity) -> ConversationKind:
    conversation_type = getattr(activity.conversation, "conversation_type", None) or "personal"
    try:
        return ConversationKind(conversation_type)
    except ValueError:
        return ConversationKind.PERSONAL


def base_conversation_id(conversation_id: str) -> str:
    """A channel thread's id is the channel's plus ';messageid=...': keep the channel."""
    return conversation_id.split(";messageid=")[0]


def object_id_of(activity: Activity, *, local_mode: bool) -> str:
    sender = activity.from_property
    oid = getattr(sender, "aad_object_id", None) if sender is not None else None
    if oid:
        return str(oid)
    # The Agents Playground's and the emulator's users may have no Entra id; only local mode accepts them.
    if local_mode and sender is not None and sender.id:
        return str(sender.id)
    return ""


def references_of(activity: Activity, *, local_mode: bool) -> list[ConversationRef]:
    """The references this activity proves: the person's, and the channel's or chat's as a whole."""
    tenant = tenant_of(activity)
    kind = kind_of(activity)
    conversation_id = base_conversation_id(activity.conversation.id)
    sender = activity.from_property
    common = {
        "tenant_id": tenant,
        "kind": kind,
        "conversation_id": conversation_id,
        "service_url": activity.service_url,
        "bot_id": activity.recipient.id if activity.recipient else "",
        "team_id": team_of(activity),
        "channel_id": activity.channel_id or "msteams",
    }
    refs: list[ConversationRef] = []
    oid = object_id_of(activity, local_mode=local_mode)
    if oid:
        refs.append(ConversationRef(object_id=oid, user_id=sender.id if sender else "", **common))
    if kind is not ConversationKind.PERSONAL:
        refs.append(ConversationRef(object_id="", **common))
    return refs


def submitted_data(value: Any) -> Any:
    """An Action.Submit's value without the keys Teams injects."""
    if isinstance(value, dict):
        return {k: v for k, v in value.items() if k not in TEAMS_INJECTED_KEYS}
    return value


def execute_data(value: Any) -> Any:
    """An adaptiveCard/action invoke's verb and data as one payload dict, or None when malformed."""
    if not isinstance(value, dict):
        return None
    action = value.get("action")
    if not isinstance(action, dict) or action.get("type") != "Action.Execute":
        return None
    verb = action.get("verb")
    data = action.get("data") or {}
    if not isinstance(data, dict) or not isinstance(verb, str):
        return None
    return {**submitted_data(data), "verb": verb}
