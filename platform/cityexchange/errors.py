"""Errors a person sees: a page for browsers, JSON naming the parameter for the API."""

from __future__ import annotations

import logging

from flask import Flask, jsonify, render_template, request
from flask_babel import gettext
from flask_wtf.csrf import CSRFError
from marshmallow import ValidationError
from werkzeug.exceptions import HTTPException

from indexer import EngineMisconfigured, EngineUnavailable, QueryError

log = logging.getLogger(__name__)


class DomainError(Exception):
    """What a service refuses, said once: a page or JSON, by init_app() below.

    `field` names the input at fault (the API's `parameter`, the form's field).
    """

    status = 400

    def __init__(self, message: str, field: str | None = None, status: int | None = None,
                 errors: dict | None = None):
        super().__init__(message)
        self.message = message
        self.field = field
        if status is not None:
            self.status = status
        self.errors = errors or ({field: [message]} if field else {})

    @property
    def parameter(self) -> str | None:
        return self.field


class NotFound(DomainError):
    status = 404


class Forbidden(DomainError):
    status = 403


class FieldError(DomainError):
    """Input a person can correct: a form shows it beside the fields it names."""


class Invalid(FieldError):
    status = 400


class Conflict(FieldError):
    """Someone else changed the thing meanwhile (or took the name)."""

    status = 409


class SearchUnavailable(DomainError):
    """A stored search cannot run now: the engine is down, or the query no longer parses."""

    status = 503


# The older name, still used for a bad request parameter.
ApiError = Invalid


# Responses read by programs (feed readers, spreadsheets, scripts) get JSON errors too.
_JSON_PREFIXES = ("/api/", "/feeds/", "/search/export.")


def wants_json() -> bool:
    return request.path.startswith(_JSON_PREFIXES) or request.path == "/healthz"


def _json_error(status: int, message: str, parameter: str | None = None, errors=None):
    body = {"error": {"status": status, "message": message}}
    if parameter:
        body["error"]["parameter"] = parameter
    if errors:
        body["error"]["fields"] = errors
    return jsonify(body), status


def init_app(app: Flask) -> None:
    @app.errorhandler(DomainError)
    def _domain_error(error: DomainError):
        if wants_json():
            return _json_error(error.status, error.message, error.field, error.errors)
        # A page names the field too: the person sees which input to correct.
        message = f"{error.field}: {error.message}" if error.field else error.message
        return render_template("error.html", status=error.status, message=message), error.status

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
        if isinstance(error, EngineMisconfigured):
            # Waiting will not help: the engine refused the request (a 4xx).
            log.error("search engine refuses requests: %s", error)
            message = gettext("Search is unavailable: the search engine refused the request "
                              "because its index or settings need an operator's attention (see "
                              "/healthz). Case studies can still be read.")
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
