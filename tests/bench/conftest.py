"""The benchmarks' own modules live in `bench/`, which is no package: their tests import them
from there, as the benchmarks do."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))
