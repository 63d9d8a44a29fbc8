"""The application's least-privilege database role on PostgreSQL: what `stepbot grant` gives it.

The role that runs `stepbot migrate` owns the schema, and with it the audit trail's guards. The role in
`DATABASE_URL` for `stepbot serve` owns nothing: it reads and writes the working tables, may only read and
add to the audit trail, and can change no table, trigger or function, so it cannot undo the guards.
"""

from __future__ import annotations

from sqlalchemy import text

from storage.database import create_engine
from storage.tables import AuditEventRow, Base

# Read and appended to, never changed or emptied.
APPEND_ONLY_TABLES = frozenset({AuditEventRow.__tablename__})
# Alembic's own bookkeeping: the application never needs it.
MIGRATION_TABLES = ("alembic_version",)


class GrantRefused(Exception):
    """The grant would not give a least-privilege role; the message says what to change."""


def grant_statements(app_role: str, *, schema: str, database: str, quote: dict[str, str]) -> list[str]:
    """The statements, in order. `quote` maps each identifier to its quoted form.

    Everything is revoked first, so running it again (after each `stepbot migrate`) also takes back
    any right given by hand meanwhile.
    """
    role, schema_name = quote[app_role], quote[schema]
    tables = [table.name for table in Base.metadata.sorted_tables]
    working = ", ".join(quote[name] for name in tables if name not in APPEND_ONLY_TABLES)
    append_only = ", ".join(quote[name] for name in tables if name in APPEND_ONLY_TABLES)
    everything = ", ".join(quote[name] for name in [*tables, *MIGRATION_TABLES])
    return [
        f"GRANT CONNECT ON DATABASE {quote[database]} TO {role}",
        # No CREATE on the schema for anyone but its owner (PostgreSQL 15 already has it so; older
        # versions give it to PUBLIC, and there only the schema's owner can take it back).
        f"REVOKE CREATE ON SCHEMA {schema_name} FROM PUBLIC",
        f"GRANT USAGE ON SCHEMA {schema_name} TO {role}",
        f"REVOKE ALL ON TABLE {everything} FROM {role}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON TABLE {working} TO {role}",
        f"GRANT SELECT, INSERT ON TABLE {append_only} TO {role}",
        # The ids come from sequences: nextval needs USAGE.
        f"GRANT USAGE ON ALL SEQUENCES IN SCHEMA {schema_name} TO {role}",
    ]


async def grant_application_role(url: str, app_role: str) -> list[str]:
    """Connected as the schema's owner (the migration role), give `app_role` its rights; the statements run."""
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            if conn.dialect.name != "postgresql":
                raise GrantRefused("database roles are a PostgreSQL set-up: SQLite has no roles")
            owner, schema, database, migrated, exists, inherits = (
                await conn.execute(
                    text(
                        "SELECT current_user, current_schema(), current_database(), "
                        "to_regclass('alembic_version') IS NOT NULL, "
                        "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role), "
                        "EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role "
                        "        AND (rolsuper OR pg_has_role(:role, current_user, 'MEMBER')))"
                    ),
                    {"role": app_role},
                )
            ).one()
            if not migrated:
                raise GrantRefused(f"{database!r} has no tables yet: run `stepbot migrate` first, as this role")
            if not exists:
                raise GrantRefused(f"there is no role {app_role!r}: create it first (README, section 6)")
            if app_role == owner:
                raise GrantRefused(
                    f"DATABASE_URL connects as {app_role!r} itself: connect as the role that ran `stepbot migrate` "
                    "and name the application's own role"
                )
            if inherits:
                raise GrantRefused(
                    f"{app_role!r} is a superuser or a member of {owner!r}, which owns the tables, so it could "
                    "drop the audit trail's guards: give the application a role of its own"
                )
            preparer = conn.dialect.identifier_preparer
            names = [app_role, schema, database, *(t.name for t in Base.metadata.sorted_tables), *MIGRATION_TABLES]
            quote = {name: preparer.quote_identifier(name) for name in names}
            statements = grant_statements(app_role, schema=schema, database=database, quote=quote)
            for statement in statements:
                # Sent as it is: a quoted name may hold a colon, which text() would take for a parameter.
                await conn.exec_driver_sql(statement)
    finally:
        await engine.dispose()
    return statements
