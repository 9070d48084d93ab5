"""Shared by the provider and the tests generator: where the datasets are, and loading them."""

from __future__ import annotations

import os
from collections.abc import Iterable, Sequence
from functools import cache
from pathlib import Path

from evals.dataset import Case, Dataset, load_dataset, read_datasets

REPO_ROOT = Path(__file__).resolve().parents[2]
DEFAULT_DATASETS = ("evals/datasets",)
DATASETS_ENV = "TASKPILOT_EVAL_DATASETS"


class DatasetProblemsError(Exception):
    """A dataset did not load; the message lists every problem."""


def resolve(path: str | Path) -> Path:
    """A dataset path as given (absolute) or relative to the repository root."""
    candidate = Path(path)
    return candidate if candidate.is_absolute() else REPO_ROOT / candidate


def relative(path: str | Path) -> str:
    """A dataset path relative to the repository root when it is inside it (for test vars)."""
    absolute = Path(path).resolve()
    try:
        return absolute.relative_to(REPO_ROOT).as_posix()
    except ValueError:
        return absolute.as_posix()


def dataset_paths(configured: Iterable[str] | None = None) -> list[Path]:
    """`TASKPILOT_EVAL_DATASETS` (os.pathsep-separated), else `configured`, else the default."""
    raw = [part for part in os.environ.get(DATASETS_ENV, "").split(os.pathsep) if part.strip()]
    chosen: Sequence[str] = raw or list(configured or ()) or DEFAULT_DATASETS
    return [resolve(path) for path in chosen]


def load_all(paths: Iterable[Path]) -> list[Dataset]:
    """The datasets of files and folders; raises when any is malformed."""
    datasets, issues = read_datasets(paths)
    if issues:
        raise DatasetProblemsError("\n".join(str(issue) for issue in issues))
    return datasets


@cache
def _dataset(path: str) -> Dataset:
    return load_dataset(resolve(path))


def find_case(dataset_path: str, case_id: str) -> Case:
    """One case of one dataset file (loaded once per process); KeyError when it is not there."""
    for case in _dataset(dataset_path).cases:
        if case.id == case_id:
            return case
    raise KeyError(f"no case {case_id!r} in {dataset_path}")
