"""One blueprint per area of the portal."""

from flask import Flask

from cityexchange.blueprints import (
    admin_indexer,
    admin_users,
    api,
    api_docs,
    api_tokens,
    api_write,
    audit,
    auth,
    collections,
    contribute,
    curate,
    export,
    feeds,
    health,
    network,
    public,
    saved_searches,
    search,
)

BLUEPRINTS = (public, search, contribute, curate, collections, auth, api, api_write, api_docs,
              api_tokens, health, network, feeds, saved_searches, export, admin_users, admin_indexer, audit)


def register_blueprints(app: Flask) -> None:
    for module in BLUEPRINTS:
        app.register_blueprint(module.bp)
