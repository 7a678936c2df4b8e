# syntax=docker/dockerfile:1
# The image every Airflow service of docker-compose.yaml runs: Python 3.11 with the project
# and its dependencies installed from uv.lock (exact versions, no dev group) in
# /opt/inclusion/.venv. Build with BuildKit (the default since Docker 23).
FROM python:3.11-slim

ENV PYTHONUNBUFFERED=1 \
    UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PROJECT_ENVIRONMENT=/opt/inclusion/.venv

# curl: the compose health checks
RUN apt-get update \
    && apt-get install -y --no-install-recommends curl \
    && rm -rf /var/lib/apt/lists/*

RUN pip install --no-cache-dir uv==0.13.8

WORKDIR /opt/inclusion

# Dependencies first (cached until the lock changes), then the project itself
COPY pyproject.toml uv.lock README.md ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

COPY alembic.ini ./
COPY include/ ./include/
COPY dags/ ./dags/
COPY expectations/ ./expectations/
COPY plugins/ ./plugins/
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev
# the project is installed editable (its code stays here); compile it now, as the runtime
# user cannot write __pycache__ in this root-owned tree
RUN /opt/inclusion/.venv/bin/python -m compileall -q include dags plugins

ENV PATH=/opt/inclusion/.venv/bin:$PATH \
    VIRTUAL_ENV=/opt/inclusion/.venv \
    AIRFLOW_HOME=/opt/airflow \
    AIRFLOW__CORE__DAGS_FOLDER=/opt/inclusion/dags \
    AIRFLOW__CORE__PLUGINS_FOLDER=/opt/inclusion/plugins \
    AIRFLOW__CORE__LOAD_EXAMPLES=False \
    INCLUSION_HOME=/opt/inclusion/var

# Non-root user. The folders that compose mounts named volumes on are created here, owned by
# that user, so that new volumes start with the same ownership.
RUN groupadd --system --gid 50000 inclusion \
    && useradd --system --uid 50000 --gid inclusion --home-dir /opt/airflow --shell /bin/bash inclusion \
    && mkdir -p /opt/inclusion/var/inbox /opt/inclusion/var/archive /opt/inclusion/var/rejected /opt/inclusion/var/held \
        /opt/inclusion/var/reports /opt/inclusion/var/published /opt/inclusion/var/portal \
        /opt/airflow/logs /opt/airflow/auth \
    && chown -R inclusion:inclusion /opt/inclusion/var /opt/airflow

USER inclusion
WORKDIR /opt/airflow
EXPOSE 8080 8000

CMD ["airflow", "version"]
