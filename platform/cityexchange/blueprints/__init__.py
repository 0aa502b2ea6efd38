"""One blueprint per area of the portal."""

from flask import Flask


def register_blueprints(app: Flask) -> None:
    from cityexchange.blueprints import (
        api, api_docs, api_tokens, api_write, auth, collections, contribute, curate, health,
        network, public, search)

    app.register_blueprint(public.bp)
    app.register_blueprint(search.bp)
    app.register_blueprint(contribute.bp)
    app.register_blueprint(curate.bp)
    app.register_blueprint(collections.bp)
    app.register_blueprint(auth.bp)
    app.register_blueprint(api.bp)
    app.register_blueprint(api_write.bp)
    app.register_blueprint(api_docs.bp)
    app.register_blueprint(api_tokens.bp)
    app.register_blueprint(health.bp)
    app.register_blueprint(network.bp)
    _register_curation_and_feeds(app)
    _register_messages_and_alerts(app)


def _register_curation_and_feeds(app: Flask) -> None:
    """Feeds, saved searches, exports and the user administration."""
    from cityexchange.blueprints import admin_users, export, feeds, saved_searches

    for blueprint in (feeds.bp, saved_searches.bp, export.bp, admin_users.bp):
        app.register_blueprint(blueprint)


def _register_messages_and_alerts(app: Flask) -> None:
    """“Ask this city”, e-mail alerts of saved searches, citing and exporting a case study."""
    from cityexchange.blueprints import alerts, cite, messages

    app.register_blueprint(messages.bp)
    app.register_blueprint(alerts.bp)
    app.register_blueprint(cite.bp)
