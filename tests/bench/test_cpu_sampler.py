"""The ack benchmark's CPU sampler: CPU a process burns is counted in its group, not in
another."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from cpu_sampler import CpuSampler, descendants_of, named  # pyright: ignore[reportMissingImports]

# When told to, burns 0.3 s of CPU, says so, then waits to be stopped without using any.
_BURN = """
import sys, time
sys.stdin.readline()
start = time.process_time()
while time.process_time() - start < 0.3:
    pass
print("burnt", flush=True)
sys.stdin.read()
"""


@pytest.mark.skipif(not os.path.isdir("/proc"), reason="the sampler reads /proc (Linux)")
def test_the_cpu_a_child_burns_is_counted_in_its_group() -> None:
    child = subprocess.Popen(
        [sys.executable, "-c", _BURN], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        sampler = CpuSampler(
            groups={"child": descendants_of([child.pid]), "other": named("")}, interval=0.05
        )
        sampler.start()
        while not sampler.samples:
            time.sleep(0.01)
        assert child.stdin is not None
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.stdout is not None and child.stdout.readline() == "burnt\n"
        sampler.stop()
    finally:
        child.communicate("")
    (_, first), (_, last) = sampler.samples[0], sampler.samples[-1]
    # /proc counts CPU in clock ticks, so a little of the 0.3 s may fall outside the samples.
    assert last["child"] - first["child"] >= 0.25
    assert set(first) == {"child", "other"}
