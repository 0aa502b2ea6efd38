"""Errors a person sees: a page for browsers, JSON naming the parameter for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from indexer import EngineUnavailable, QueryError

log = logging.getLogger(__name__)


class ApiError(Exception):
    """A client error in an API call: 400 with the offending parameter."""

    def __init__(self, message: str, parameter: str | None = None, status: int = 400,
                 errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.parameter = parameter
        self.status = status
        self.errors = errors or ({parameter: [message]} if parameter else {})


def wants_json() -> bool:
    return request.path.startswith("/api/") or request.path == "/healthz"


def _json_error(status: int, message: str, parameter: str | None = None, errors=None):
    body = {"error": {"status": status, "message": message}}
    if parameter:
        body["error"]["parameter"] = parameter
    if errors:
        body["error"]["fields"] = errors
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(ApiError)
    def _api_error(error: ApiError):
        return _json_error(error.status, error.message, error.parameter, error.errors)

    @app.errorhandler(QueryError)
    def _query_error(error: QueryError):
        if wants_json():
            return _json_error(400, error.message, error.parameter)
        return render_template("error.html", status=400, message=error.message), 400

    @app.errorhandler(ValidationError)
    def _validation_error(error: ValidationError):
        fields = error.messages if isinstance(error.messages, dict) else {"_": error.messages}
        first = next(iter(fields), None)
        return _json_error(400, f"invalid value for '{first}'", first, fields)

    @app.errorhandler(EngineUnavailable)
    def _engine_down(error: EngineUnavailable):
        log.warning("search engine unavailable: %s", error)
        message = gettext("Search is unavailable at the moment. Case studies can still be read; "
                          "please try the search again in a few minutes.")
        if wants_json():
            return _json_error(503, message)
        return render_template("error.html", status=503, message=message), 503

    @app.errorhandler(HTTPException)
    def _http_error(error: HTTPException):
        if wants_json():
            response, status = _json_error(error.code or 500, error.description or error.name)
            # WWW-Authenticate on a 401, Allow on a 405: part of the answer, kept.
            for name, value in error.get_headers():
                if name.lower() != "content-type":
                    response.headers.add(name, value)
            return response, status
        return (
            render_template("error.html", status=error.code, message=page_message(error)),
            error.code,
        )

    @app.errorhandler(Exception)
    def _unexpected(error: Exception):
        log.exception("unhandled error on %s %s", request.method, request.path)
        message = gettext("Something went wrong on our side. The error has been logged.")
        if wants_json():
            return _json_error(500, message)
        return render_template("error.html", status=500, message=message), 500


def page_message(error: HTTPException) -> str:
    """Werkzeug's own descriptions are English; a page shows ours, in the reader's language.
    A description a view gave (translated where it was raised) is kept."""
    if isinstance(error, CSRFError):
        return gettext("The form's security token (CSRF) expired or was missing, so nothing "
                       "was changed. Go back, reload the page and try again.")
    if error.description != type(error).description:
        return error.description
    generic = {
        400: gettext("The request could not be understood. Go back, check what you entered "
                     "and try again."),
        401: gettext("Please log in to see this page."),
        403: gettext("You are not allowed to see this page. If you think you should be, ask "
                     "a network coordinator."),
        404: gettext("This page does not exist. It may have been moved or deleted; try the "
                     "search."),
        405: gettext("This address does not accept that kind of request."),
        413: gettext("What you sent is too large."),
        429: gettext("Too many requests in a short time. Please wait a moment and try again."),
    }
    return generic.get(error.code, gettext("The request could not be completed."))
