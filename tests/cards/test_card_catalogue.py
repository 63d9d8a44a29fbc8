"""Every card the bot can send passes the Adaptive Card 1.5 schema and fits a Teams message at its largest."""

from __future__ import annotations

import pytest

from cards.case_history import case_blocks, paginate, render_case_history
from cards.common import render_apology, render_welcome
from gallery.renderers import renderer_names
from gallery.worst import WORST_CASES
from gallery.worst_data import CAL, CASE_HISTORY, REDCAR
from tests.harness.cardschema import accessibility_problems, assert_valid_card, card_errors


def test_every_renderer_has_a_worst_case_here() -> None:
    assert renderer_names() - {name.split("[")[0] for name in WORST_CASES} == set()


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


def test_every_page_of_the_longest_case_history_is_valid_and_fits() -> None:
    pages = paginate(case_blocks(CASE_HISTORY, REDCAR, CAL))
    assert len(pages) > 20
    for number in range(1, len(pages) + 1):
        page = render_case_history(CASE_HISTORY, REDCAR, CAL, page=number)
        assert_valid_card(page)
        titles = [a["title"] for a in page.get("actions", [])]
        assert titles == (["Older"] if number == 1 else ["Newer"] if number == len(pages) else ["Newer", "Older"])
