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
