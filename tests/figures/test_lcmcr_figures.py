from dataclasses import replace

import numpy as np
import pytest
from conftest import benchmark_table

from undercount.estimators import estimate
from undercount.figures import SYNTHETIC_LABEL, save_figure
from undercount.figures.lcmcr import chains_frame, density_frame, lcmcr_density, lcmcr_trace
from undercount.results import read_result

SETTINGS = {"burnin": 200, "samples": 50, "thinning": 2, "chains": 3, "progress": False, "workers": 1}


@pytest.fixture(scope="module")
def result():
    return estimate(benchmark_table("NewOrl_5"), "lcmcr", seed=4, settings=SETTINGS)


def test_chains_are_split_in_order(result, tmp_path):
    frame = chains_frame(result)
    assert len(frame) == 150 and sorted(frame["chain"].unique()) == [1, 2, 3]
    np.testing.assert_array_equal(frame[frame["chain"] == 2]["N"], result.draws.pooled[50:100])
    # a result read back from its file gives the same frame
    result.write(tmp_path / "lcmcr.json")
    assert chains_frame(read_result(tmp_path / "lcmcr.json")).equals(frame)
    with pytest.raises(ValueError, match="needs the draws of N"):
        chains_frame(replace(result, draws=None))


def test_density_integrates_to_the_share_drawn(result):
    data = density_frame(result)
    for chain, group in data.groupby("chain"):
        size = 150 if chain == "all" else 50
        mass = (group["density"] * (group["N_high"] - group["N_low"])).sum()
        assert mass == pytest.approx(1 - group["outside"].iloc[0] / size)
    assert set(data["chain"]) == {"all", "1", "2", "3"}


def test_figures_say_synthetic_and_carry_warnings(result, tmp_path):
    for make in (lcmcr_trace, lcmcr_density):
        plot, data = make(result, synthetic=True, title="t")
        assert plot.labels.get("subtitle", None) == SYNTHETIC_LABEL
        caption = plot.labels.get("caption", None)
        assert SYNTHETIC_LABEL in caption and "R-hat" in caption
        for w in result.warnings:
            assert w[:40] in caption.replace("\n", " ")
        save_figure(plot, data, tmp_path / f"{make.__name__}.png", width=8, height=5)
        assert (tmp_path / f"{make.__name__}.png").stat().st_size > 5000
        plot, _ = make(result, synthetic=False)
        assert SYNTHETIC_LABEL not in (plot.labels.get("caption", None) or "")
