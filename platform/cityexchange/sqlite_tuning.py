"""Connection settings for a SQLite database of record.

WAL lets the portal's readers and the indexer worker run while one writer
commits, and with synchronous=NORMAL a commit no longer waits for the disk
(it survives an application crash; a power cut may lose the last commits,
never the file's consistency). Without it every line of an import, committed
as its own savepoint by pysqlite, cost a disk sync (~30 ms).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import event

from cityexchange.extensions import db


def init_app(app: Flask) -> None:
    if not app.config["SQLALCHEMY_DATABASE_URI"].startswith("sqlite"):
        return
    with app.app_context():
        engine = db.engine
    if not event.contains(engine, "connect", _on_connect):
        event.listen(engine, "connect", _on_connect)


def _on_connect(dbapi_connection, _record) -> None:
    cursor = dbapi_connection.cursor()
    try:
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA synchronous=NORMAL")
    finally:
        cursor.close()
