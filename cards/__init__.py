"""Adaptive Card 1.5 builders: data in, card JSON out; no I/O."""
