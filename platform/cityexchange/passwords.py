"""The password rule: at least 12 characters, and not one of the commonly used passwords.

The list is zxcvbn's (30,000 passwords ranked by frequency in leaks), shipped
inside the package, so the check works offline.
"""

from __future__ import annotations

import re
from functools import cache

from flask_babel import gettext
from marshmallow import ValidationError
from zxcvbn.frequency_lists import FREQUENCY_LISTS

MIN_LENGTH = 12
MAX_LENGTH = 200


@cache
def _common() -> frozenset[str]:
    return frozenset(FREQUENCY_LISTS["passwords"])


def password_problem(password: str) -> str | None:
    """Why the password is refused, or None."""
    if len(password) < MIN_LENGTH:
        return gettext("Give a password of at least %(count)d characters.", count=MIN_LENGTH)
    if len(password) > MAX_LENGTH:
        return gettext("Give a password of at most %(count)d characters.", count=MAX_LENGTH)
    folded = password.lower()
    # "Password2024!" is "password" with a suffix: refused as well.
    candidates = {folded, re.sub(r"\s+", "", folded), re.sub(r"[\d\W_]+$", "", folded),
                  re.sub(r"^[\d\W_]+", "", folded)}
    if candidates & _common():
        return gettext("This password is among the most commonly used ones, which attackers "
                       "try first. Choose another, e.g. a few unrelated words.")
    return None


def validate_password(password: str) -> None:
    """A marshmallow validator."""
    problem = password_problem(password)
    if problem:
        raise ValidationError(problem)
