# syntax=docker/dockerfile:1.7
# NexusTop image: one image, four process types (see Procfile):
#   web      gunicorn nexustop.wsgi:application   (gunicorn.conf.py)
#   worker   celery -A nexustop worker
#   beat     celery -A nexustop beat
#   migrate  manage.py migrate_schemas ... (one-off task before each deploy)
#
# Build: docker build -t nexustop:$(git rev-parse --short HEAD) .
# The build context is whitelisted by .dockerignore (tests/infra/test_docker_context.py
# keeps it small and complete); it never holds tests/ nor the development package
# platform/nexustop_dev/ (make run, make test, bench/fuzz/fault-injection commands):
# tests/foundation/test_dependency_direction.py checks both.

ARG PYTHON_VERSION=3.11

# --- build stage: wheels for every pinned dependency ----------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS build
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 PIP_NO_CACHE_DIR=1 PYTHONDONTWRITEBYTECODE=1
RUN apt-get update \
    && apt-get install -y --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /build
COPY requirements/base.txt requirements/prod.txt requirements/
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --no-compile -r requirements/prod.txt

# --- static files, hashed and compressed for whitenoise --------------------------
COPY . /app
WORKDIR /app
# nexustop.settings.build: production's static storage without its secrets (prod.py refuses to load without them).
RUN DJANGO_SETTINGS_MODULE=nexustop.settings.build \
    PYTHONPATH=/app:/app/platform \
    /opt/venv/bin/python manage.py collectstatic --noinput

# --- runtime stage: slim, no compilers, non-root ----------------------------------
FROM python:${PYTHON_VERSION}-slim-bookworm AS runtime
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PATH=/opt/venv/bin:$PATH \
    PYTHONPATH=/app:/app/platform \
    DJANGO_SETTINGS_MODULE=nexustop.settings.prod \
    PROMETHEUS_MULTIPROC_DIR=/tmp/prometheus
RUN groupadd --system --gid 10001 nexustop \
    && useradd --system --uid 10001 --gid nexustop --home-dir /app --shell /usr/sbin/nologin nexustop
COPY --from=build /opt/venv /opt/venv
COPY --from=build --chown=root:root /app /app
WORKDIR /app
USER 10001:10001
EXPOSE 8000
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s \
    CMD python -c "import urllib.request,sys; sys.exit(0 if urllib.request.urlopen('http://127.0.0.1:8000/health', timeout=4).status == 200 else 1)"
CMD ["gunicorn", "nexustop.wsgi:application"]
