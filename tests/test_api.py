"""`import undercount`: the public API, loaded lazily so that the import itself stays light."""

import subprocess
import sys

import pandas as pd
import pytest

import undercount
from undercount.errors import TableError


def test_import_loads_no_numerical_or_plotting_library():
    code = (
        "import sys, undercount; heavy = [m for m in ('numpy', 'pandas', 'scipy', 'matplotlib', "
        "'plotnine', 'numba') if m in sys.modules]; print(heavy)"
    )
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"
    code = "import sys, undercount; undercount.estimate; print([m for m in ('matplotlib', 'plotnine') if m in sys.modules])"
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert proc.stdout.strip() == "[]"  # estimating needs no plotting


def test_public_names():
    from undercount.estimators import REGISTRY, estimate
    from undercount.histories import CaptureTable
    from undercount.results import EstimateResult, combine, read_result

    assert undercount.estimate is estimate and undercount.CaptureTable is CaptureTable
    assert undercount.REGISTRY is REGISTRY and "lcmcr" in undercount.method_names()
    assert undercount.EstimateResult is EstimateResult and undercount.read_result is read_result
    assert undercount.combine is combine
    assert set(undercount.__all__) <= set(dir(undercount))
    with pytest.raises(AttributeError, match="no attribute 'estimates'"):
        undercount.estimates  # noqa: B018


def test_a_data_frame_to_an_estimate():
    df = pd.DataFrame(
        {"A": [1, 0, 0, 1, 1, 0, 1], "B": [0, 1, 0, 1, 0, 1, 1], "C": [0, 0, 1, 0, 1, 1, 1]}
        | {"count": [40, 35, 30, 12, 10, 9, 4]}
    )
    table = undercount.CaptureTable.from_frame(df)
    assert table.lists == ("A", "B", "C") and table.n_observed == 140
    result = undercount.estimate(table, "mt")
    assert result.n_hat > 140 and result.to_frame()["n_observed"].item() == 140
    bad = df.assign(B=[0, 2, 0, 1, 0, 1, 1])
    with pytest.raises(TableError, match="row 3.*column 'B'.*0 or 1"):
        undercount.CaptureTable.from_frame(bad)
