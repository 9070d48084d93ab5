"""Who used the CPU, and when: a thread that samples the CPU time of named groups of processes
from `/proc` (Linux), so that a benchmark can say, for each phase of its run, which process
was busy. On a system without `/proc` it records nothing and reports nothing."""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

_PROC = Path("/proc")
_TICKS = os.sysconf("SC_CLK_TCK") if hasattr(os, "sysconf") else 100


def _stat(pid: int) -> tuple[str, int, float] | None:
    # (command name, parent pid, user + system CPU seconds) of `pid`, or None once it is gone.
    try:
        raw = (_PROC / str(pid) / "stat").read_text()
    except OSError:
        return None
    # The name is in parentheses and may hold spaces; the fields after it are numbers.
    name = raw[raw.index("(") + 1 : raw.rindex(")")]
    rest = raw[raw.rindex(")") + 2 :].split()
    return name, int(rest[1]), (int(rest[11]) + int(rest[12])) / _TICKS


def _processes() -> dict[int, tuple[str, int, float]]:
    found: dict[int, tuple[str, int, float]] = {}
    for entry in _PROC.iterdir() if _PROC.is_dir() else ():
        if entry.name.isdigit() and (stat := _stat(int(entry.name))) is not None:
            found[int(entry.name)] = stat
    return found


def descendants_of(roots: Iterable[int]) -> Callable[[int, str, dict[int, int]], bool]:
    """A group test: the processes `roots` and every process they started, at any depth."""
    wanted = set(roots)

    def test(pid: int, name: str, parents: dict[int, int]) -> bool:
        del name
        seen: set[int] = set()
        while pid not in seen and pid > 1:
            if pid in wanted:
                return True
            seen.add(pid)
            pid = parents.get(pid, 0)
        return False

    return test


def named(*names: str) -> Callable[[int, str, dict[int, int]], bool]:
    """A group test: processes whose command name starts with one of `names`."""

    def test(pid: int, name: str, parents: dict[int, int]) -> bool:
        del pid, parents
        return name.startswith(names)

    return test


@dataclass
class CpuSampler:
    """Samples every `interval` seconds, in a thread, the CPU seconds of each group: a name and
    a test of (pid, command name, parents). A process counts in the first group it passes.
    Processes that exit between two samples lose their last interval."""

    groups: dict[str, Callable[[int, str, dict[int, int]], bool]]
    interval: float = 0.25
    samples: list[tuple[float, dict[str, float]]] = field(default_factory=list, init=False)
    _stop: threading.Event = field(default_factory=threading.Event, init=False)
    _thread: threading.Thread | None = field(default=None, init=False)

    def start(self) -> None:
        self._thread = threading.Thread(target=self._run, name="cpu-sampler", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join()

    def _run(self) -> None:
        while True:
            self._sample()
            if self._stop.wait(self.interval):
                self._sample()
                return

    def _sample(self) -> None:
        processes = _processes()
        parents = {pid: parent for pid, (_, parent, _) in processes.items()}
        totals = dict.fromkeys(self.groups, 0.0)
        for pid, (name, _, seconds) in processes.items():
            for group, test in self.groups.items():
                if test(pid, name, parents):
                    totals[group] += seconds
                    break
        self.samples.append((time.time(), totals))

    def shares(self, start: float, end: float) -> dict[str, float]:
        """Each group's CPU between two `time.time()` instants, as a share of one core, from the
        samples nearest inside them; empty when fewer than two samples fall inside."""
        inside = [(at, totals) for at, totals in self.samples if start <= at <= end]
        if len(inside) < 2:
            return {}
        (first_at, first), (last_at, last) = inside[0], inside[-1]
        wall = max(last_at - first_at, 1e-9)
        # A group whose processes exited or started in the window can come out negative.
        return {group: max(last[group] - first[group], 0.0) / wall for group in self.groups}


def describe(shares: dict[str, float]) -> str:
    """`shares` as "name 12%, other 3%", busiest first."""
    ranked = sorted(shares.items(), key=lambda item: -item[1])
    return ", ".join(f"{name} {share:.0%}" for name, share in ranked)
