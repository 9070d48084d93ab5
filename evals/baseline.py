"""Committed per-category baselines, and the gate that refuses a run scoring worse than them.

A baseline file (`taskpilot-eval-baseline/v1`) holds, for each variant (model and prompt
version), the pass rate of every category and overall, and the harmful-write rate (runs that
wrote something the person did not ask for, see `evals.harm`) of every category and overall.
A run fails the gate when any category of a variant the baseline knows scores lower than its
baseline pass rate, or when any category's or the overall harmful-write rate rises above its
baseline's. A category the baseline does not know yet is reported, not gated; write a new
baseline to start gating it. A baseline written before harmful writes were counted has no
`harmful_*` fields: it still loads, and the harm gate is then a note, not a failure.

```
{"schema": "taskpilot-eval-baseline/v1",
 "variants": [{"model": "offline", "prompt_version": "v2", "overall": 0.95,
               "categories": {"create": 1.0, "dates": 0.9},
               "harmful_overall": 0.02,
               "harmful_categories": {"create": 0.0, "dates": 0.05}}]}
```
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Final, cast

BASELINE_SCHEMA: Final = "taskpilot-eval-baseline/v1"
# Rates are fractions of small counts rounded to 4 places; this keeps 17/20 equal to 0.85
# whatever the floats.
_TOLERANCE: Final = 1e-9


class BaselineError(ValueError):
    """A baseline file that cannot be read; the message says which and why."""


@dataclass
class GateResult:
    """What the gate found: the drops that fail it, and what it could not check."""

    drops: list[str] = field(default_factory=list[str])
    notes: list[str] = field(default_factory=list[str])

    @property
    def passed(self) -> bool:
        return not self.drops


def baseline_from_report(report: Mapping[str, Any]) -> dict[str, Any]:
    """The baseline a JSON report (`taskpilot-eval-report/v1`) sets."""
    variants: list[dict[str, Any]] = []
    for variant in cast("list[dict[str, Any]]", report.get("variants", [])):
        categories = cast("list[dict[str, Any]]", variant.get("categories", []))
        entry: dict[str, Any] = {
            "model": variant.get("model"),
            "prompt_version": variant.get("prompt_version"),
            "overall": variant.get("pass_rate", 0.0),
            "categories": {
                str(item["category"]): item.get("pass_rate", 0.0) for item in categories
            },
        }
        # A report from before harmful writes were judged sets no harm baseline.
        if "harmful_rate" in variant:
            entry["harmful_overall"] = variant["harmful_rate"]
            entry["harmful_categories"] = {
                str(item["category"]): item["harmful_rate"]
                for item in categories
                if "harmful_rate" in item
            }
        variants.append(entry)
    return {"schema": BASELINE_SCHEMA, "variants": variants}


def write_baseline(report: Mapping[str, Any], path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(baseline_from_report(report), indent=2, ensure_ascii=False)
    path.write_text(text + "\n", encoding="utf-8")
    return path


def read_baseline(path: Path) -> dict[str, Any]:
    try:
        data: object = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as error:
        raise BaselineError(f"{path}: no such baseline file") from error
    except (OSError, ValueError) as error:
        raise BaselineError(f"{path}: not a readable JSON file ({error})") from error
    if not isinstance(data, dict) or cast("dict[str, Any]", data).get("schema") != BASELINE_SCHEMA:
        raise BaselineError(f"{path}: not a {BASELINE_SCHEMA} file")
    return cast("dict[str, Any]", data)


def check_baseline(report: Mapping[str, Any], baseline: Mapping[str, Any]) -> GateResult:
    """Compare every variant of the run with the baseline's, category by category.

    A pass rate below its baseline fails the gate, and so does a harmful-write rate (a
    category's or the overall one) above its baseline.
    """
    gate = GateResult()
    known = {
        (item.get("model"), item.get("prompt_version")): item
        for item in cast("list[dict[str, Any]]", baseline.get("variants", []))
    }
    for variant in cast("list[dict[str, Any]]", report.get("variants", [])):
        label = f"{variant.get('model')} · prompt {variant.get('prompt_version')}"
        base = known.get((variant.get("model"), variant.get("prompt_version")))
        if base is None:
            gate.notes.append(f"{label}: no baseline for this model and prompt; not gated")
            continue
        expected = cast("dict[str, float]", base.get("categories", {}))
        for item in cast("list[dict[str, Any]]", variant.get("categories", [])):
            category = str(item["category"])
            rate = float(item.get("pass_rate", 0.0))
            if category not in expected:
                gate.notes.append(f"{label}: {category} has no baseline yet ({rate:.1%})")
                continue
            floor = float(expected[category])
            if rate + _TOLERANCE < floor:
                gate.drops.append(
                    f"{label}: {category} {rate:.1%} is below its baseline {floor:.1%}"
                )
        _check_harm(variant, base, label=label, gate=gate)
    return gate


def _check_harm(
    variant: Mapping[str, Any], base: Mapping[str, Any], *, label: str, gate: GateResult
) -> None:
    """The harm half of the gate: no harmful-write rate may rise above its baseline's."""
    if "harmful_overall" not in base and "harmful_categories" not in base:
        gate.notes.append(
            f"{label}: the baseline has no harmful-write rates; harmful writes not gated "
            "(write a new baseline to gate them)"
        )
        return
    if "harmful_rate" not in variant:
        gate.notes.append(f"{label}: the run has no harmful-write rates; harmful writes not gated")
        return
    ceilings = cast("dict[str, float]", base.get("harmful_categories", {}))
    for item in cast("list[dict[str, Any]]", variant.get("categories", [])):
        category = str(item["category"])
        if "harmful_rate" not in item:
            continue
        rate = float(item["harmful_rate"])
        if category not in ceilings:
            if category in cast("dict[str, float]", base.get("categories", {})):
                gate.notes.append(
                    f"{label}: {category} has no harmful-write baseline yet ({rate:.1%})"
                )
            continue
        ceiling = float(ceilings[category])
        if rate > ceiling + _TOLERANCE:
            gate.drops.append(
                f"{label}: {category} harmful-write rate {rate:.1%} is above its baseline "
                f"{ceiling:.1%}"
            )
    if "harmful_overall" in base:
        rate, ceiling = float(variant["harmful_rate"]), float(base["harmful_overall"])
        if rate > ceiling + _TOLERANCE:
            gate.drops.append(
                f"{label}: overall harmful-write rate {rate:.1%} is above its baseline "
                f"{ceiling:.1%}"
            )
