"""Scratch databases and roles on the tests' PostgreSQL server: unique names per run, dropped afterwards."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import create_async_engine


def unique_name(prefix: str) -> str:
    return f"{prefix}_{uuid.uuid4().hex[:12]}"


def quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def literal(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def url_for(server: URL, database: str, role: str | None = None, password: str | None = None) -> str:
    """A URL string with the user and password percent-encoded, as an administrator would write it."""
    url = server.set(database=database)
    if role is not None:
        url = url.set(username=role, password=password)
    return url.render_as_string(hide_password=False)


async def run_as_server_admin(server: URL, *statements: str) -> None:
    """Statements that cannot run in a transaction (CREATE DATABASE), as the tests' own, privileged, role."""
    engine = create_async_engine(server, isolation_level="AUTOCOMMIT")
    try:
        async with engine.connect() as conn:
            for statement in statements:
                await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()


@asynccontextmanager
async def scratch_roles(server: URL, *names_and_passwords: tuple[str, str]) -> AsyncIterator[None]:
    await run_as_server_admin(
        server,
        *(f"CREATE ROLE {quoted(name)} LOGIN PASSWORD {literal(password)}" for name, password in names_and_passwords),
    )
    try:
        yield
    finally:
        await run_as_server_admin(server, *(f"DROP ROLE IF EXISTS {quoted(name)}" for name, _ in names_and_passwords))


@asynccontextmanager
async def scratch_database(server: URL, name: str, owner: str | None = None) -> AsyncIterator[str]:
    """A new, empty database (owned by `owner`); dropped afterwards, whoever is still connected."""
    owned = f" OWNER {quoted(owner)}" if owner else ""
    await run_as_server_admin(server, f"CREATE DATABASE {quoted(name)}{owned}")
    try:
        yield name
    finally:
        await run_as_server_admin(server, f"DROP DATABASE IF EXISTS {quoted(name)} WITH (FORCE)")
