"""The `cityex` command line (also reachable as `flask --app cityexchange ...`)."""

from __future__ import annotations

import logging
import sys

import click
from flask import Flask, current_app
from flask.cli import with_appcontext
from marshmallow import ValidationError
from sqlalchemy import inspect
from sqlalchemy.exc import OperationalError
from werkzeug.serving import run_simple

from cityexchange.logging_setup import use_console_logging
from cityexchange.progress import progress
from cityexchange.extensions import db
from cityexchange.services.concept_refresh import detect_all
from cityexchange.services.database import init_database
from cityexchange.services.demo import load_demo
from cityexchange.services.importer import import_lines
from cityexchange.search_engine import get_engine
from cityexchange.services.alerts import send_due_digests
from cityexchange.services.backup import BackupError
from cityexchange.services.backup import export_all as write_backup
from cityexchange.services.backup import import_all as restore
from cityexchange.services.indexing import (
    UnknownOutboxRow,
    backfill,
    count_set_aside,
    outbox_status,
    rebuild_index,
    retry_set_aside,
    run_indexer,
)
from cityexchange.services.mail import MailConfigError, send_queued
from cityexchange.services.users import create_user
from indexer import EngineUnavailable

log = logging.getLogger("cityexchange.cli")


def register_commands(app: Flask) -> None:
    for command in (serve, demo, import_command, export_all, import_all, index, indexer, user,
                    initdb, concepts, mail, alerts):
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
    use_console_logging()
    _serve(host, port)


@click.command("init-db")
@with_appcontext
def initdb():
    """Create or upgrade the database schema (Alembic migrations)."""
    init_database()
    click.echo("database is at the newest schema")


@click.command()
@click.option("--host", default="127.0.0.1", show_default=True)
@click.option("--port", default=5000, show_default=True, type=int)
@click.option("--no-serve", is_flag=True, help="Load the data and build the index, then exit.")
@with_appcontext
def demo(host, port, no_serve):
    """Create the database if needed, load the demo data, build the index, serve."""
    use_console_logging()
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
    _backfill_vectors()
    if not no_serve:
        _serve(host, port)


QUIET = click.option("--quiet", is_flag=True,
                     help="No progress bar, only the summary line (also when not on a terminal).")


@click.command("import")
@click.argument("file", type=click.File("rb"))
@click.option("--publish", is_flag=True, help="Publish the imported case studies.")
@click.option("--wait-for-vectors", is_flag=True,
              help="Then compute the imported case studies' vectors (meaning search) and wait.")
@QUIET
@with_appcontext
def import_command(file, publish, wait_for_vectors, quiet):
    """Bulk-import case studies from a JSON Lines file.

    Good lines are committed even when others are rejected; they are searchable
    by their words at once, by meaning once the worker (or --wait-for-vectors)
    computed their vectors. Exit status: 0 every line imported, 1 some lines
    rejected, 2 nothing imported.
    """
    _ensure_database()
    with progress("import", quiet=quiet) as tracker:
        report = import_lines(file, publish=publish, tracker=tracker)
    for error in report.errors:
        click.echo(f"line {error.line}: {error.message}", err=True)
    for warning in report.warnings:
        click.echo(f"line {warning.line} (imported): {warning.message}", err=True)
    click.echo(
        f"imported {report.imported} case studies ({report.created} new, "
        f"{report.updated} updated); {len(report.errors)} lines rejected {tracker.summary()}"
    )
    if wait_for_vectors and report.imported:
        _backfill_vectors(quiet)
    sys.exit(report.exit_status)


@click.command("export-all")
@click.argument("file", type=click.File("w", encoding="utf-8", lazy=True))
@click.option("--with-password-hashes", is_flag=True,
              help="Include password hashes (keep the file secret), so accounts can log in after a restore.")
@with_appcontext
def export_all(file, with_password_hashes):
    """Back up the database as JSON Lines (`-` for standard output)."""
    counts = write_backup(file, with_password_hashes=with_password_hashes)
    file.close()
    rows = ", ".join(f"{count} {table}" for table, count in counts.items() if count)
    click.echo(f"exported {rows or 'nothing'}"
               f"{'' if with_password_hashes else ' (no password hashes)'}", err=True)


@click.command("import-all")
@click.argument("file", type=click.File("r", encoding="utf-8"))
@with_appcontext
def import_all(file):
    """Restore a backup made by `cityex export-all` into an empty database, then rebuild the index."""
    _ensure_database()
    try:
        summary = restore(file)
    except BackupError as error:
        click.echo(f"not restored: {error}", err=True)
        sys.exit(1)
    click.echo("restored " + ", ".join(f"{n} {table}" for table, n in summary.counts.items()))
    if not summary.password_hashes:
        click.echo("the backup has no password hashes: restored accounts cannot log in "
                   "until they get a new password", err=True)
    try:
        click.echo(f"search index rebuilt: {rebuild_index()}")
    except EngineUnavailable as error:
        click.echo(f"the search engine is unavailable ({error}): run `cityex index rebuild` "
                   "once it is back", err=True)
        sys.exit(2)


def _ensure_database() -> None:
    """Create or upgrade a database Alembic manages (or an empty one).

    A database made by `db.create_all()` (the tests' fixtures) has no version
    table; migrating it would try to create its tables again.
    """
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
@QUIET
@with_appcontext
def index_rebuild(quiet):
    """Build a fresh index from the database and switch to it atomically."""
    with progress("rebuild", quiet=quiet) as tracker:
        name = rebuild_index(tracker=tracker)
    click.echo(f"search index rebuilt: {name} ({tracker.done} case studies "
               f"{tracker.summary()})")


@index.command("vectors")
@QUIET
@with_appcontext
def index_vectors(quiet):
    """Compute the missing case-study vectors (meaning search) and re-index those."""
    _backfill_vectors(quiet)


def _backfill_vectors(quiet: bool = False) -> None:
    with progress("vectors", quiet=quiet) as tracker:
        done = backfill(get_engine(), tracker=tracker)
    click.echo(f"vectors: {done} case studies embedded {tracker.summary()}" if done
               else "vectors: all up to date")


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
    # On start, say what an operator must fix; the worker runs anyway.
    warning = get_engine().health().get("warning")
    if warning:
        click.echo(f"warning: {warning}", err=True)
    if set_aside := count_set_aside():
        click.echo(f"warning: {set_aside} outbox row(s) set aside: see `cityex indexer status`",
                   err=True)
    ok = run_indexer(once=once, poll=poll, max_backoff=max_backoff, max_attempts=max_attempts,
                     echo=click.echo)
    if not ok:
        sys.exit(2)


@indexer.command("status")
@with_appcontext
def indexer_status():
    """Rows waiting in the outbox, and the rows set aside because the engine refused them."""
    status = outbox_status()
    click.echo(f"outbox: {status.pending} pending, {len(status.set_aside)} set aside")
    for entry in status.set_aside:
        click.echo(f"  #{entry.id}  case study {entry.case_study_id}  {entry.op}  "
                   f"attempts {entry.attempts}  set aside {entry.set_aside_at:%Y-%m-%d %H:%M:%S} UTC"
                   f"\n      {entry.last_error}")
    if status.set_aside:
        click.echo("retry with `cityex indexer retry ID` or `cityex indexer retry --all` "
                   "once the cause is fixed")


@indexer.command("retry")
@click.argument("entry_id", required=False, type=int)
@click.option("--all", "retry_all", is_flag=True, help="Retry every set-aside row.")
@with_appcontext
def indexer_retry(entry_id, retry_all):
    """Put set-aside outbox rows back in the queue (the worker drains them next)."""
    if (entry_id is None) == (not retry_all):
        raise click.UsageError("give one row ID or --all")
    try:
        count = retry_set_aside(None if retry_all else entry_id)
    except UnknownOutboxRow as error:
        raise click.ClickException(str(error)) from error
    click.echo(f"{count} outbox row(s) queued again")


@click.group()
def concepts():
    """Thesaurus concepts of the case studies."""


@concepts.command("detect")
@with_appcontext
def concepts_detect():
    """Find the concepts in every case study again (after upgrading, or a thesaurus change)."""
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
    _send_mail_queue()


def _send_mail_queue() -> None:
    """Send the queue and say how it went; exit 1 on bad mail settings, 2 when the SMTP
    server cannot be reached (the mails stay queued for the next run)."""
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
    with current_app.test_request_context(base_url=current_app.config["PUBLIC_URL"]):
        queued = send_due_digests()
    click.echo(f"alerts: {queued} digest(s) queued")
    _send_mail_queue()


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
    try:
        created = create_user(
            {"email": email, "city": city, "role": role, "name": name, "password": password}
        )
    except ValidationError as error:
        for field_name, messages in error.messages.items():
            click.echo(f"{field_name}: {' '.join(messages)}", err=True)
        sys.exit(1)
    click.echo(f"created {created.role} {created.email}")
