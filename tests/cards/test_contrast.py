"""Every text colour the cards use meets WCAG 2.2 AA contrast (4.5:1) against its container, in Teams' light,
dark and high-contrast themes, computed from the host configs for every card of the gallery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest

from bot.settings import REPO_ROOT
from gallery.build import entries

THEMES = ("microsoft-teams-light", "microsoft-teams-dark", "microsoft-teams-high-contrast")
AA = 4.5


def _host(theme: str) -> dict[str, Any]:
    path = REPO_ROOT / "gallery" / "hostconfigs" / f"{theme}.json"
    loaded: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return loaded


def _rgba(colour: str) -> tuple[float, float, float, float]:
    """Host configs write #RRGGBB or #AARRGGBB."""
    hexes = colour.lstrip("#")
    alpha = 1.0
    if len(hexes) == 8:
        alpha, hexes = int(hexes[:2], 16) / 255, hexes[2:]
    r, g, b = (int(hexes[i : i + 2], 16) / 255 for i in (0, 2, 4))
    return r, g, b, alpha


def _over(top: tuple[float, float, float, float], under: tuple[float, float, float]) -> tuple[float, float, float]:
    r, g, b, a = top
    return (r * a + under[0] * (1 - a), g * a + under[1] * (1 - a), b * a + under[2] * (1 - a))


def _luminance(rgb: tuple[float, float, float]) -> float:
    def channel(c: float) -> float:
        return c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4

    r, g, b = (channel(c) for c in rgb)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast(foreground: str, background: str, page: tuple[float, float, float]) -> float:
    back = _over(_rgba(background), page)
    fore = _over(_rgba(foreground), back)
    light, dark = sorted((_luminance(fore), _luminance(back)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _texts(node: Any, style: str) -> Iterator[tuple[str, str, bool]]:
    """(container style, colour, subtle) of every text a card shows, inheriting styles as the renderer does."""
    if isinstance(node, list):
        for item in node:
            yield from _texts(item, style)
        return
    if not isinstance(node, dict):
        return
    kind = node.get("type")
    if kind in ("Container", "Column", "ColumnSet") and node.get("style"):
        style = str(node["style"]).lower()
    if kind == "TextBlock":
        yield style, str(node.get("color", "default")).lower(), bool(node.get("isSubtle"))
    if kind == "TextRun":
        yield style, str(node.get("color", "default")).lower(), bool(node.get("isSubtle"))
    if kind == "FactSet":
        yield style, "default", False
    if kind == "Action.ShowCard":
        yield from _texts(node.get("card", {}), "emphasis")
        return
    for key, value in node.items():
        if key not in ("fallback", "refresh", "card"):
            yield from _texts(value, style)


def _used() -> dict[tuple[str, str, bool], set[str]]:
    used: dict[tuple[str, str, bool], set[str]] = {}
    for entry in entries():
        for combination in _texts(entry["card"], "default"):
            used.setdefault(combination, set()).add(entry["name"])
    return used


USED = _used()


@pytest.mark.parametrize("theme", THEMES)
def test_every_text_colour_on_every_container_style_meets_aa(theme: str) -> None:
    host = _host(theme)
    page = (1.0, 1.0, 1.0) if theme.endswith("light") else (0.0, 0.0, 0.0)
    failing = []
    for (style, colour, subtle), cards in sorted(USED.items()):
        container = host["containerStyles"][style]
        foreground = container["foregroundColors"][colour]["subtle" if subtle else "default"]
        ratio = contrast(foreground, container["backgroundColor"], page)
        if ratio < AA:
            shade = "subtle " if subtle else ""
            failing.append(f"{shade}{colour} on {style} ({ratio:.2f}:1), e.g. {sorted(cards)[:3]}")
    assert failing == [], "\n".join(failing)


def test_the_contrast_sum_is_right() -> None:
    """The formula itself: black on white is 21:1, white on white 1:1, and #767676 on white just passes AA."""
    white = (1.0, 1.0, 1.0)
    assert contrast("#000000", "#ffffff", white) == pytest.approx(21.0)
    assert contrast("#ffffff", "#ffffff", white) == pytest.approx(1.0)
    assert contrast("#767676", "#ffffff", white) == pytest.approx(4.54, abs=0.01)
    assert contrast("#00000000", "#ffffff", white) == pytest.approx(1.0), "a transparent colour shows the page"


def test_the_scan_sees_the_styled_containers_the_cards_use() -> None:
    """Text on the attention, warning, good and emphasis backgrounds is checked, not only on white; and the
    colours Teams offers for text fail on its own backgrounds, which is why the cards use none of them."""
    assert {"attention", "warning", "good", "emphasis"} <= {style for style, _, _ in USED}
    light = _host("microsoft-teams-light")["containerStyles"]
    yellow = light["warning"]["foregroundColors"]["warning"]["default"]
    assert contrast(yellow, light["warning"]["backgroundColor"], (1.0, 1.0, 1.0)) < AA
    dark = _host("microsoft-teams-dark")["containerStyles"]["default"]
    assert contrast(dark["foregroundColors"]["attention"]["default"], dark["backgroundColor"], (0, 0, 0)) < AA
