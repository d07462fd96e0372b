import json

import numpy as np
import pytest
from conftest import benchmark_table

from undercount.estimators import estimate
from undercount.figures import SYNTHETIC_LABEL, save_figure
from undercount.figures.lcmcr import chains_frame, density_frame, lcmcr_density, lcmcr_trace

SETTINGS = {"burnin": 200, "samples": 50, "thinning": 2, "chains": 3, "progress": False, "workers": 1}


@pytest.fixture(scope="module")
def result():
    return estimate(benchmark_table("NewOrl_5"), "lcmcr", seed=4, settings=SETTINGS)


def as_json(result):
    return json.loads(json.dumps(result.to_dict(), default=float))


def test_chains_are_split_in_order(result):
    frame = chains_frame(result)
    assert len(frame) == 150 and sorted(frame["chain"].unique()) == [1, 2, 3]
    np.testing.assert_array_equal(frame[frame["chain"] == 2]["N"], result.draws[50:100])
    # the JSON form plus the draws file give the same frame
    assert chains_frame(as_json(result), result.draws).equals(frame)
    with pytest.raises(ValueError, match="expected 3 chains x 50 draws"):
        chains_frame(result, result.draws[:-1])


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
