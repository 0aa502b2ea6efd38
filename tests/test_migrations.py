"""The Alembic migrations build exactly the schema the models declare.

A model change without a migration makes compare_metadata report a
difference, and this test fails.
"""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from cityexchange import create_app
from cityexchange.extensions import db
from cityexchange.services.database import init_database
from tests.conftest import make_config


def test_migrations_build_the_schema_of_the_models(tmp_path):
    app = create_app(make_config(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'fresh.sqlite3'}"))
    with app.app_context():
        init_database()
        with db.engine.connect() as connection:
            # Compare types too (String lengths, JSON, ...), not only tables and columns.
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, db.metadata)
            tables = set(inspect(connection).get_table_names())
        db.engine.dispose()

    assert differences == [], f"models and migrations differ; add a migration: {differences}"
    assert {"case_studies", "outbox", "users", "cities", "alembic_version"} <= tables


def test_migrating_twice_is_harmless(tmp_path):
    url = f"sqlite:///{tmp_path / 'not-yet' / 'x.sqlite3'}"  # the folder is created too
    app = create_app(make_config(tmp_path, DATABASE_URL=url))
    with app.app_context():
        init_database()
        init_database()
        with db.engine.connect() as connection:
            head = MigrationContext.configure(connection).get_current_revision()
        db.engine.dispose()

    assert head is not None
