"""House habits checked like snakefmt is: ruff lint and format over the Python tree, mypy over src/."""

import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PYTHON_TREES = ["src", "scripts", "tests", "benchmarks"]


def _ruff(*args):
    exe = Path(sys.executable).with_name("ruff")
    return subprocess.run([str(exe), *args, *PYTHON_TREES], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.parametrize("args", [("check", "--no-cache"), ("format", "--check", "--no-cache")])
def test_ruff_clean(args):
    proc = _ruff(*args)
    assert proc.returncode == 0, proc.stdout + proc.stderr


def test_mypy_clean():
    """mypy over src/ as pyproject.toml configures it ([tool.mypy]); .mypy_cache is git-ignored."""
    exe = Path(sys.executable).with_name("mypy")
    proc = subprocess.run([str(exe), "--no-error-summary"], cwd=ROOT, capture_output=True, text=True)
    assert proc.returncode == 0, proc.stdout + proc.stderr
