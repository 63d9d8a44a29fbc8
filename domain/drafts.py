"""A draft of a multi-step card flow, as the flow sees it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True)
class Draft:
    id: int
    tenant_id: str
    object_id: str
    flow: str
    data: dict[str, Any]
    version: int
    updated_at: datetime
    expires_at: datetime
