"""Check that every GitHub Action the workflows use is pinned to the commit its tag names.

`.github/action-pins.yaml` is the one record of the actions, their release tags and those
tags' commits. This script checks, offline, that every `uses:` of `.github/workflows/*.yml`
is `owner/repo[/path]@<40-hex sha> # <tag>` with the repository, tag and sha of an entry of
that record, and that the record holds no entry no workflow uses. With `--remote` it also asks
each action's repository (`git ls-remote`) which commit each tag points to now, and fails when
it is not the recorded sha: a sha that is no commit of the repository, or one of another
release, is caught here, where a workflow validator cannot see it.

    python .github/scripts/check_action_pins.py                 # offline, in `make test`
    python .github/scripts/check_action_pins.py --remote        # asks GitHub, in CI
    python .github/scripts/check_action_pins.py --remote --source actions/checkout=/srv/mirror

`--source owner/repo=URL` reads that repository from another URL or a local git directory (a
mirror) instead of github.com. Exit status 0 when everything holds, 1 with one line per
problem otherwise.
"""

from __future__ import annotations

import argparse
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RECORD = ROOT / ".github" / "action-pins.yaml"
WORKFLOWS = ROOT / ".github" / "workflows"

_SHA = re.compile(r"^[0-9a-f]{40}$")
# `uses: owner/repo[/path]@ref  # comment`, as a workflow step or a reusable workflow call.
_USES = re.compile(r"^\s*(?:-\s+)?uses:\s*(?P<target>[^\s#]+)\s*(?:#\s*(?P<comment>.*))?$")


@dataclass(frozen=True)
class Pin:
    """One action at one release: its repository, the release tag and that tag's commit."""

    repo: str
    tag: str
    sha: str


@dataclass(frozen=True)
class Use:
    """One `uses:` line of a workflow."""

    where: str
    repo: str
    ref: str
    comment: str


def load_record(path: Path = RECORD) -> tuple[list[Pin], list[str]]:
    """The record's pins, and what is wrong with the record itself."""
    problems: list[str] = []
    data = yaml.safe_load(path.read_text())
    entries = data.get("actions") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        return [], [f"{path.name}: expected a non-empty list under `actions`"]
    pins: list[Pin] = []
    for index, entry in enumerate(entries):
        if not isinstance(entry, dict) or {"repo", "tag", "sha"} - entry.keys():
            problems.append(f"{path.name}: entry {index} needs repo, tag and sha")
            continue
        pin = Pin(repo=str(entry["repo"]), tag=str(entry["tag"]), sha=str(entry["sha"]))
        if not _SHA.fullmatch(pin.sha):
            problems.append(f"{path.name}: {pin.repo} {pin.tag}: {pin.sha!r} is not a 40-hex sha")
        if pin.repo.count("/") != 1:
            problems.append(f"{path.name}: {pin.repo!r} is not owner/repo")
        pins.append(pin)
    seen: set[tuple[str, str]] = set()
    for pin in pins:
        if (pin.repo, pin.tag) in seen:
            problems.append(f"{path.name}: {pin.repo} {pin.tag} is recorded twice")
        seen.add((pin.repo, pin.tag))
    return pins, problems


def workflow_uses(directory: Path = WORKFLOWS) -> list[Use]:
    """Every `uses:` of a remote action in the workflows (local `./` actions and `docker://`
    images are not GitHub repositories and are left out)."""
    found: list[Use] = []
    for path in sorted([*directory.glob("*.yml"), *directory.glob("*.yaml")]):
        for number, line in enumerate(path.read_text().splitlines(), start=1):
            match = _USES.match(line)
            if match is None:
                continue
            target = match.group("target").strip("'\"")
            if target.startswith(("./", "docker://")):
                continue
            name, _, ref = target.partition("@")
            repo = "/".join(name.split("/")[:2])
            found.append(
                Use(
                    where=f"{path.name}:{number}",
                    repo=repo,
                    ref=ref,
                    comment=(match.group("comment") or "").strip(),
                )
            )
    return found


def check_workflows(pins: list[Pin], uses: list[Use]) -> list[str]:
    """Problems of the workflows against the record (offline)."""
    problems: list[str] = []
    by_key = {(pin.repo, pin.sha): pin for pin in pins}
    used: set[Pin] = set()
    for use in uses:
        if not _SHA.fullmatch(use.ref):
            problems.append(
                f"{use.where}: {use.repo}@{use.ref} is not pinned by a commit sha "
                f"(write {use.repo}@<sha> # <tag>, with the sha recorded in {RECORD.name})"
            )
            continue
        tag = use.comment.split()[0] if use.comment else ""
        pin = by_key.get((use.repo, use.ref))
        if pin is None:
            problems.append(
                f"{use.where}: {use.repo}@{use.ref} is not in {RECORD.name}; record the tag "
                "and its commit there (and check them with --remote)"
            )
            continue
        if tag != pin.tag:
            problems.append(
                f"{use.where}: the comment names {tag or 'no tag'!r}, but {use.ref} is the "
                f"recorded commit of {pin.repo} {pin.tag}"
            )
        used.add(pin)
    for pin in pins:
        if pin not in used:
            problems.append(f"{RECORD.name}: {pin.repo} {pin.tag} is used by no workflow")
    return problems


def tag_commit(url: str, tag: str) -> str | None:
    """The commit `tag` points to in the repository at `url` (an annotated tag peeled), or
    None when the repository has no such tag."""
    result = subprocess.run(  # noqa: S603
        ["git", "ls-remote", "--tags", url, f"refs/tags/{tag}", f"refs/tags/{tag}^{{}}"],  # noqa: S607
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    if result.returncode != 0:
        raise RuntimeError(f"git ls-remote {url} failed: {result.stderr.strip()}")
    refs = dict(
        reversed(line.split("\t", 1)) for line in result.stdout.splitlines() if "\t" in line
    )
    return refs.get(f"refs/tags/{tag}^{{}}") or refs.get(f"refs/tags/{tag}")


def check_remote(pins: list[Pin], sources: dict[str, str]) -> list[str]:
    """Problems of the record against the actions' repositories (online, or local mirrors)."""
    problems: list[str] = []
    for pin in pins:
        url = sources.get(pin.repo, f"https://github.com/{pin.repo}.git")
        try:
            commit = tag_commit(url, pin.tag)
        except (RuntimeError, subprocess.TimeoutExpired) as error:
            problems.append(f"{pin.repo} {pin.tag}: could not ask the repository ({error})")
            continue
        if commit is None:
            problems.append(f"{pin.repo}: there is no tag {pin.tag}")
        elif commit != pin.sha:
            problems.append(
                f"{pin.repo} {pin.tag}: the tag's commit is {commit}, "
                f"but {RECORD.name} pins {pin.sha}"
            )
    return problems


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--remote", action="store_true", help="also ask each repository")
    parser.add_argument(
        "--source",
        action="append",
        default=[],
        metavar="OWNER/REPO=URL",
        help="read that repository from URL (or a local git directory) instead of GitHub",
    )
    parser.add_argument("--record", type=Path, default=RECORD, help=argparse.SUPPRESS)
    parser.add_argument("--workflows", type=Path, default=WORKFLOWS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    pins, problems = load_record(args.record)
    problems += check_workflows(pins, workflow_uses(args.workflows))
    if args.remote:
        sources = dict(item.split("=", 1) for item in args.source)
        problems += check_remote(pins, sources)
    for problem in problems:
        print(problem, file=sys.stderr)
    if not problems:
        where = "and against their repositories" if args.remote else "(offline)"
        print(f"{len(pins)} action pins checked {where}: all hold.")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
