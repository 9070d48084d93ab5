# syntax=docker/dockerfile:1
#
# TaskPilot's container image: one image for every command (`serve`, `slack socket`,
# `db upgrade`, `eval run`, ...), built from the locked dependencies in uv.lock.
#
#   docker build -t taskpilot .
#   docker run --rm -e DATABASE_URL=... taskpilot db upgrade
#   docker run --rm -p 8000:8000 -e DATABASE_URL=... taskpilot            # `serve`
#
# tests/deploy/test_image_smoke.py reads this file (the `uv sync` lines, the COPY lines and the
# ENV lines) and builds the same environment without a container engine, so change them here
# and the test follows.

# The base image is pinned by tag and by the digest of its multi-architecture index, so that a
# rebuild uses the same bytes; Renovate or Dependabot move both together.
FROM python:3.11.14-slim-bookworm@sha256:65a93d69fa75478d554f4ad27c85c1e69fa184956261b4301ebaf6dbb0a3543d AS base

# uv comes from its own image, pinned the same way; only its binary is copied into the builder.
FROM ghcr.io/astral-sh/uv:0.13.0@sha256:cdc6093146eb3ff6a40107b38f008b789e050e77ad87865e381d9917da55a168 AS uv

# ---------------------------------------------------------------------------------------------
# The builder: resolves nothing (the lockfile is frozen), installs into /app/.venv.
FROM base AS builder

COPY --from=uv /uv /usr/local/bin/uv

# Bytecode is compiled at build time, so the read-only runtime never writes .pyc files. The
# cache mount lives on another filesystem, hence copies rather than hard links. The
# interpreter is the base image's; uv must never download another one.
ENV UV_COMPILE_BYTECODE=1 \
    UV_LINK_MODE=copy \
    UV_PYTHON_DOWNLOADS=never \
    UV_PYTHON=/usr/local/bin/python3.11

WORKDIR /app

# The dependencies first, from the lockfile alone: this layer is rebuilt only when
# pyproject.toml or uv.lock change, not on every code change.
COPY pyproject.toml uv.lock ./
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-install-project

# Then the code: the packages pyproject.toml builds into the wheel, and the README its metadata
# names. The project is installed as a regular (non-editable) package, so the runtime stage
# needs the virtual environment only, not these sources.
COPY README.md ./
COPY core ./core
COPY tasks ./tasks
COPY tools ./tools
COPY agent ./agent
COPY prompts ./prompts
COPY evals ./evals
COPY slack_app ./slack_app
COPY api ./api
COPY taskpilot ./taskpilot
RUN --mount=type=cache,target=/root/.cache/uv \
    uv sync --frozen --no-dev --no-editable

# LiteLLM carries its proxy server's web UI and Swagger assets (about 25 MB of JavaScript,
# HTML and images) inside the library; TaskPilot calls LiteLLM as a library and serves
# neither. `make image-test` checks that LiteLLM still imports and answers without them.
RUN rm -rf /app/.venv/lib/python3.11/site-packages/litellm/proxy/_experimental/out \
           /app/.venv/lib/python3.11/site-packages/litellm/proxy/swagger

# ---------------------------------------------------------------------------------------------
# The runtime: the base image, the virtual environment and the eval datasets; no uv, no
# compiler, no sources, no build cache, no secrets.
FROM base AS runtime

# The release workflow passes these (the version, the commit, the build time and the
# repository's address); a local build leaves them at their defaults. VERSION is the release's
# tag (1.2.3), carried by the image's label, TASKPILOT_RELEASE, `taskpilot_build_info` and
# every error report.
ARG VERSION=local
ARG REVISION=unknown
ARG CREATED=unknown
ARG SOURCE=""

LABEL org.opencontainers.image.title="taskpilot" \
      org.opencontainers.image.description="Conversational task management for Slack: an LLM agent with typed tools over a real task database." \
      org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="${SOURCE}" \
      org.opencontainers.image.licenses="NOASSERTION" \
      org.opencontainers.image.base.name="docker.io/library/python:3.11.14-slim-bookworm"

# A fixed, unprivileged user and group, so that Kubernetes' runAsUser/fsGroup and volume
# ownership can name them. The home folder is the only place it may write besides /tmp and
# the two working folders below.
RUN groupadd --system --gid 10001 taskpilot \
    && useradd --system --uid 10001 --gid 10001 --create-home --home-dir /home/taskpilot \
        --shell /usr/sbin/nologin taskpilot \
    && mkdir -p /app/var /app/reports \
    && chown 10001:10001 /app/var /app/reports

WORKDIR /app

# The environment is owned by root: the application cannot change its own code.
COPY --from=builder /app/.venv /app/.venv

# The eval datasets and the committed baseline, so that `eval run --dataset evals/datasets`
# works from the working folder as it does in a checkout.
COPY evals/datasets ./evals/datasets
COPY evals/holdout ./evals/holdout
COPY evals/baseline-offline.json ./evals/baseline-offline.json

# Listen on every interface (the default is loopback, right on a laptop, useless in a
# container), log JSON lines for the log pipeline, never fetch LiteLLM's price map at start,
# and keep the eval result cache in /tmp, which stays writable under a read-only root.
ENV PATH="/app/.venv/bin:${PATH}" \
    PYTHONUNBUFFERED=1 \
    PYTHONDONTWRITEBYTECODE=1 \
    TASKPILOT_HOST=0.0.0.0 \
    TASKPILOT_PORT=8000 \
    LOG_FORMAT=json \
    TASKPILOT_RELEASE=${VERSION} \
    LITELLM_LOCAL_MODEL_COST_MAP=True \
    TASKPILOT_EVAL_CACHE_DIR=/tmp/taskpilot-eval-cache

USER 10001:10001

EXPOSE 8000

# On SIGTERM `taskpilot serve` stops listening and drains: up to
# TASKPILOT_SHUTDOWN_GRACE_SECONDS (25 s by default) for requests in flight, then as long again
# for acknowledged Slack work. Give the container more than twice that before SIGKILL
# (`docker stop -t 60`, compose's stop_grace_period, terminationGracePeriodSeconds).
STOPSIGNAL SIGTERM

# Liveness only: /healthz answers while the process runs. Readiness (/readyz: database,
# migrations, Redis) is for load balancers and Kubernetes. curl is not in the slim image, so
# the check uses Python's standard library; a status other than 2xx raises and exits 1.
HEALTHCHECK --interval=30s --timeout=5s --start-period=30s --retries=3 \
    CMD ["python", "-c", "import os, urllib.request; urllib.request.urlopen('http://127.0.0.1:' + os.environ.get('TASKPILOT_PORT', '8000') + '/healthz', timeout=4)"]

ENTRYPOINT ["taskpilot"]
CMD ["serve"]
