"""The gallery (`make cards`) shows every card renderer, with typical data that is itself a valid card."""

from __future__ import annotations

import pytest

from gallery.build import entries
from gallery.renderers import renderer_names
from gallery.typical import TYPICAL
from gallery.worst import WORST_CASES
from tests.harness.cardschema import assert_valid_card


def test_every_renderer_is_in_the_gallery_with_typical_and_worst_case_data() -> None:
    shown = {(e["renderer"], e["variant"]) for e in entries()}
    for renderer in renderer_names():
        assert (renderer, "typical") in shown, f"{renderer} has no typical card in gallery/typical.py"
        assert (renderer, "worst case") in shown, f"{renderer} has no worst case in gallery/worst.py"


def test_the_gallery_names_no_renderer_that_is_gone() -> None:
    known = renderer_names()
    assert {n.split("[")[0] for n in TYPICAL} - known == set()
    assert {n.split("[")[0] for n in WORST_CASES} - known == set()


@pytest.mark.parametrize("name", sorted(TYPICAL))
def test_a_typical_card_is_valid_and_fits(name: str) -> None:
    assert_valid_card(TYPICAL[name]())


BACK_WORDS = {"Back", "Not now", "Cancel", "Keep it", "Back to the clinics"}


def _form_inputs(node: object) -> bool:
    """Whether the card itself (not a ShowCard folded under a button) asks for input."""
    if isinstance(node, list):
        return any(_form_inputs(n) for n in node)
    if not isinstance(node, dict):
        return False
    if str(node.get("type", "")).startswith("Input."):
        return True
    return any(_form_inputs(v) for k, v in node.items() if k not in ("card", "fallback", "refresh"))


def _titles(node: object) -> set[str]:
    if isinstance(node, list):
        return set().union(*(_titles(n) for n in node)) if node else set()
    if not isinstance(node, dict):
        return set()
    found = {str(node["title"])} if str(node.get("type", "")).startswith("Action.") and "title" in node else set()
    return found.union(*(_titles(v) for v in node.values()))


def test_every_form_has_a_way_back_that_sends_none_of_its_inputs() -> None:
    # A reminder's snooze and reassign lists are choices on a notice, not a form to leave.
    notices = {"render_deadline_reminder"}
    without = sorted(
        e["name"]
        for e in entries()
        if e["renderer"] not in notices and _form_inputs(e["card"]) and not _titles(e["card"]) & BACK_WORDS
    )
    assert without == [], f"forms with no Back, Not now or Cancel: {without}"


def _actions(node: object) -> list[dict[str, object]]:
    if isinstance(node, list):
        return [a for n in node for a in _actions(n)]
    if not isinstance(node, dict):
        return []
    here = [node] if str(node.get("type", "")).startswith("Action.") else []
    return here + [a for k, v in node.items() if k != "fallback" for a in _actions(v)]


def test_a_way_back_never_waits_for_the_forms_required_boxes() -> None:
    blocking = sorted(
        {
            f"{e['name']}: {a['title']}"
            for e in entries()
            if _form_inputs(e["card"])
            for a in _actions(e["card"])
            if a.get("title") in ("Back", "Not now") and a.get("associatedInputs") != "none"
        }
    )
    assert blocking == [], blocking
