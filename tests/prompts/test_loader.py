"""Prompt versions load by name; a missing version is a clear error."""

from __future__ import annotations

import pytest

from prompts.loader import UnknownPromptVersion, available_versions, load_prompt


def test_v1_is_released_and_loads() -> None:
    assert "v1" in available_versions()
    text = load_prompt("v1")
    assert "{today}" in text and "{timezone}" in text


@pytest.mark.parametrize("version", ["v999", "latest", "../v1", ""])
def test_unknown_version_names_the_known_ones(version: str) -> None:
    with pytest.raises(UnknownPromptVersion, match="Known versions: v1"):
        load_prompt(version)
