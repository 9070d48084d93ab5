#!/usr/bin/env bash
# Smoke test of a deployed TaskPilot: APP_URL=https://taskpilot.example.com smoke.sh
# - GET /healthz and /readyz answer 200 (retried while the load balancer picks up new pods);
# - with SLACK_SIGNING_SECRET set: a signed Slack url_verification gets its challenge back,
#   and the same request unsigned is refused.
set -euo pipefail
: "${APP_URL:?APP_URL (an environment variable of this GitHub environment) is not set}"
base="${APP_URL%/}"

for path in /healthz /readyz; do
  echo "GET ${base}${path}"
  curl --fail --silent --show-error --max-time 10 \
    --retry 12 --retry-delay 5 --retry-all-errors "${base}${path}"
  echo
done

if [ -z "${SLACK_SIGNING_SECRET:-}" ]; then
  echo "No SLACK_SIGNING_SECRET in this environment: the Slack check is skipped."
  exit 0
fi

ts="$(date +%s)"
challenge="smoke-${GITHUB_RUN_ID:-local}-${ts}"
body="{\"token\":\"smoke\",\"challenge\":\"${challenge}\",\"type\":\"url_verification\"}"
signature="v0=$(printf 'v0:%s:%s' "$ts" "$body" \
  | openssl dgst -sha256 -hmac "$SLACK_SIGNING_SECRET" -hex | sed 's/^.*= *//')"

echo "POST ${base}/slack/events (signed url_verification)"
answer="$(curl --fail --silent --show-error --max-time 10 \
  -H 'Content-Type: application/json' \
  -H "X-Slack-Request-Timestamp: ${ts}" -H "X-Slack-Signature: ${signature}" \
  --data "$body" "${base}/slack/events")"
grep -qF "$challenge" <<<"$answer" || { echo "unexpected answer: $answer" >&2; exit 1; }

echo "POST ${base}/slack/events (unsigned: must be refused)"
code="$(curl --silent --output /dev/null --write-out '%{http_code}' --max-time 10 \
  -H 'Content-Type: application/json' --data "$body" "${base}/slack/events")"
case "$code" in
  401 | 403) echo "refused with $code" ;;
  *) echo "an unsigned Slack request got $code" >&2; exit 1 ;;
esac
