"""The base of every card action payload; each capability's cards define their own subclasses."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class ActionPayload(BaseModel):
    """What a card button sends back: the verb, the payload version, and the fields of its model."""

    model_config = ConfigDict(extra="forbid", frozen=True, str_strip_whitespace=True)

    verb: str = Field(pattern=r"^[a-z_]+\.[a-z_]+$", max_length=64)
    v: int = Field(1, ge=1, le=1, description="payload version; bump when the fields change")


class RecordAction(ActionPayload):
    """An action on a stored record carries its id and the version the card was drawn from."""

    record_id: int = Field(ge=1)
    version: int = Field(ge=1)


class ShowHelp(ActionPayload):
    """The Help button."""
