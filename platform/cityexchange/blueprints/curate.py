"""Network coordinators curate collections."""

from flask import Blueprint

bp = Blueprint("curate", __name__, url_prefix="/curate")
