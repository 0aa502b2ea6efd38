"""gunicorn settings: `gunicorn -c python:cityexchange.gunicorn_conf cityexchange.wsgi:app`.

gunicorn's own limits sit at their maximum, above the app's (cityexchange.limits),
so an over-long request line or header is answered by the app (JSON under /api/v1),
not by gunicorn's HTML page.
"""

limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
