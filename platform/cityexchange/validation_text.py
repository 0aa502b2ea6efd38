"""marshmallow's own messages ("Missing data for required field.") in the reader's language.

marshmallow fixes them in English when a schema is defined. Pages pass the messages of a
ValidationError through `localised()`, so a form answers in the UI language; messages
our code writes itself are translated where they are raised. The JSON API keeps
marshmallow's English.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from flask_babel import gettext

_NUMBER = r"(-?\d+(?:\.\d+)?)"
# The msgids are marshmallow's own English, so an English page reads as before.
_RULES: list[tuple[re.Pattern, Callable[[re.Match], str]]] = [
    (re.compile(r"Missing data for required field\."),
     lambda m: gettext("Missing data for required field.")),
    (re.compile(r"Field may not be null\."), lambda m: gettext("Field may not be null.")),
    (re.compile(r"Not a valid integer\."), lambda m: gettext("Not a valid integer.")),
    (re.compile(r"Not a valid number\."), lambda m: gettext("Not a valid number.")),
    (re.compile(r"Not a valid string\."), lambda m: gettext("Not a valid string.")),
    (re.compile(r"Not a valid boolean\."), lambda m: gettext("Not a valid boolean.")),
    (re.compile(r"Not a valid email address\."), lambda m: gettext("Not a valid email address.")),
    (re.compile(r"Shorter than minimum length (\d+)\."),
     lambda m: gettext("Shorter than minimum length %(min)s.", min=m[1])),
    (re.compile(r"Longer than maximum length (\d+)\."),
     lambda m: gettext("Longer than maximum length %(max)s.", max=m[1])),
    (re.compile(r"Length must be between (\d+) and (\d+)\."),
     lambda m: gettext("Length must be between %(min)s and %(max)s.", min=m[1], max=m[2])),
    (re.compile(rf"Must be greater than or equal to {_NUMBER} and less than or equal to "
                rf"{_NUMBER}\."),
     lambda m: gettext("Must be greater than or equal to %(min)s and less than or equal to "
                       "%(max)s.", min=m[1], max=m[2])),
    (re.compile(rf"Must be greater than or equal to {_NUMBER}\."),
     lambda m: gettext("Must be greater than or equal to %(min)s.", min=m[1])),
    (re.compile(rf"Must be less than or equal to {_NUMBER}\."),
     lambda m: gettext("Must be less than or equal to %(max)s.", max=m[1])),
    (re.compile(r"Must be one of: (.*)\."),
     lambda m: gettext("Must be one of: %(choices)s.", choices=m[1])),
    (re.compile(r"Unknown field\."), lambda m: gettext("Unknown field.")),
]


def localised(messages):
    """The same structure (dict, list or text), marshmallow's English texts translated."""
    if isinstance(messages, dict):
        return {key: localised(value) for key, value in messages.items()}
    if isinstance(messages, (list, tuple)):
        return [localised(message) for message in messages]
    if isinstance(messages, str):
        for pattern, translate in _RULES:
            match = pattern.fullmatch(messages)
            if match:
                return translate(match)
    return messages
