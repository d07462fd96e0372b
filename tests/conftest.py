"""Shared test helpers: benchmark tables, R reference values and tolerances."""

from __future__ import annotations

# first, before anything numerical: pins the BLAS kernels (undercount._blas) before numpy loads
import undercount  # noqa: F401

# isort: split
import importlib.util
import math
import os
import subprocess
from pathlib import Path

import pandas as pd
import pytest

from undercount.histories import CaptureTable

ROOT = Path(__file__).resolve().parents[1]
TABLES = ROOT / "benchmarks" / "tables"
DATASETS = sorted(p.stem for p in TABLES.glob("*.csv") if p.stem != "reference_R")


def pytest_collection_modifyitems(config, items):
    """The files that take minutes first: those with a whole-workflow test, then those marked ``long``.

    ``make test`` runs the suite on two workers, a file to a worker (pytest-xdist,
    ``--dist loadfile --no-loadscope-reorder``), handed out in this order: a long file
    handed out last would leave the other worker idle for minutes at the end. Whole files
    move, and the sort is stable: the files keep their order within each group, and a
    file's tests keep theirs.
    """
    rank: dict[str, tuple[bool, bool]] = {}
    for item in items:
        mine = (item.get_closest_marker("workflow") is None, item.get_closest_marker("long") is None)
        rank[item.fspath.strpath] = min(rank.get(item.fspath.strpath, mine), mine)
    items.sort(key=lambda item: rank[item.fspath.strpath])


@pytest.fixture(autouse=True)
def _own_estimate_cache(tmp_path_factory, monkeypatch):
    """Every test its own estimate cache (undercount.cache), never the checkout's .cache/."""
    monkeypatch.setenv("UNDERCOUNT_CACHE", str(tmp_path_factory.mktemp("estimate-cache")))


def benchmark_table(name: str) -> CaptureTable:
    """One of the real tables in benchmarks/tables."""
    return CaptureTable.from_csv(TABLES / f"{name}.csv")


def reference(method: str) -> pd.DataFrame:
    """Rows of reference_R.csv for one R method, bounds kept as text ('>x')."""
    ref = pd.read_csv(TABLES / "reference_R.csv", dtype={"ci_low": str, "ci_high": str})
    return ref[ref["method"] == method].reset_index(drop=True)


def reference_number(text: str) -> float | None:
    """A reference bound as a float, or None when R only reported '>x'."""
    text = str(text)
    return None if text.startswith(">") else float(text)


def sig_tolerance(reference_value: float, digits: int = 4) -> float:
    """Half a unit in the last of ``digits`` significant digits of the reference.

    Deterministic fits agree with R only up to the optimiser tolerances on both
    sides (R's ``optimize``/``uniroot`` stop near 1e-4 relative), so the
    project-wide standard is agreement to 4 significant digits.
    """
    if reference_value == 0:
        return 0.5 * 10 ** (-digits)
    exponent = math.floor(math.log10(abs(reference_value)))
    return 0.5 * 10 ** (exponent - digits + 1)


def assert_sig(ours: float, theirs: float, digits: int = 4, what: str = "") -> None:
    tol = sig_tolerance(theirs, digits)
    assert abs(ours - theirs) <= tol, f"{what}: {ours!r} vs R {theirs!r} (tolerance {tol})"


@pytest.fixture
def hiv() -> CaptureTable:
    return benchmark_table("HIV")


#: Set by .ci/run: every real engine (linter, browser, Spark, cluster) must be present there.
REQUIRE_ENGINES = os.environ.get("UNDERCOUNT_REQUIRE_ENGINES") == "1"


def skip_or_fail(reason: str) -> None:
    """Skip a test whose real engine is missing, with the reason, except in CI, where it fails.

    ``.ci/run`` installs every engine and sets ``UNDERCOUNT_REQUIRE_ENGINES=1``: a test that
    would skip there is a failure of the CI set-up, not a pass.
    """
    if REQUIRE_ENGINES:
        pytest.fail(f"{reason} (UNDERCOUNT_REQUIRE_ENGINES=1: CI installs it, so this is an error)")
    pytest.skip(reason)


#: Debian's chromium, driven by Playwright (never ``playwright install``: it downloads a browser).
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def playwright_or_skip():
    """``sync_playwright``, or a skip (a failure in CI) naming what is missing."""
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        skip_or_fail("playwright is not installed (pip install -e '.[test]')")
    if not CHROMIUM.exists():
        skip_or_fail("Debian's chromium is not installed (apt-get install chromium; .ci/run does)")
    return sync_playwright


def open_in_browser(path: Path, profile: Path, *, width: int = 1400, height: int = 1000):
    """Open a local HTML file in a fresh headless chromium profile.

    Returns ``(playwright, context, page, console_errors)``; the caller closes
    the context and stops playwright. Console errors and page errors are
    collected from before the page loads.
    """
    sync_playwright = playwright_or_skip()
    pw = sync_playwright().start()
    context = pw.chromium.launch_persistent_context(
        str(profile),
        executable_path=str(CHROMIUM),
        args=CHROMIUM_ARGS,
        viewport={"width": width, "height": height},
    )
    page = context.new_page()
    errors: list[str] = []
    page.on("console", lambda msg: errors.append(msg.text) if msg.type == "error" else None)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.goto(path.resolve().as_uri())
    page.wait_for_load_state("load")
    return pw, context, page, errors


#: A single-node SLURM cluster on localhost (munged, slurmctld, slurmd), started by this script.
SLURM_CLUSTER = ROOT / "scripts" / "dev" / "slurm_cluster.sh"


@pytest.fixture(scope="session")
def slurm_cluster(tmp_path_factory):
    """A real SLURM cluster for the session: the environment that points SLURM's commands at it.

    ``scripts/dev/slurm_cluster.sh start`` runs the three daemons as root with everything
    (slurm.conf, munge key and socket, state, logs) in a temporary directory, and waits until
    ``sinfo`` shows the node idle; the cluster is stopped after the last test. Skipped, with the
    script's own reason, when it cannot start (not root, slurm-wlm or munge not installed, the
    SLURM executor plugin missing); in CI (UNDERCOUNT_REQUIRE_ENGINES=1) that is a failure.
    """
    if importlib.util.find_spec("snakemake_executor_plugin_slurm") is None:
        skip_or_fail(
            "the SLURM executor plugin is not installed (pip install -e '.[cluster]'; make install-test does)"
        )
    directory = tmp_path_factory.mktemp("slurm")
    env = {**os.environ, "UNDERCOUNT_SLURM_DIR": str(directory)}
    started = subprocess.run(["bash", str(SLURM_CLUSTER), "start"], env=env, capture_output=True, text=True)
    if started.returncode != 0:
        skip_or_fail(f"the SLURM test cluster did not start:\n{started.stderr.strip()[-3000:]}")
    try:
        yield {**os.environ, "SLURM_CONF": str(directory / "etc" / "slurm.conf")}
    finally:
        subprocess.run(["bash", str(SLURM_CLUSTER), "stop"], env=env, capture_output=True, text=True)
