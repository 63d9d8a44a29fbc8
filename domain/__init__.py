"""Pure rules of step up / step down: no I/O, no framework."""
