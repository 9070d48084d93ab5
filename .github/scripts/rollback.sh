#!/usr/bin/env bash
# Put every Deployment deploy.sh changed back to the revision it ran before:
#   REVISIONS=/path/written/by/deploy.sh rollback.sh
# release.yml runs this when the rollout or the smoke test after a deployment fails, so that a
# bad release never stays serving. REVISIONS holds one "namespace/name revision" line per
# Deployment, written by deploy.sh just before it applied the new release; a Deployment whose
# revision did not move (the same release applied again) is left alone. The database is not
# touched: migrations only expand, so the previous release runs on the migrated schema.
set -euo pipefail
: "${REVISIONS:?REVISIONS is not set (the file deploy.sh wrote)}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-10m}"

if [ ! -s "$REVISIONS" ]; then
  echo "Nothing to roll back: no Deployment was changed (the deployment stopped before it applied)."
  exit 0
fi

status=0
while read -r ref before; do
  [ -n "$ref" ] || continue
  ns="${ref%%/*}" name="${ref#*/}"
  nsflag=()
  [ -n "$ns" ] && nsflag=(--namespace "$ns")
  now="$(kubectl get deployment "$name" "${nsflag[@]}" \
    -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')"
  if [ -z "$before" ] || [ "$before" = "0" ]; then
    echo "deployment/$name is new in this release; nothing to return to"
    continue
  fi
  if [ "$now" = "$before" ]; then
    echo "deployment/$name is still at revision $before"
    continue
  fi
  echo "::group::Roll deployment/$name back from revision $now to $before"
  kubectl rollout undo "deployment/$name" "${nsflag[@]}" --to-revision="$before"
  if ! kubectl rollout status "deployment/$name" "${nsflag[@]}" --timeout="$ROLLOUT_TIMEOUT"; then
    echo "::error::deployment/$name did not become ready after the rollback"
    status=1
  fi
  echo "::endgroup::"
done < "$REVISIONS"
exit "$status"
