"""The card renderers there are: every public `render_*` function defined in a module of `cards`."""

from __future__ import annotations

import importlib
import inspect
import pkgutil

import cards


def renderer_names() -> set[str]:
    found: set[str] = set()
    for module in pkgutil.iter_modules(cards.__path__):
        loaded = importlib.import_module(f"cards.{module.name}")
        for name, fn in inspect.getmembers(loaded, inspect.isfunction):
            if name.startswith("render_") and fn.__module__ == loaded.__name__:
                found.add(name)
    return found
