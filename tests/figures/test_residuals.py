import hashlib
import math

import pytest
from conftest import benchmark_table

from undercount.estimators import estimate
from undercount.figures import SYNTHETIC_LABEL, save_figure
from undercount.figures.residuals import residuals_data, residuals_figure
from undercount.results import read_result


def test_residuals_data_from_a_fit():
    table = benchmark_table("Western")
    result = estimate(table, "stepwise")
    data = residuals_data(result, labels={"A": "List A"})
    assert len(data) == 31 and list(data["order"]) == list(range(1, 32))
    assert data["observed"].sum() == table.n_observed
    row = data[data["pattern"] == "10001"].iloc[0]  # A and E: the interaction the selection added
    assert row["lists_on"] == "List A+E" and row["n_lists"] == 2
    assert row["pearson"] == pytest.approx((row["observed"] - row["fitted"]) / math.sqrt(row["fitted"]))
    assert set(data["kind"]) <= {"within ±2", "beyond ±2"}
    assert (data["kind"] == "beyond ±2").sum() == (data["pearson"].abs() > 2).sum()


def test_structural_zeros_marked_and_a_result_read_back_accepted(tmp_path):
    result = estimate(benchmark_table("Ned_5"), "stepwise")  # K:R at minus infinity
    result.write(tmp_path / "stepwise.json")
    data = residuals_data(read_result(tmp_path / "stepwise.json"))
    assert data.equals(residuals_data(result))
    zeros = data[data["deleted"]]
    assert len(zeros) == 8 and zeros["pearson"].isna().all()
    assert set(zeros["kind"]) == {"structural zero"}
    assert all(p[1] == "1" and p[3] == "1" for p in zeros["pattern"])


def test_figure_labels_and_determinism(tmp_path):
    result = estimate(benchmark_table("hare"), "mth-poisson")
    plot, data = residuals_figure(result, synthetic=True)
    assert SYNTHETIC_LABEL in plot.labels.caption and "Mth Poisson2" in plot.labels.title
    assert "deviance" in plot.labels.caption
    digests = []
    for i in range(2):
        png = tmp_path / f"r{i}.png"
        save_figure(plot, data, png, width=8, height=4)
        digests.append(hashlib.sha256(png.read_bytes()).hexdigest())
    assert digests[0] == digests[1]
    assert (tmp_path / "r0.tsv").read_text().splitlines()[0].startswith("order\tpattern")
    plain, _ = residuals_figure(result, synthetic=False)
    assert SYNTHETIC_LABEL not in plain.labels.caption


def test_results_without_cells_are_refused():
    result = estimate(benchmark_table("HIV"), "chapman", settings={"pair": "c1,c2"})
    with pytest.raises(ValueError, match="no per-cell fit"):
        residuals_data(result)
