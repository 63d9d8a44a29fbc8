"""Every card the bot can send passes the Adaptive Card 1.5 schema and fits a Teams message at its largest."""

from __future__ import annotations

import importlib
import inspect
import pkgutil
from collections.abc import Callable
from typing import Any

import pytest

import cards
from cards.common import (
    Capability,
    render_apology,
    render_error,
    render_help,
    render_no_role,
    render_notice,
    render_welcome,
)
from domain.roles import ROLE_TITLES
from tests.harness.cardschema import accessibility_problems, assert_valid_card, card_errors

LONG = "W" * 400
MANY_CAPABILITIES = [
    Capability(f"command {i} {LONG[:40]}", f"Title {i}", LONG[:200], f"area.verb_{i}") for i in range(12)
]
ALL_ROLES = list(ROLE_TITLES.values())

# The largest input each renderer can be given in practice; a new renderer must be added here.
WORST_CASES: dict[str, Callable[[], dict[str, Any]]] = {
    "render_help": lambda: render_help(
        MANY_CAPABILITIES, role_titles=ALL_ROLES, authority=LONG[:80], local_mode=True, no_role_hint=LONG[:200]
    ),
    "render_welcome": lambda: render_welcome(
        MANY_CAPABILITIES, name=LONG[:100], in_channel=False, authority=LONG[:80], role_titles=ALL_ROLES
    ),
    "render_error": lambda: render_error(LONG[:120], LONG, hints=[LONG[:200]] * 5),
    "render_no_role": lambda: render_no_role(ALL_ROLES, ask=LONG[:300]),
    "render_apology": lambda: render_apology("0123456789ab"),
    "render_notice": lambda: render_notice(LONG[:120], [LONG[:300]] * 5),
}


def _renderers() -> set[str]:
    found: set[str] = set()
    for module in pkgutil.iter_modules(cards.__path__):
        loaded = importlib.import_module(f"cards.{module.name}")
        for name, fn in inspect.getmembers(loaded, inspect.isfunction):
            if name.startswith("render_") and fn.__module__ == loaded.__name__:
                found.add(name)
    return found


def test_every_renderer_has_a_worst_case_here() -> None:
    assert _renderers() - set(WORST_CASES) == set()


@pytest.mark.parametrize("name", sorted(WORST_CASES))
def test_the_largest_card_is_valid_and_fits(name: str) -> None:
    assert_valid_card(WORST_CASES[name]())


def test_the_channel_welcome_is_valid() -> None:
    assert_valid_card(render_welcome([], name="", in_channel=True, authority="Redcar", role_titles=[]))


def test_the_schema_check_catches_a_broken_card() -> None:
    broken = render_apology("x")
    broken["body"][0]["colour"] = "red"  # not a TextBlock property
    assert card_errors(broken)


def test_an_unlabelled_input_is_caught() -> None:
    card = render_apology("x")
    card["body"].append({"type": "Input.Text", "id": "case_reference", "isRequired": True})
    problems = accessibility_problems(card)
    assert any("no label" in p for p in problems)
    assert any("errorMessage" in p for p in problems)
