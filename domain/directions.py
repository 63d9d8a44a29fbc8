"""The directions a case can move in, as the procedures name them."""

from __future__ import annotations

from enum import StrEnum


class Direction(StrEnum):
    STEP_DOWN_EARLY_HELP = "step_down_early_help"
    STEP_DOWN_UNIVERSAL = "step_down_universal"
    STEP_UP = "step_up"
    STEP_ACROSS = "step_across"
    CO_WORK = "co_work"


DIRECTION_TITLES: dict[Direction, str] = {
    Direction.STEP_DOWN_EARLY_HELP: "Step down to early help",
    Direction.STEP_DOWN_UNIVERSAL: "Step down to universal services",
    Direction.STEP_UP: "Step up to social care",
    Direction.STEP_ACROSS: "Step across between social work services",
    Direction.CO_WORK: "Co-work request",
}

# What a social worker takes to the step-down clinic.
CLINIC_DIRECTIONS = (Direction.STEP_DOWN_EARLY_HELP, Direction.STEP_DOWN_UNIVERSAL)
