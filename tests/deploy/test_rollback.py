"""`.github/scripts/rollback.sh`, run as release.yml runs it after a failed rollout or smoke
test, against a stand-in of `kubectl` that keeps each Deployment's revision in a file and
records the commands it was given. And release.yml runs it when a deployment fails.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
ROLLBACK = ROOT / ".github" / "scripts" / "rollback.sh"

# `kubectl get deployment NAME ... -o jsonpath=...` prints the revision kept in
# $STATE/NAME; `rollout undo` and `rollout status` are recorded in $STATE/calls.
FAKE_KUBECTL = r"""#!/usr/bin/env bash
set -euo pipefail
echo "$*" >> "$STATE/calls"
if [ "$1" = "get" ]; then cat "$STATE/$3"; exit 0; fi
if [ "$1 $2" = "rollout undo" ]; then
  name="${3#deployment/}"
  for arg in "$@"; do case "$arg" in --to-revision=*) echo "${arg#*=}" > "$STATE/$name";; esac; done
  exit 0
fi
if [ "$1 $2" = "rollout status" ]; then exit "${STATUS_EXIT:-0}"; fi
exit 9
"""


def rollback(
    tmp_path: Path, *, before: dict[str, str], now: dict[str, str], status_exit: int = 0
) -> tuple[subprocess.CompletedProcess[str], list[str], dict[str, str]]:
    state = tmp_path / "state"
    state.mkdir()
    for name, revision in now.items():
        (state / name).write_text(revision + "\n")
    revisions = tmp_path / "revisions"
    revisions.write_text("".join(f"taskpilot-staging/{n} {r}\n" for n, r in before.items()))
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    (bin_dir / "kubectl").write_text(FAKE_KUBECTL)
    (bin_dir / "kubectl").chmod(0o755)
    result = subprocess.run(
        ["bash", str(ROLLBACK)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "STATE": str(state),
            "REVISIONS": str(revisions),
            "STATUS_EXIT": str(status_exit),
        },
    )
    calls_file = state / "calls"
    calls = calls_file.read_text().splitlines() if calls_file.exists() else []
    after = {name: (state / name).read_text().strip() for name in now}
    return result, calls, after


def test_a_deployment_the_release_changed_goes_back_to_its_revision(tmp_path: Path) -> None:
    result, calls, after = rollback(
        tmp_path,
        before={"taskpilot": "4", "taskpilot-worker": "7"},
        now={"taskpilot": "5", "taskpilot-worker": "8"},
    )
    assert result.returncode == 0, result.stderr
    assert after == {"taskpilot": "4", "taskpilot-worker": "7"}
    undos = [call for call in calls if call.startswith("rollout undo")]
    assert undos == [
        "rollout undo deployment/taskpilot --namespace taskpilot-staging --to-revision=4",
        "rollout undo deployment/taskpilot-worker --namespace taskpilot-staging --to-revision=7",
    ]


def test_a_deployment_the_release_did_not_change_is_left_alone(tmp_path: Path) -> None:
    result, calls, after = rollback(tmp_path, before={"taskpilot": "4"}, now={"taskpilot": "4"})
    assert result.returncode == 0, result.stderr
    assert after == {"taskpilot": "4"}
    assert not [call for call in calls if call.startswith("rollout")]


def test_a_deployment_new_in_this_release_has_nothing_to_return_to(tmp_path: Path) -> None:
    result, calls, _ = rollback(tmp_path, before={"taskpilot": "0"}, now={"taskpilot": "1"})
    assert result.returncode == 0, result.stderr
    assert "nothing to return to" in result.stdout
    assert not [call for call in calls if call.startswith("rollout")]


def test_nothing_applied_means_nothing_to_roll_back(tmp_path: Path) -> None:
    result, calls, _ = rollback(tmp_path, before={}, now={})
    assert result.returncode == 0, result.stderr
    assert "Nothing to roll back" in result.stdout
    assert calls == []


def test_a_rollback_that_does_not_become_ready_fails_the_job(tmp_path: Path) -> None:
    result, _, after = rollback(
        tmp_path, before={"taskpilot": "4"}, now={"taskpilot": "5"}, status_exit=1
    )
    assert result.returncode == 1
    assert after == {"taskpilot": "4"}
    assert "did not become ready after the rollback" in result.stdout


def test_release_rolls_back_when_a_deployment_or_its_smoke_test_fails() -> None:
    jobs = yaml.safe_load((ROOT / ".github" / "workflows" / "release.yml").read_text())["jobs"]
    for name in ("staging", "production"):
        steps = jobs[name]["steps"]
        names = [step.get("name", "") for step in steps]
        deploy = names.index("Deploy")
        smoke = names.index("Smoke test")
        [back] = [step for step in steps if step.get("run") == ".github/scripts/rollback.sh"]
        assert deploy < smoke < steps.index(back)
        assert back["if"] == "failure() && steps.deploy.outcome != 'skipped'"
        assert steps[deploy]["env"]["REVISIONS"] == back["env"]["REVISIONS"]
