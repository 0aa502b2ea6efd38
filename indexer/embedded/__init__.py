"""The embedded engine: SQLite FTS5 with Snowball-stemmed columns, no server."""
