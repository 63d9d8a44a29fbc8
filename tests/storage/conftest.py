"""Storage tests use the `uow` fixture of tests/conftest.py: a unit-of-work factory on a clean database.

Tests of roles and of concurrent migrations need a server of their own to make scratch databases on:
`postgres_server`, the server of TEST_DATABASE_URL (skipped locally without it, like `database_url`).
"""

from __future__ import annotations

import os

import pytest
from sqlalchemy.engine import URL, make_url


@pytest.fixture
def postgres_server() -> URL:
    found = os.environ.get("TEST_DATABASE_URL", "")
    if not found.startswith("postgresql"):
        if os.environ.get("CI"):
            pytest.fail("CI needs PostgreSQL: set TEST_DATABASE_URL (.ci/run does)")
        pytest.skip("PostgreSQL tests need TEST_DATABASE_URL=postgresql+asyncpg://... (CI sets it)")
    return make_url(found)
