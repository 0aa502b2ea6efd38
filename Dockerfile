# The portal and the indexer worker: one image, two commands (see docker-compose.yml).
# Stage 1 builds the wheel (package data and compiled UI catalogues inside);
# stage 2 installs it like any package: no source tree, no editable install.
FROM python:3.11-slim AS build

ENV PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1

WORKDIR /src
COPY pyproject.toml setup.py ./
COPY platform platform
COPY indexer indexer
COPY config config
COPY templates templates
COPY static static
COPY translations translations
# Build isolation fetches the build requirements (setuptools, Babel for the .mo files).
RUN pip wheel --no-deps --wheel-dir /dist .

FROM python:3.11-slim

ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    CITYEX_INSTANCE_PATH=/srv/cityexchange/instance

# Dependencies first (with the postgres extra), so a code change does not
# reinstall them. Every dependency ships manylinux wheels: no compiler needed.
COPY pyproject.toml /tmp/pyproject.toml
RUN python -c "import tomllib; p = tomllib.load(open('/tmp/pyproject.toml', 'rb'))['project']; \
print('\n'.join(p['dependencies'] + p['optional-dependencies']['postgres']))" > /tmp/requirements.txt \
 && pip install -r /tmp/requirements.txt \
 && rm /tmp/requirements.txt /tmp/pyproject.toml

# The wheel, not editable. The app user may write only the instance folder and
# its home (gunicorn's control socket).
COPY --from=build /dist /tmp/dist
RUN pip install --no-deps /tmp/dist/cityexchange-*.whl \
 && rm -rf /tmp/dist \
 && useradd --system --uid 10001 --create-home --home-dir /home/cityex --shell /usr/sbin/nologin cityex \
 && mkdir -p /srv/cityexchange/instance \
 && chown cityex /srv/cityexchange/instance

WORKDIR /srv/cityexchange
USER cityex
EXPOSE 8000

# Workers and threads: WEB_CONCURRENCY and GUNICORN_THREADS (docker-compose.yml sets them).
CMD ["sh", "-c", "exec gunicorn --config python:cityexchange.gunicorn_conf --bind 0.0.0.0:8000 --workers ${WEB_CONCURRENCY:-2} --threads ${GUNICORN_THREADS:-4} --access-logfile - --error-logfile - cityexchange.wsgi:app"]
