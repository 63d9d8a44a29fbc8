"""The base of every card action payload; each capability's cards define their own subclasses.

What a person types reaches the bot here first, so the rules for any text are kept here once: no control
characters but tab, newline and carriage return (a NUL breaks PostgreSQL, and none is ever meant), no
bidirectional overrides or isolates (they make text read other than it is stored), nothing longer than
`TEXT_MAX`. A refusal names the field, never echoes the text (`hide_input_in_errors`: not even in a log).
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any, ClassVar

from pydantic import BaseModel, ConfigDict, Field, model_validator
from pydantic_core import PydanticCustomError

# The largest value a stored id (BIGINT) and a stored version (INTEGER) can hold.
ID_MAX = 2**63 - 1
VERSION_MAX = 2**31 - 1
TEXT_MAX = 5000
_NOT_TEXT = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")
CONTROL_CHARACTER = "control_character"
TEXT_TOO_LONG = "text_too_long"


def text_problem(field: str, value: str) -> PydanticCustomError | None:
    """Why a piece of text can't be taken, as the error the router turns into words; None when it can."""
    if len(value) > TEXT_MAX:
        return PydanticCustomError(TEXT_TOO_LONG, "{field} is too long", {"field": field})
    if _NOT_TEXT.search(value):
        return PydanticCustomError(CONTROL_CHARACTER, "{field} holds a character that can't be used", {"field": field})
    return None


class ActionPayload(BaseModel):
    """What a card button sends back: the verb, the payload version, and the fields of its model."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True, hide_input_in_errors=True)

    verb: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$", max_length=64)
    v: int = Field(1, ge=1, le=1, description="payload version; bump when the fields change")

    @model_validator(mode="before")
    @classmethod
    def _only_plain_text(cls, data: Any) -> Any:
        if isinstance(data, dict):
            for key, value in data.items():
                problem = text_problem(str(key), value) if isinstance(value, str) else None
                if problem is not None:
                    raise problem
        return data


class RecordAction(ActionPayload):
    """An action on a stored record carries its id and the version the card was drawn from."""

    record_id: int = Field(ge=1, le=ID_MAX)
    version: int = Field(ge=1, le=VERSION_MAX)


class WithToggles(ActionPayload):
    """A form whose checklist toggles arrive as `<prefix><item key>` fields, each "true" or "false"."""

    model_config = ActionPayload.model_config | {"extra": "allow"}
    toggle_prefix: ClassVar[str] = ""

    @model_validator(mode="after")
    def _toggles_are_toggles(self) -> WithToggles:
        extra = self.model_extra or {}
        key = re.compile(rf"^{re.escape(self.toggle_prefix)}[a-z][a-z0-9_]{{0,39}}$")
        if len(extra) > 40:
            raise PydanticCustomError("too_many_toggles", "too many checklist items")
        for name, value in extra.items():
            if not key.match(name):
                raise PydanticCustomError("extra_forbidden", "{field} is not a field of this card", {"field": name})
            if value not in (True, False, "true", "false"):
                raise PydanticCustomError("toggle", "{field} must be ticked or not", {"field": name})
        return self

    def toggled(self) -> dict[str, bool]:
        """The items, by key, each ticked or not."""
        extra = self.model_extra or {}
        return {k[len(self.toggle_prefix) :]: v in (True, "true") for k, v in extra.items()}


class ShowHelp(ActionPayload):
    """The Help button."""


def form_date(value: str) -> date | None:
    """A date input's value (ISO, as the card sends it) as a date; None when empty or not a date."""
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None
