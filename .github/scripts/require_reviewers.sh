#!/usr/bin/env bash
# Fail unless the GitHub environment named $1 requires at least one reviewer.
#
# release.yml runs this before its production job: the approval of a promotion lives in the
# environment's settings, and a release must not reach production because someone removed the
# reviewers. Needs `gh` (preinstalled on GitHub's runners), GH_TOKEN with `actions: read`, and
# GITHUB_REPOSITORY (owner/repo).
set -euo pipefail

environment="${1:?usage: require_reviewers.sh <environment>}"
repository="${GITHUB_REPOSITORY:?GITHUB_REPOSITORY must name owner/repo}"

if ! answer=$(gh api "repos/${repository}/environments/${environment}" 2>&1); then
  echo "::error::Could not read the environment '${environment}' of ${repository}: ${answer}" >&2
  echo "Create it under Settings -> Environments, with required reviewers." >&2
  exit 1
fi

reviewers=$(jq '[.protection_rules[]? | select(.type == "required_reviewers") | .reviewers | length] | add // 0' <<< "${answer}")
if [ "${reviewers}" -lt 1 ]; then
  echo "::error::The environment '${environment}' has no required reviewers, so nothing would stop a release from reaching it unapproved." >&2
  echo "Add reviewers under Settings -> Environments -> ${environment} -> Required reviewers." >&2
  exit 1
fi
echo "The environment '${environment}' requires approval by ${reviewers} reviewer(s) or team(s)."
