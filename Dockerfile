# syntax=docker/dockerfile:1
# Production image: gunicorn serving the service on $PORT (8000).
#   docker build -t project-orchestrator:1.0.0 .
# The container never migrates: the Kubernetes migration Job does (docs/operations.md).
# orchestrator_site/tests/test_dockerfile.py checks this file and, without a Docker
# engine, runs its collectstatic step, CMD and HEALTHCHECK on the host.

ARG PYTHON_IMAGE=python:3.12-slim-bookworm

FROM ${PYTHON_IMAGE} AS builder
ENV PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PIP_NO_CACHE_DIR=1
# Compilers serve a dependency without a wheel for the build platform; this stage is discarded.
RUN apt-get update \
    && apt-get install --yes --no-install-recommends build-essential \
    && rm -rf /var/lib/apt/lists/*
# The runtime lock only (no development packages): every file pip fetches must match a hash
# in it, so the image gets exactly what CI tested.
COPY requirements.lock /build/requirements.lock
RUN python -m venv /opt/venv \
    && /opt/venv/bin/pip install --require-hashes --requirement /build/requirements.lock

FROM ${PYTHON_IMAGE} AS runtime
ENV PATH=/opt/venv/bin:$PATH \
    PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PORT=8000 \
    STATIC_MANIFEST=true
RUN groupadd --system --gid 10001 app \
    && useradd --system --uid 10001 --gid app --no-create-home --home-dir /nonexistent \
       --shell /usr/sbin/nologin app
COPY --from=builder /opt/venv /opt/venv
WORKDIR /app
COPY manage.py gunicorn.conf.py ./
COPY orchestrator_site/ orchestrator_site/
COPY orchestration/ orchestration/
COPY perfmetrics/ perfmetrics/
# Loading the settings needs a SECRET_KEY and a DATABASE_URL; collectstatic uses neither,
# and neither is kept in the image.
RUN SECRET_KEY=collectstatic-only DATABASE_URL=postgres://collectstatic@localhost/unused \
    python manage.py collectstatic --no-input
# The root filesystem is read-only at run time: compile now instead of at every start.
RUN python -m compileall -q /app
USER 10001:10001
EXPOSE 8000
# Kubernetes uses its own probes (k8s/deployment.yaml); this one serves `docker run`.
# The slim image has no curl. 127.0.0.1 must be in ALLOWED_HOSTS (it is by default).
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:%s/health' % os.environ.get('PORT', '8000'), timeout=4)"]
CMD ["gunicorn", "--config", "gunicorn.conf.py", "orchestrator_site.wsgi:application"]
