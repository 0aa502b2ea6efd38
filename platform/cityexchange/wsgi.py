"""The WSGI entry point for gunicorn: `gunicorn cityexchange.wsgi:app`.

The one module that does work at import time: it builds the app from the
CITYEX_* environment, because that is what a WSGI server imports.
Everything else calls `create_app()` itself.
"""

from cityexchange import create_app

app = create_app()
