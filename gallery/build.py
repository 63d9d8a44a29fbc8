"""Write every card the gallery shows as JSON, with an index the renderer reads (`make cards`).

    python -m gallery.build --out build/gallery

Each renderer appears with its typical data (`gallery.typical`) and its worst case (`gallery.worst`, the largest
input it is given in practice, which the card catalogue test checks against the schema and Teams' size limit).
The Node renderer (`gallery/render.mjs`) then draws each through the Adaptive Cards JavaScript renderer with
Teams' light host config, in headless Chromium, and writes the PNGs and an index page.
"""

from __future__ import annotations

import argparse
import json
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

from gallery.renderers import renderer_names
from gallery.typical import TYPICAL
from gallery.worst import WORST_CASES


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", name.lower()).strip("-")


def entries() -> list[dict[str, Any]]:
    """Every card of the gallery, typical first, grouped by renderer in name order."""
    found: list[dict[str, Any]] = []
    sets: tuple[tuple[str, dict[str, Callable[[], dict[str, Any]]]], ...] = (
        ("typical", TYPICAL),
        ("worst case", WORST_CASES),
    )
    for renderer in sorted(renderer_names()):
        for variant, cases in sets:
            for name in sorted(n for n in cases if n.split("[")[0] == renderer):
                found.append({"renderer": renderer, "name": name, "variant": variant, "card": cases[name]()})
    return found


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=Path("build/gallery"))
    args = parser.parse_args(argv)
    out: Path = args.out
    (out / "cards").mkdir(parents=True, exist_ok=True)
    index = []
    for entry in entries():
        stem = f"{_slug(entry['name'])}--{_slug(entry['variant'])}"
        (out / "cards" / f"{stem}.json").write_text(json.dumps(entry["card"], indent=1), encoding="utf-8")
        index.append({k: entry[k] for k in ("renderer", "name", "variant")} | {"stem": stem})
    (out / "index.json").write_text(json.dumps(index, indent=1), encoding="utf-8")
    print(f"{len(index)} cards from {len(renderer_names())} renderers written to {out / 'cards'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
