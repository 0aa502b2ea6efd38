"""The `cityex` command line (also reachable as `flask --app cityexchange ...`)."""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask, current_app
from flask.cli import FlaskGroup, with_appcontext
from marshmallow import ValidationError
from werkzeug.serving import run_simple

log = logging.getLogger("cityexchange.cli")


def _create_app(*_args, **_kwargs) -> Flask:
    from cityexchange import create_app

    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main():
    """CityExchange: case studies of partner cities, searchable across languages."""


def register_commands(app: Flask) -> None:
    for command in (serve, demo, import_command, index, indexer, user, initdb, concepts, mail,
                    alerts):
        app.cli.add_command(command)


def _serve(host: str, port: int) -> None:
    click.echo(f"CityExchange portal on http://{host}:{port}/ (Ctrl+C to stop)")
    # Not app.run(): Flask ignores it inside a `flask`/FlaskGroup command.
    run_simple(host, port, current_app._get_current_object(), use_reloader=False, threaded=True)


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@with_appcontext
def serve(host, port):
    """Run the portal (development server; gunicorn in production)."""
    _serve(host, port)


@click.command("init-db")
@with_appcontext
def initdb():
    """Create or upgrade the database schema (Alembic migrations)."""
    from cityexchange.services.database import init_database

    init_database()
    click.echo("database is at the newest schema")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the data and build the index, then exit.")
@with_appcontext
def demo(host, port, no_serve):
    """Create the database if needed, load the demo data, build the index, serve."""
    from cityexchange.services.demo import load_demo
    from cityexchange.services.indexing import rebuild_index

    _ensure_database()
    summary = load_demo()
    click.echo(
        f"demo data: {summary['cities']} cities, {summary['partnerships']} partnerships, "
        f"{summary['case_studies']} case studies, {summary['users']} users"
    )
    for account in summary["accounts"]:
        click.echo(f"  log in as {account['email']} / {account['password']} ({account['role']})")
    name = rebuild_index()
    click.echo(f"search index built: {name}")
    if not no_serve:
        _serve(host, port)


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--publish", is_flag=True, help="Publish the imported case studies.")
@with_appcontext
def import_command(file, publish):
    """Bulk-import case studies from a JSON Lines file.

    Good lines are committed even when others are rejected; the exit code is 1
    if any line was rejected.
    """
    from cityexchange.services.importer import import_lines

    _ensure_database()
    report = import_lines(file, publish=publish)
    for error in report.errors:
        click.echo(f"line {error.line}: {error.message}", err=True)
    click.echo(
        f"imported {report.imported} case studies ({report.created} new, "
        f"{report.updated} updated); {len(report.errors)} lines rejected"
    )
    if report.errors:
        sys.exit(1)


def _ensure_database() -> None:
    """Create or upgrade a database Alembic manages (or an empty one).

    A database made by `db.create_all()` (the tests' fixtures) has no version
    table; migrating it would try to create its tables again.
    """
    from sqlalchemy import inspect
    from sqlalchemy.exc import OperationalError

    from cityexchange.extensions import db
    from cityexchange.services.database import init_database

    try:
        inspector = inspect(db.engine)
        managed = inspector.has_table("alembic_version") or not inspector.get_table_names()
    except OperationalError:  # e.g. a SQLite file whose folder does not exist yet
        managed = True
    if managed:
        init_database()


@click.group()
def index():
    """Manage the search index."""


@index.command("rebuild")
@with_appcontext
def index_rebuild():
    """Build a fresh index from the database and switch to it atomically."""
    from cityexchange.services.indexing import rebuild_index

    click.echo(f"search index rebuilt: {rebuild_index()}")


@click.group()
def indexer():
    """The indexer worker."""


@indexer.command("run")
@click.option("--once", is_flag=True, help="Drain until the outbox is empty, then exit.")
@click.option("--poll", default=1.0, show_default=True, help="Seconds between polls.")
@click.option("--max-backoff", default=30.0, show_default=True)
@click.option("--max-attempts", default=0, help="With --once: give up after N failures (0: never).")
@with_appcontext
def indexer_run(once, poll, max_backoff, max_attempts):
    """Drain the outbox into the search engine, backing off while it is down."""
    from cityexchange.services.indexing import run_indexer

    ok = run_indexer(once=once, poll=poll, max_backoff=max_backoff, max_attempts=max_attempts,
                     echo=click.echo)
    if not ok:
        sys.exit(2)


@click.group()
def concepts():
    """Thesaurus concepts of the case studies."""


@concepts.command("detect")
@with_appcontext
def concepts_detect():
    """Find the concepts in every case study again (after upgrading, or a thesaurus change)."""
    from cityexchange.services.tagging import detect_all

    changed, total = detect_all()
    click.echo(f"concepts found again in {total} case studies; {changed} changed")


@click.group()
def mail():
    """Outgoing e-mail."""


@mail.command("send")
@with_appcontext
def mail_send():
    """Send the queued e-mails (for cron); what cannot be sent now stays queued.

    Exit code 2 when the SMTP server could not be reached (the mails wait).
    """
    from cityexchange.services.mail import MailConfigError, send_queued

    try:
        report = send_queued()
    except MailConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"mail: {report.sent} sent, {report.failed} refused for good, "
               f"{report.deferred} still queued")
    if report.error:
        click.echo(f"SMTP server unavailable: {report.error}", err=True)
        sys.exit(2)


@click.group()
def alerts():
    """E-mail alerts of saved searches."""


@alerts.command("send")
@with_appcontext
def alerts_send():
    """Queue the daily and weekly digests that are due (for cron), then send the queue."""
    from cityexchange.services.alerts import send_due_digests
    from cityexchange.services.mail import MailConfigError, send_queued

    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        queued = send_due_digests()
    click.echo(f"alerts: {queued} digest(s) queued")
    try:
        report = send_queued()
    except MailConfigError as error:
        click.echo(str(error), err=True)
        sys.exit(1)
    click.echo(f"mail: {report.sent} sent, {report.failed} refused for good, "
               f"{report.deferred} still queued")


@click.group()
def user():
    """Manage users."""


@user.command("create")
@click.option("--email", required=True)
@click.option("--city", default=None)
@click.option("--role", type=click.Choice(["contributor", "coordinator", "admin"]),
              default="contributor", show_default=True)
@click.option("--name", default="")
@click.password_option()
@with_appcontext
def user_create(email, city, role, name, password):
    """Create a user (a contributor belongs to a city)."""
    from cityexchange.services.users import create_user

    try:
        created = create_user(
            {"email": email, "city": city, "role": role, "name": name, "password": password}
        )
    except ValidationError as error:
        for field_name, messages in error.messages.items():
            click.echo(f"{field_name}: {' '.join(messages)}", err=True)
        sys.exit(1)
    click.echo(f"created {created.role} {created.email}")


if __name__ == "__main__":
    main()
