"""A result cache for eval runs, so that an unchanged case is not paid for twice.

A result is stored under a key made of everything that decides it: the case as the dataset
states it, the model chain, the prompt version and the text of that prompt, the code of the
agent, its tools and the domain (a fingerprint of their source files), and which run of
`--repeat` it was. Change any of them and the case runs again. Results live as one JSON file
each under `.cache/evals/` (or `TASKPILOT_EVAL_CACHE_DIR`); delete the folder to forget them.

Only runs that finished are stored: a run that raised (a provider outage, say) is tried again.
"""

from __future__ import annotations

import functools
import hashlib
import json
import logging
import os
from pathlib import Path

from evals.dataset import Case
from evals.report import CaseResult

logger = logging.getLogger(__name__)

DEFAULT_DIR = Path(".cache") / "evals"
# Bump when the meaning of a stored result changes, so that old entries are ignored.
# v2: results carry their harmful writes; a v1 entry would read as a run that made none.
_FORMAT = "taskpilot-eval-cache/v2"


def cache_dir() -> Path:
    """Where results are kept: `TASKPILOT_EVAL_CACHE_DIR`, else `.cache/evals`."""
    configured = os.environ.get("TASKPILOT_EVAL_CACHE_DIR")
    return Path(configured) if configured else DEFAULT_DIR


# The packages whose code decides what a turn does.
_CODE_PACKAGES = ("agent", "tools", "tasks", "prompts", "core")


@functools.cache
def code_fingerprint() -> str:
    """A hash of the source files of the packages a turn runs through."""
    digest = hashlib.sha256()
    root = Path(__file__).resolve().parent.parent
    for package in _CODE_PACKAGES:
        for path in sorted((root / package).rglob("*")):
            if path.suffix in {".py", ".md"} and "__pycache__" not in path.parts:
                digest.update(str(path.relative_to(root)).encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@functools.cache
def _prompt_digest(version: str) -> str:
    # A released prompt never changes, but an unreleased one may between runs: key on its text.
    from prompts.loader import load_prompt

    return hashlib.sha256(load_prompt(version).encode()).hexdigest()


def cache_key(case: Case, *, model: str, prompt_version: str, repeat: int) -> str:
    """The hex key of one run of one case."""
    material = {
        "format": _FORMAT,
        "code": code_fingerprint(),
        "case": case.model_dump(mode="json"),
        "model": model,
        "prompt_version": prompt_version,
        "prompt_sha256": _prompt_digest(prompt_version),
        "repeat": repeat,
    }
    encoded = json.dumps(material, sort_keys=True, default=str).encode()
    return hashlib.sha256(encoded).hexdigest()


class ResultCache:
    """Stored case results, one JSON file per key."""

    def __init__(self, root: Path | None = None) -> None:
        self.root = root if root is not None else cache_dir()
        self.hits = 0

    def _path(self, key: str) -> Path:
        return self.root / key[:2] / f"{key}.json"

    def get(self, key: str) -> CaseResult | None:
        path = self._path(key)
        try:
            result = CaseResult.model_validate_json(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError):
            logger.warning("ignoring an unreadable eval cache entry", extra={"path": str(path)})
            return None
        self.hits += 1
        return result.model_copy(update={"cached": True})

    def put(self, key: str, result: CaseResult) -> None:
        if result.error is not None:
            return
        path = self._path(key)
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(".tmp")
        temporary.write_text(result.model_dump_json(), encoding="utf-8")
        temporary.replace(path)
