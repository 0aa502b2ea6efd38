"""One blueprint per area of the portal."""

from flask import Flask

from cityexchange.blueprints import (
    admin_indexer,
    admin_users,
    alerts,
    api,
    api_docs,
    api_tokens,
    api_write,
    audit,
    auth,
    cite,
    collections,
    contribute,
    curate,
    export,
    feeds,
    health,
    messages,
    network,
    public,
    saved_searches,
    search,
)

BLUEPRINTS = (public, search, contribute, curate, collections, auth, api, api_write, api_docs,
              api_tokens, health, network, feeds, saved_searches, export, admin_users,
              admin_indexer, audit, messages, alerts, cite)


def register_blueprints(app: Flask) -> None:
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
