import numpy as np
import pytest
from conftest import benchmark_table

from undercount.estimators import estimate
from undercount.estimators.dga import posterior_of
from undercount.figures import SYNTHETIC_LABEL, save_figure
from undercount.figures.dga import dga_figure, dga_figure_data
from undercount.results import read_result


@pytest.fixture(scope="module")
def result():
    return estimate(
        benchmark_table("spina_bifida"), "dga", settings={"max_missing": "20n", "progress": False}
    )


def test_bands_add_up_to_the_posterior(result):
    from undercount.estimators.dga import OTHER_FLOOR

    data = dga_figure_data(result)
    N, p = posterior_of(result)
    per_bin = data.groupby(["N_low", "N_high"])["probability"].sum()
    for (lo, hi), mass in per_bin.items():
        exact = p[(N >= lo) & (N <= hi)].sum()
        # all but an "other graphs" residual under OTHER_FLOOR of the bin, written as 0
        assert exact * (1 - OTHER_FLOOR) - 1e-12 <= mass <= exact + 1e-12
    # the bins cover the central 99.9% of the posterior
    assert 0.999 * (1 - OTHER_FLOOR) - 1e-9 <= per_bin.sum() <= 1 + 1e-12
    assert (data["density"] * (data["N_high"] - data["N_low"] + 1)).sum() == pytest.approx(per_bin.sum())


def test_labels_carry_each_graphs_probability_and_estimate(result):
    data = dga_figure_data(result)
    top = result.details["top_graphs"][0]
    first = data[data["order"] == 0]["label"].iloc[0]
    assert first.startswith("[BC][DC,MR]  p = 0.72")
    assert f"N {top['median']:,} ({top['ci_low']:,} to {top['ci_high']:,})" in first
    assert data["label"].iloc[-1].startswith("all other graphs")
    assert data["order"].nunique() == 5  # four graphs and the rest


def test_result_read_from_its_file_gives_the_same_figure_data(result, tmp_path):
    result.write(tmp_path / "dga.json")
    back = read_result(tmp_path / "dga.json")
    assert dga_figure_data(back).equals(dga_figure_data(result))
    plot, data = dga_figure(back, synthetic=True)
    assert SYNTHETIC_LABEL in plot.labels.caption
    save_figure(plot, data, tmp_path / "dga.png")
    assert (tmp_path / "dga.png").stat().st_size > 0 and (tmp_path / "dga.tsv").exists()
    plain, _ = dga_figure(result)
    assert SYNTHETIC_LABEL not in plain.labels.caption
    assert np.isclose(data["probability"].sum(), dga_figure_data(result)["probability"].sum())
