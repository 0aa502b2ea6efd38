# The portal and the indexer worker: one image, two commands (see docker-compose.yml).
FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /app

# Dependencies first (with the postgres extra), so a code change does not
# reinstall them. Every dependency ships manylinux wheels: no compiler needed.
COPY pyproject.toml ./
RUN python -c "import tomllib; p = tomllib.load(open('pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt

COPY . .
# Editable: the package finds config/, templates/ and static/ beside it in /app;
# the UI translations are compiled here (.mo files are not in git).
# The app user may write only instance/ and its home (gunicorn's control socket).
RUN pip install --no-deps -e . \
 && pybabel compile -d translations \
 && useradd --system --uid 10001 --create-home --home-dir /home/cityex --shell /usr/sbin/nologin cityex \
 && mkdir -p /app/instance \
 && chown cityex /app/instance

USER cityex
EXPOSE 8000

# Workers and threads: WEB_CONCURRENCY and GUNICORN_THREADS (docker-compose.yml sets them).
CMD ["sh", "-c", "exec gunicorn --config python:cityexchange.gunicorn_conf --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --threads ${GUNICORN_THREADS:-4} --access-logfile - --error-logfile - cityexchange.wsgi:app"]
