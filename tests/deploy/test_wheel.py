"""The wheel holds the product only: TaskPilot's packages, not the tests, the stand-ins of
`devtools`, the benchmarks or the deployment tooling."""

from __future__ import annotations

import shutil
import subprocess
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
PRODUCT = {
    "core", "tasks", "tools", "agent", "prompts", "evals", "slack_app", "api", "taskpilot",
}  # fmt: skip


def test_the_wheel_holds_only_the_products_packages(tmp_path: Path) -> None:
    uv = shutil.which("uv")
    if uv is None:
        pytest.skip("uv is not on PATH (make install installs it)")
    built = subprocess.run(
        [uv, "build", "--wheel", "--out-dir", str(tmp_path), str(ROOT)],
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )
    assert built.returncode == 0, built.stderr
    [wheel] = tmp_path.glob("taskpilot-*.whl")
    names = zipfile.ZipFile(wheel).namelist()
    tops = {name.split("/", 1)[0] for name in names}
    metadata = {top for top in tops if top.endswith(".dist-info")}
    assert tops - metadata == PRODUCT
    assert not [name for name in names if "/tests/" in name or name.startswith("devtools/")]
    # The stand-ins moved out of the packages they used to sit in.
    assert "slack_app/local_web_api.py" not in names
    assert "evals/scripted_provider.py" not in names
