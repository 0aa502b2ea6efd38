"""Who calls the JSON API: a personal token (Authorization: Bearer) or the browser session.

A token request carries no cookie a browser would send on its own, so it needs
no CSRF token; a session-cookie request that writes must pass CSRF like a form.
"""

from __future__ import annotations

from flask import current_app, request
from flask_login import current_user
from werkzeug.datastructures import WWWAuthenticate
from werkzeug.exceptions import Unauthorized

from cityexchange.extensions import csrf
from cityexchange.services import api_tokens

REALM = "CityExchange API"


def unauthorized(message: str, error: str | None = None) -> Unauthorized:
    """401 with the WWW-Authenticate challenge RFC 6750 asks for."""
    parameters = {"realm": REALM}
    if error:
        parameters["error"] = error
    return Unauthorized(message, www_authenticate=WWWAuthenticate("Bearer", parameters))


def bearer_user():
    """The user of the request's bearer token; None without an Authorization header.

    A header that is not a valid, active token is a 401, never anonymous access.
    """
    header = request.headers.get("Authorization")
    if header is None:
        return None
    scheme, _, secret = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not secret.strip():
        raise unauthorized("Send the token as 'Authorization: Bearer <token>'.",
                           "invalid_request")
    user = api_tokens.authenticate(secret.strip())
    if user is None:
        raise unauthorized("This API token is unknown or revoked. Create a new one on "
                           "/account/tokens.", "invalid_token")
    return user


def optional_user():
    """The token's user, else the logged-in session user, else None (reads need no CSRF)."""
    user = bearer_user()
    if user is not None:
        return user
    return current_user._get_current_object() if current_user.is_authenticated else None


def writing_user():
    """The caller of a write endpoint: 401 when anonymous; a session must pass CSRF."""
    user = bearer_user()
    if user is not None:
        return user
    if not current_user.is_authenticated:
        raise unauthorized("This endpoint needs an API token: send 'Authorization: Bearer "
                           "<token>' (create one on /account/tokens).")
    if current_app.config.get("WTF_CSRF_ENABLED", True):
        csrf.protect()  # CSRFError: a JSON 400 under /api/
    return current_user._get_current_object()
