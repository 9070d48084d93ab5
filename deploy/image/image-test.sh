#!/usr/bin/env bash
# `make image-test`: build the real Dockerfile, report the image's size, and smoke-test the
# container: `db upgrade`, `serve`, the probes, a signed Slack request, a REST call, SIGTERM.
#
# The engine is Docker when a daemon answers, else buildah (chroot isolation, no daemon, runs
# as root). The Dockerfile's base images are pinned by digest on Docker Hub and GHCR; where
# they cannot be pulled (no access to those registries), it builds STAND-INS and says so:
#   - python:3.11.14-slim-bookworm -> Debian bookworm's own python3.11 (3.11.2), built with
#     debootstrap from Debian's packages (deploy/image/standin-base.sh);
#   - ghcr.io/astral-sh/uv:0.13.0  -> the same uv release's binary from PyPI.
# Every other line of the Dockerfile is built as it is. An image built on stand-ins is not a
# release image: its base differs. The release workflow builds on the pinned bases.
#
# Needs PostgreSQL on 127.0.0.1:5432 (TASKPILOT_TEST_POSTGRES_URL, as the tests use it), curl,
# openssl, and buildah or docker.
set -euo pipefail
cd "$(dirname "$0")/../.."

TAG="${IMAGE_TAG:-taskpilot:image-test}"
PG_URL="${TASKPILOT_TEST_POSTGRES_URL:-postgresql+psycopg://root@127.0.0.1:5432/test}"
PORT="${IMAGE_TEST_PORT:-18080}"
SECRET="image-test-signing-secret"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT

if docker info >/dev/null 2>&1; then ENGINE=docker; else ENGINE=buildah; fi
command -v "$ENGINE" >/dev/null || { echo "neither a Docker daemon nor buildah is available" >&2; exit 2; }
echo "== engine: $ENGINE"

base_ref="$(sed -n 's/^FROM \(python:[^ ]*\) AS base$/\1/p' Dockerfile)"
uv_ref="$(sed -n 's/^FROM \(ghcr.io\/astral-sh\/uv:[^ ]*\) AS uv$/\1/p' Dockerfile)"
dockerfile=Dockerfile
if [ "$ENGINE" = buildah ] && ! buildah pull --quiet "docker.io/library/${base_ref}" >/dev/null 2>&1; then
  echo "== The pinned base images cannot be pulled here; building on STAND-INS (see the"
  echo "   header of deploy/image/image-test.sh). This is not a release image."
  deploy/image/standin-base.sh
  uv_version="${uv_ref#ghcr.io/astral-sh/uv:}"
  uv_version="${uv_version%%@*}"
  deploy/image/standin-uv.sh "$uv_version"
  dockerfile="$WORK/Dockerfile.standins"
  sed -e "s|^FROM ${base_ref} AS base$|FROM localhost/taskpilot-standin/python:3.11-bookworm AS base|" \
      -e "s|^FROM ${uv_ref} AS uv$|FROM localhost/taskpilot-standin/uv:${uv_version} AS uv|" \
      Dockerfile > "$dockerfile"
  grep -q "taskpilot-standin/python" "$dockerfile" && grep -q "taskpilot-standin/uv" "$dockerfile" \
    || { echo "could not rewrite the FROM lines of the Dockerfile" >&2; exit 1; }
fi

echo "== build $TAG"
if [ "$ENGINE" = docker ]; then
  docker build -f "$dockerfile" --build-arg VERSION=image-test -t "$TAG" .
  size="$(( $(docker image inspect "$TAG" --format '{{.Size}}') / 1000000 )) MB"
else
  # The docker format keeps the HEALTHCHECK, which OCI images cannot carry.
  buildah bud --isolation chroot --layers --quiet --format docker -f "$dockerfile" \
    --build-arg VERSION=image-test -t "$TAG" .
  size="$(buildah images --json "$TAG" | python3 -c 'import json,sys; print(json.load(sys.stdin)[0]["size"])')"
fi
echo "== image size: $size"

# One throwaway database for this run.
db="taskpilot_image_test_$$"
admin="${PG_URL/+psycopg/}"
psql "$admin" -qc "DROP DATABASE IF EXISTS $db" -c "CREATE DATABASE $db" >/dev/null
url="${PG_URL%/*}/$db"
cleanup_db() { psql "$admin" -qc "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; }
trap 'cleanup_db; rm -rf "$WORK"' EXIT

envs=(DATABASE_URL="$url" TASKPILOT_PORT="$PORT" TASKPILOT_ENVIRONMENT=image-test
      SLACK_SIGNING_SECRET="$SECRET" SLACK_BOT_TOKEN=xoxb-image-test
      SLACK_API_BASE_URL=http://127.0.0.1:9/ TASKPILOT_MODELS=offline LOG_FORMAT=json)

run() {  # run a command of the image (its ENTRYPOINT is `taskpilot`)
  if [ "$ENGINE" = docker ]; then
    docker run --rm --network host "${envs[@]/#/--env=}" "$TAG" "$@"
  else
    ctr="$(buildah from --quiet "$TAG")"
    buildah run --isolation chroot --network host "${envs[@]/#/--env=}" "$ctr" -- taskpilot "$@"
    status=$?
    buildah rm "$ctr" >/dev/null
    return $status
  fi
}

echo "== LiteLLM, with its proxy UI removed from the image, still builds a request"
check='import litellm; from litellm import completion; print(litellm.get_llm_provider("openai/gpt-4.1-mini")[1])'
if [ "$ENGINE" = docker ]; then
  answer="$(docker run --rm --entrypoint python "${envs[@]/#/--env=}" "$TAG" -c "$check")"
else
  ctr="$(buildah from --quiet "$TAG")"
  answer="$(buildah run --isolation chroot "${envs[@]/#/--env=}" "$ctr" -- python -c "$check")"
  buildah rm "$ctr" >/dev/null
fi
[ "$answer" = "openai" ] || { echo "LiteLLM in the image answered: $answer" >&2; exit 1; }

echo "== taskpilot db upgrade"
run db upgrade

echo "== taskpilot apikey create (a key for the REST call)"
key="$(run apikey create --team T0IMAGE --scopes tasks:read,tasks:write --expires 1d --json \
  | python3 -c 'import json,sys; print(json.load(sys.stdin)["key"])')"

echo "== taskpilot serve"
if [ "$ENGINE" = docker ]; then
  docker run --rm --name taskpilot-image-test --network host "${envs[@]/#/--env=}" "$TAG" serve \
    > "$WORK/serve.log" 2>&1 &
else
  run serve > "$WORK/serve.log" 2>&1 &
fi
server=$!
for _ in $(seq 1 60); do
  curl -fsS "http://127.0.0.1:$PORT/healthz" >/dev/null 2>&1 && break
  sleep 1
done

APP_URL="http://127.0.0.1:$PORT" SLACK_SIGNING_SECRET="$SECRET" .github/scripts/smoke.sh

echo "== REST: POST /api/v1/tasks, then GET it back"
made="$(curl -fsS -H "Authorization: Bearer $key" -H 'Content-Type: application/json' \
  --data '{"title": "Made in the image test"}' "http://127.0.0.1:$PORT/api/v1/tasks")"
number="$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["id"])' "$made")"
curl -fsS -H "Authorization: Bearer $key" "http://127.0.0.1:$PORT/api/v1/tasks/$number" \
  | grep -q "Made in the image test"

echo "== SIGTERM"
if [ "$ENGINE" = docker ]; then
  docker kill --signal=TERM taskpilot-image-test >/dev/null
else
  # The server's own process (the image's `taskpilot serve`), not buildah's.
  pid="$(pgrep -f "/app/.venv/bin/.*taskpilot serve" | tail -n 1)"
  kill -TERM "$pid"
fi
for _ in $(seq 1 60); do kill -0 "$server" 2>/dev/null || break; sleep 1; done
if kill -0 "$server" 2>/dev/null; then echo "the server did not stop on SIGTERM" >&2; exit 1; fi
wait "$server" || true
grep -q "Application shutdown complete\|shutdown" "$WORK/serve.log" \
  || { echo "no shutdown in the server's log:" >&2; tail -20 "$WORK/serve.log" >&2; exit 1; }
echo "== image test passed: $TAG, $size"
