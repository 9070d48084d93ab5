"""`.github/scripts/check_action_pins.py`: the workflows' actions are pinned to the commits
their tags name, as `.github/action-pins.yaml` records them.

The offline check runs on the repository's own workflows. The remote check is exercised
against a local git repository standing in for an action's (`git ls-remote` reads a path as
it reads a URL), with a right pin, a sha of another commit, a sha that is no commit at all, and
a tag that does not exist.
"""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / ".github" / "scripts" / "check_action_pins.py"
NOT_A_COMMIT = "f0b9a6de3f46e0f44b9cfb33d9f63c73b85ab6de"


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(SCRIPT), *args],
        capture_output=True,
        text=True,
        check=False,
        timeout=120,
    )


def test_every_workflow_action_is_pinned_as_recorded() -> None:
    result = check()
    assert result.returncode == 0, result.stderr
    assert "all hold" in result.stdout


def _git(repo: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env={
            **os.environ,
            "GIT_AUTHOR_NAME": "t",
            "GIT_AUTHOR_EMAIL": "t@example.com",
            "GIT_COMMITTER_NAME": "t",
            "GIT_COMMITTER_EMAIL": "t@example.com",
            # No global git configuration (signing, hooks, default branch) of the machine.
            "HOME": str(repo),
            "GIT_CONFIG_NOSYSTEM": "1",
        },
    )
    return done.stdout.strip()


@pytest.fixture
def action_repo(tmp_path: Path) -> tuple[Path, dict[str, str]]:
    """A repository with two releases: v1.0.0 (a lightweight tag) and v1.1.0 (annotated)."""
    repo = tmp_path / "setup-thing"
    repo.mkdir()
    _git(repo, "init", "-q", "-b", "main")
    commits: dict[str, str] = {}
    for version in ("v1.0.0", "v1.1.0"):
        (repo / "action.yml").write_text(f"name: thing {version}\n")
        _git(repo, "add", "action.yml")
        _git(repo, "commit", "-q", "-m", version)
        commits[version] = _git(repo, "rev-parse", "HEAD")
    _git(repo, "tag", "v1.0.0", commits["v1.0.0"])
    _git(repo, "tag", "-a", "v1.1.0", "-m", "v1.1.0", commits["v1.1.0"])
    return repo, commits


def _layout(tmp_path: Path, *, sha: str, tag: str) -> tuple[Path, Path]:
    record = tmp_path / "action-pins.yaml"
    record.write_text(f"actions:\n  - repo: acme/setup-thing\n    tag: {tag}\n    sha: {sha}\n")
    workflows = tmp_path / "workflows"
    workflows.mkdir()
    (workflows / "ci.yml").write_text(
        "jobs:\n  a:\n    steps:\n"
        f"      - uses: acme/setup-thing@{sha} # {tag}\n"
        "      - uses: ./local-action\n"
    )
    return record, workflows


def _remote(tmp_path: Path, repo: Path, *, sha: str, tag: str) -> subprocess.CompletedProcess[str]:
    record, workflows = _layout(tmp_path, sha=sha, tag=tag)
    return check(
        "--remote",
        "--source",
        f"acme/setup-thing={repo}",
        "--record",
        str(record),
        "--workflows",
        str(workflows),
    )


@pytest.mark.parametrize("tag", ["v1.0.0", "v1.1.0"], ids=["lightweight", "annotated"])
def test_a_pin_on_its_tags_commit_holds(
    tmp_path: Path, action_repo: tuple[Path, dict[str, str]], tag: str
) -> None:
    repo, commits = action_repo
    result = _remote(tmp_path, repo, sha=commits[tag], tag=tag)
    assert result.returncode == 0, result.stderr


def test_a_pin_on_another_releases_commit_fails(
    tmp_path: Path, action_repo: tuple[Path, dict[str, str]]
) -> None:
    repo, commits = action_repo
    result = _remote(tmp_path, repo, sha=commits["v1.0.0"], tag="v1.1.0")
    assert result.returncode == 1
    assert f"the tag's commit is {commits['v1.1.0']}" in result.stderr


def test_a_pin_that_is_no_commit_of_the_repository_fails(
    tmp_path: Path, action_repo: tuple[Path, dict[str, str]]
) -> None:
    repo, _ = action_repo
    result = _remote(tmp_path, repo, sha=NOT_A_COMMIT, tag="v1.1.0")
    assert result.returncode == 1
    assert NOT_A_COMMIT in result.stderr


def test_a_tag_the_repository_lacks_fails(
    tmp_path: Path, action_repo: tuple[Path, dict[str, str]]
) -> None:
    repo, commits = action_repo
    result = _remote(tmp_path, repo, sha=commits["v1.1.0"], tag="v9.9.9")
    assert result.returncode == 1
    assert "there is no tag v9.9.9" in result.stderr


@pytest.mark.parametrize(
    ("line", "says"),
    [
        ("acme/setup-thing@v1.1.0 # v1.1.0", "is not pinned by a commit sha"),
        (f"acme/setup-thing@{'1' * 40} # v1.1.0", "is not in action-pins.yaml"),
        ("acme/setup-thing@{sha} # v1.0.0", "the comment names 'v1.0.0'"),
        ("acme/setup-thing@{sha}", "the comment names 'no tag'"),
    ],
    ids=["tag-not-sha", "unrecorded-sha", "wrong-comment", "no-comment"],
)
def test_a_workflow_that_strays_from_the_record_fails_offline(
    tmp_path: Path, line: str, says: str
) -> None:
    sha = "2" * 40
    record, workflows = _layout(tmp_path, sha=sha, tag="v1.1.0")
    (workflows / "release.yml").write_text(
        f"jobs:\n  b:\n    steps:\n      - uses: {line.format(sha=sha)}\n"
    )
    result = check("--record", str(record), "--workflows", str(workflows))
    assert result.returncode == 1
    assert says in result.stderr


def test_a_recorded_action_no_workflow_uses_fails(tmp_path: Path) -> None:
    sha = "3" * 40
    record, workflows = _layout(tmp_path, sha=sha, tag="v1.1.0")
    (workflows / "ci.yml").write_text("jobs:\n  a:\n    steps:\n      - run: true\n")
    result = check("--record", str(record), "--workflows", str(workflows))
    assert result.returncode == 1
    assert "is used by no workflow" in result.stderr
