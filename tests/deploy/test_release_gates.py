"""The release pipeline's gates, read from the workflow files, and the reviewers check run
against a stand-in of the `gh` CLI.

What must hold on GitHub: a `v*` tag runs the same checks as `main` (ci.yml: lint, tests,
the image's build and scan; evals.yml: the offline gate) on the tagged commit before anything
is built for release; the image is pushed by digest and gets its release tags only after the
scan; production waits for staging and for a check that its environment requires reviewers.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any, cast

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
WORKFLOWS = ROOT / ".github" / "workflows"
REVIEWERS = ROOT / ".github" / "scripts" / "require_reviewers.sh"


def workflow(name: str) -> dict[str, Any]:
    data = yaml.safe_load((WORKFLOWS / name).read_text())
    # YAML 1.1 reads the key `on` as True.
    if True in data:
        data["on"] = data.pop(True)
    return cast("dict[str, Any]", data)


def needs(job: dict[str, Any]) -> set[str]:
    value = job.get("needs", [])
    return {value} if isinstance(value, str) else set(value)


def upstream(jobs: dict[str, Any], name: str) -> set[str]:
    """Every job `name` waits for, directly or through others."""
    found: set[str] = set()
    todo = list(needs(jobs[name]))
    while todo:
        current = todo.pop()
        if current not in found:
            found.add(current)
            todo.extend(needs(jobs[current]))
    return found


def steps_using(job: dict[str, Any], action: str) -> list[dict[str, Any]]:
    return [step for step in job.get("steps", []) if str(step.get("uses", "")).startswith(action)]


def test_ci_and_evals_can_be_called_by_the_release() -> None:
    for name in ("ci.yml", "evals.yml"):
        assert "workflow_call" in workflow(name)["on"], name


def test_pull_requests_build_smoke_test_and_scan_the_image() -> None:
    image = workflow("ci.yml")["jobs"]["image"]
    [build] = [step for step in image["steps"] if step.get("run") == "make image-test"]
    [scan] = steps_using(image, "aquasecurity/trivy-action")
    assert scan["with"]["image-ref"] == build["env"]["IMAGE_TAG"]
    assert scan["with"]["exit-code"] == "1"
    assert "postgres" in image["services"]


def test_a_release_runs_the_checks_of_main_on_the_tagged_commit_first() -> None:
    release = workflow("release.yml")
    jobs = release["jobs"]
    assert release["on"]["push"]["tags"] == ["v*"]
    assert jobs["checks"]["uses"] == "./.github/workflows/ci.yml"
    assert jobs["evals"]["uses"] == "./.github/workflows/evals.yml"
    assert {"checks", "evals"} <= needs(jobs["build"])


def test_nothing_is_pushed_under_a_release_tag_before_the_scan() -> None:
    jobs = workflow("release.yml")["jobs"]
    [build] = steps_using(jobs["build"], "docker/build-push-action")
    assert "tags" not in build["with"]
    assert "push-by-digest=true" in build["with"]["outputs"]
    # The one job that tags: after the scan, and before any deployment.
    tagging = [
        name
        for name, job in jobs.items()
        if any("imagetools create" in str(step.get("run", "")) for step in job.get("steps", []))
    ]
    assert tagging == ["publish"]
    assert {"scan", "build"} <= upstream(jobs, "publish")
    assert "publish" in upstream(jobs, "staging")


def test_production_waits_for_staging_and_for_required_reviewers() -> None:
    jobs = workflow("release.yml")["jobs"]
    production = jobs["production"]
    assert production["environment"]["name"] == "production"
    assert production["if"] == "github.ref_type == 'tag'"
    assert {"staging", "approval-gate", "checks", "evals", "scan"} <= upstream(jobs, "production")
    gate = jobs["approval-gate"]
    assert any(
        "require_reviewers.sh production" in str(step.get("run", "")) for step in gate["steps"]
    )
    assert gate["permissions"]["actions"] == "read"


def test_every_release_job_asks_only_for_what_it_uses() -> None:
    release = workflow("release.yml")
    assert release["permissions"] == {}
    for name, job in release["jobs"].items():
        assert "permissions" in job, name


# -- require_reviewers.sh against a stand-in of `gh` -----------------------------------------


def _run_reviewers(
    tmp_path: Path, *, answer: dict[str, Any] | None
) -> subprocess.CompletedProcess[str]:
    """Run the check with a `gh` that prints `answer` for the environment (or fails like
    GitHub's 404 when None)."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    fake = bin_dir / "gh"
    if answer is None:
        fake.write_text('#!/bin/sh\necho "gh: Not Found (HTTP 404)" >&2\nexit 1\n')
    else:
        (tmp_path / "answer.json").write_text(json.dumps(answer))
        # It answers only the environment asked for, as `gh api <path>` would.
        wanted = "repos/acme/taskpilot/environments/production"
        fake.write_text(
            f'#!/bin/sh\n[ "$2" = "{wanted}" ] || exit 3\ncat "{tmp_path / "answer.json"}"\n'
        )
    fake.chmod(0o755)
    return subprocess.run(
        ["bash", str(REVIEWERS), "production"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
        env={
            **os.environ,
            "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}",
            "GITHUB_REPOSITORY": "acme/taskpilot",
        },
    )


needs_jq = pytest.mark.skipif(shutil.which("jq") is None, reason="jq is not installed")


@needs_jq
def test_an_environment_with_required_reviewers_passes(tmp_path: Path) -> None:
    answer = {
        "name": "production",
        "protection_rules": [
            {"type": "wait_timer", "wait_timer": 5},
            {"type": "required_reviewers", "reviewers": [{"type": "Team", "reviewer": {}}]},
        ],
    }
    result = _run_reviewers(tmp_path, answer=answer)
    assert result.returncode == 0, result.stderr
    assert "requires approval by 1 reviewer" in result.stdout


@needs_jq
@pytest.mark.parametrize(
    "rules",
    [[], [{"type": "wait_timer", "wait_timer": 5}], [{"type": "branch_policy"}]],
    ids=["no-rules", "only-a-wait-timer", "only-a-branch-policy"],
)
def test_an_environment_without_reviewers_stops_the_release(
    tmp_path: Path, rules: list[dict[str, Any]]
) -> None:
    result = _run_reviewers(tmp_path, answer={"name": "production", "protection_rules": rules})
    assert result.returncode == 1
    assert "has no required reviewers" in result.stderr


@needs_jq
def test_a_missing_environment_stops_the_release(tmp_path: Path) -> None:
    result = _run_reviewers(tmp_path, answer=None)
    assert result.returncode == 1
    assert "Could not read the environment 'production'" in result.stderr


def test_the_image_carries_the_release_tag() -> None:
    """The tag's version reaches the image's label, TASKPILOT_RELEASE (and so
    `taskpilot_build_info` and every error report), instead of the package's 0.1.0."""
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'org.opencontainers.image.version="${VERSION}"' in dockerfile
    assert "TASKPILOT_RELEASE=${VERSION}" in dockerfile
    [build] = steps_using(workflow("release.yml")["jobs"]["build"], "docker/build-push-action")
    assert "VERSION=${{ steps.meta.outputs.version }}" in build["with"]["build-args"]
