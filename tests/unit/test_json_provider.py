"""The portal's JSON responses (orjson) read as Flask's own encoder wrote them."""

from __future__ import annotations

import dataclasses
import datetime
import decimal
import json
import uuid
from collections import namedtuple

import pytest
from flask import Flask
from flask.json.provider import DefaultJSONProvider

from cityexchange.json_provider import OrjsonProvider


@dataclasses.dataclass
class Place:
    city: str
    founded: datetime.date


Pair = namedtuple("Pair", "left right")

VALUES = [
    {"title": "Dürre in Sevilla", "b": 1, "a": [1.5, None, True]},
    {"published": datetime.datetime(2026, 5, 1, 12, 30), "day": datetime.date(2026, 5, 1)},
    Place("Dortmund", datetime.date(882, 1, 1)),
    {"amount": decimal.Decimal("1.25"), "id": uuid.UUID(int=7)},
    {3: "three", 1: "one"},
    Pair(1, 2),  # a tuple subclass: Flask's encoder writes a list
    2 ** 70,  # over 64 bits: orjson cannot, Flask's encoder can
    {"title": "Lone \ud800 surrogate"},  # not UTF-8: orjson cannot either
]


@pytest.mark.parametrize("value", VALUES)
def test_a_response_reads_as_flasks_own(value):
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    flasks = DefaultJSONProvider(app)
    with app.app_context():
        ours = app.json.response(value)
        assert ours.mimetype == "application/json"
        assert json.loads(ours.get_data()) == json.loads(flasks.response(value).get_data())


def test_keys_come_sorted_and_text_unescaped():
    app = Flask(__name__)
    app.json = OrjsonProvider(app)
    with app.app_context():
        body = app.json.response({"z": "Köln", "a": 1}).get_data(as_text=True)
    assert body == '{"a":1,"z":"Köln"}\n'


def test_debug_responses_stay_indented():
    app = Flask(__name__)
    app.debug = True
    app.json = OrjsonProvider(app)
    with app.app_context():
        body = app.json.response({"a": 1}).get_data(as_text=True)
    assert body == '{\n  "a": 1\n}\n'
