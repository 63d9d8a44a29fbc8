"""Storage tests use the `uow` fixture of tests/conftest.py: a unit-of-work factory on a clean database."""
