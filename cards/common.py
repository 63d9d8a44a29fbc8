"""Cards every capability shares: welcome, help, errors, the apology and 'not your role'."""

from __future__ import annotations

from dataclasses import dataclass

from cards.elements import Json, bullet_list, card, container, execute, facts, heading, submit, text


@dataclass(frozen=True)
class Capability:
    """One thing a person can do, as the help card lists it."""

    command: str
    title: str
    description: str
    verb: str | None = None  # a button that starts it, when it starts from a card


# Said wherever a person's roles are shown or found wanting while their Entra groups can't be checked.
GROUP_ROLES_UNCHECKED = (
    "I can't check your Entra groups right now, so any role you hold through a group doesn't count until I can. "
    "Please try again later."
)


def _capability_actions(capabilities: list[Capability]) -> list[Json]:
    return [execute(c.title, c.verb) for c in capabilities if c.verb][:6]


def render_help(
    capabilities: list[Capability],
    *,
    role_titles: list[str],
    authority: str,
    trial: bool = False,
    no_role_hint: str = "",
    groups_unchecked: bool = False,
) -> Json:
    """What this person's roles let them do, with a button for each thing that starts from a card.

    `groups_unchecked`: their Entra groups can't be checked now, so "no role yet" may be untrue: say that instead.
    `trial`: local mode's stand-in, who holds every role only to try the bot alone: said briefly, not listed.
    """
    body: list[Json] = [heading("What I can do for you")]
    if groups_unchecked:
        body.append(container([text(GROUP_ROLES_UNCHECKED, weight="Bolder")], style="warning"))
    if trial:
        body.append(text("Your roles: every role, for trying things out (local mode).", weight="Bolder"))
    elif role_titles:
        body.append(text("Your roles: " + ", ".join(role_titles), subtle=True))
    elif not groups_unchecked:
        body.append(text("You have no role in the step up / step down service yet.", weight="Bolder"))
        if no_role_hint:
            body.append(text(no_role_hint))
    if capabilities:
        body.append(facts([(c.command, c.description) for c in capabilities]))
    body.append(text(f"Policy: {authority}. Type **help** at any time.", subtle=True))
    return card(body, _capability_actions(capabilities))


def render_welcome(
    capabilities: list[Capability],
    *,
    name: str,
    in_channel: bool,
    authority: str,
    role_titles: list[str],
    group_chat: bool = False,
    trial: bool = False,
) -> Json:
    """Sent on install: in a channel or group chat it says what the bot posts there; in a chat it greets the person."""
    if in_channel:
        place = "group chat" if group_chat else "channel"
        body = [
            heading("Step up / step down is here"),
            text(
                f"I post transfer requests, clinic agendas and deadline nudges in this {place}. "
                "Cards here show case references and what is due, never a family's circumstances."
            ),
            text("Mention me with **help** to see what you can do.", subtle=True),
        ]
        return card(body)
    greeting = f"Hello {name}" if name else "Hello"
    body = [
        heading(f"{greeting}: I help move children's cases between services"),
        text(
            f"I follow {authority}'s procedure: booking the step-down clinic, transfer requests, "
            "decisions, and reminders so that no deadline slips."
        ),
    ]
    if trial:
        body.append(text("Your roles: every role, for trying things out (local mode).", subtle=True))
    elif role_titles:
        body.append(text("Your roles: " + ", ".join(role_titles), subtle=True))
    if capabilities:
        body.append(bullet_list([f"**{c.command}**: {c.description}" for c in capabilities]))
    return card(body, [*_capability_actions(capabilities)[:5], execute("Help", "help.show")])


def render_error(title: str, reason: str, *, hints: list[str] | None = None) -> Json:
    """A clear answer to bad input: what was wrong and what to do; nothing was written."""
    body: list[Json] = [
        container([text(title, weight="Bolder"), text(reason)], style="attention"),
        text("Nothing was saved.", subtle=True),
    ]
    if hints:
        body.append(bullet_list(hints))
    return card(body, [execute("Help", "help.show")])


def render_no_role(needed: list[str], *, ask: str) -> Json:
    """The person lacks the role for what they tried."""
    return render_error(
        "You can't do that yet",
        "This needs the role of " + " or ".join(needed) + ".",
        hints=[ask],
    )


def render_apology(correlation_id: str) -> Json:
    """Something unexpected went wrong; the id lets an administrator find it in the logs."""
    return card(
        [
            container([text("Sorry, something went wrong on our side.", weight="Bolder")], style="attention"),
            text("Nothing was half-saved. Please try again in a minute."),
            text(f"If it happens again, give your administrator this reference: {correlation_id}", subtle=True),
        ]
    )


def render_notice(title: str, lines: list[str]) -> Json:
    """A short notice: to an administrator, or a confirmation."""
    return card([text(title, weight="Bolder"), *[text(line) for line in lines]])


__all__ = [
    "GROUP_ROLES_UNCHECKED",
    "Capability",
    "render_apology",
    "render_error",
    "render_help",
    "render_no_role",
    "render_notice",
    "render_welcome",
    "submit",
]
