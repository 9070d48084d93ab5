#!/usr/bin/env bash
# Deploy one image digest to the cluster the current kubeconfig names, with one overlay:
#   OVERLAY=deploy/k8s/overlays/staging IMAGE=ghcr.io/owner/taskpilot DIGEST=sha256:... deploy.sh
# 1. pin the overlay to the digest (`kustomize edit set image`), so the tag can never drift;
# 2. apply everything but the Job and the Deployments, then run the migration
#    Job to completion (a failed migration stops here, before any new pod serves traffic);
# 3. record each Deployment's revision in REVISIONS (for rollback.sh), `kubectl apply -k` the
#    whole overlay and wait for every Deployment's rollout.
# Needs kubectl, kustomize and yq (mikefarah v4): all three are on GitHub's Ubuntu runners.
set -euo pipefail
: "${OVERLAY:?OVERLAY is not set}" "${IMAGE:?IMAGE is not set}" "${DIGEST:?DIGEST is not set}"
REVISIONS="${REVISIONS:-${RUNNER_TEMP:-/tmp}/taskpilot-revisions}"
: > "$REVISIONS"
MIGRATION_TIMEOUT="${MIGRATION_TIMEOUT:-600}"
ROLLOUT_TIMEOUT="${ROLLOUT_TIMEOUT:-10m}"

yq --version | grep -q mikefarah || { echo "yq must be mikefarah/yq v4" >&2; exit 1; }

echo "::group::Pin $OVERLAY to ${IMAGE}@${DIGEST}"
(cd "$OVERLAY" && kustomize edit set image "taskpilot=${IMAGE}@${DIGEST}")
rendered="$(mktemp --suffix=.yaml)"
kubectl kustomize "$OVERLAY" > "$rendered"
grep -F "${IMAGE}@${DIGEST}" "$rendered" > /dev/null \
  || { echo "the rendered overlay does not use ${IMAGE}@${DIGEST}" >&2; exit 1; }
echo "::endgroup::"

job="$(yq ea '[select(.kind == "Job")] | .[0].metadata.name // ""' "$rendered")"
if [ -n "$job" ]; then
  ns="$(yq ea '[select(.kind == "Job")] | .[0].metadata.namespace // ""' "$rendered")"
  nsflag=()
  [ -n "$ns" ] && nsflag=(--namespace "$ns")

  echo "::group::Prerequisites of the migration Job"
  # Everything but the Job and the Deployments: namespace, service account, config, external
  # secrets, network policies (the Job must reach the database), services, ingress, HPA, PDB.
  yq 'select(.kind != "Job" and .kind != "Deployment")' "$rendered" > "$rendered.pre.yaml"
  if [ -s "$rendered.pre.yaml" ]; then kubectl apply -f "$rendered.pre.yaml"; fi
  echo "::endgroup::"

  echo "::group::Migration Job $job"
  # A Job's pod template is immutable: the previous release's Job goes first.
  kubectl delete job "$job" "${nsflag[@]}" --ignore-not-found --wait=true
  yq 'select(.kind == "Job")' "$rendered" | kubectl apply -f -
  deadline=$((SECONDS + MIGRATION_TIMEOUT))
  while :; do
    succeeded="$(kubectl get job "$job" "${nsflag[@]}" -o jsonpath='{.status.succeeded}')"
    failed="$(kubectl get job "$job" "${nsflag[@]}" -o jsonpath='{.status.conditions[?(@.type=="Failed")].status}')"
    if [ "${succeeded:-0}" -ge 1 ]; then break; fi
    if [ "$failed" = "True" ] || [ "$SECONDS" -ge "$deadline" ]; then
      echo "::error::migration Job $job did not complete"
      kubectl logs "job/$job" "${nsflag[@]}" --all-containers --tail=200 || true
      kubectl describe job "$job" "${nsflag[@]}" || true
      exit 1
    fi
    sleep 5
  done
  kubectl logs "job/$job" "${nsflag[@]}" --all-containers --tail=50 || true
  echo "::endgroup::"
fi

deployments="$(yq ea '[select(.kind == "Deployment") | (.metadata.namespace // "") + "/" + .metadata.name] | .[]' "$rendered")"

echo "::group::Revisions before the release (for a rollback)"
while IFS= read -r ref; do
  [ -n "$ref" ] || continue
  dns="${ref%%/*}" name="${ref#*/}"
  nsflag=()
  [ -n "$dns" ] && nsflag=(--namespace "$dns")
  revision="$(kubectl get deployment "$name" "${nsflag[@]}" --ignore-not-found \
    -o jsonpath='{.metadata.annotations.deployment\.kubernetes\.io/revision}')"
  echo "$ref ${revision:-0}" | tee -a "$REVISIONS"
done <<< "$deployments"
echo "::endgroup::"

echo "::group::kubectl apply -k $OVERLAY"
kubectl apply -k "$OVERLAY"
echo "::endgroup::"

status=0
while IFS= read -r ref; do
  [ -n "$ref" ] || continue
  dns="${ref%%/*}" name="${ref#*/}"
  nsflag=()
  [ -n "$dns" ] && nsflag=(--namespace "$dns")
  echo "::group::rollout status deployment/$name"
  if ! kubectl rollout status "deployment/$name" "${nsflag[@]}" --timeout="$ROLLOUT_TIMEOUT"; then
    echo "::error::deployment/$name did not become ready"
    kubectl describe "deployment/$name" "${nsflag[@]}" || true
    status=1
  fi
  echo "::endgroup::"
done <<< "$deployments"
exit "$status"
