"""Versioned prompt files. A released version is never edited; a change is a new version."""

from __future__ import annotations

import re
from importlib import resources

_VERSION = re.compile(r"^v[0-9]+$")


class UnknownPromptVersion(ValueError):
    """The asked-for prompt version does not exist."""


def available_versions(name: str = "task_agent") -> list[str]:
    """The released versions of a prompt, oldest first."""
    folder = resources.files("prompts").joinpath(name)
    versions = [
        entry.name.removesuffix(".md")
        for entry in folder.iterdir()
        if entry.name.endswith(".md") and _VERSION.match(entry.name.removesuffix(".md"))
    ]
    return sorted(versions, key=lambda v: int(v[1:]))


def load_prompt(version: str, name: str = "task_agent") -> str:
    """The text of one prompt version, or `UnknownPromptVersion` naming the ones that exist."""
    if not _VERSION.match(version) or version not in available_versions(name):
        known = ", ".join(available_versions(name)) or "none"
        raise UnknownPromptVersion(
            f"There is no prompt {name}/{version}. Known versions: {known}. "
            "Set TASKPILOT_PROMPT_VERSION to one of them."
        )
    return resources.files("prompts").joinpath(name, f"{version}.md").read_text(encoding="utf-8")
