"""The `cityex` console script: the app's commands in a click group.

Apart from cli.py, which defines the commands and is imported by the app
factory, so that neither imports the other.
"""

from __future__ import annotations

import click
from flask import Flask
from flask.cli import FlaskGroup

from cityexchange import create_app


def _create_app(*_args, **_kwargs) -> Flask:
    return create_app()


@click.group(cls=FlaskGroup, create_app=_create_app, add_default_commands=False)
def main():
    """CityExchange: case studies of partner cities, searchable across languages."""


if __name__ == "__main__":
    main()
