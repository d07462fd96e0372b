"""The data behind the linkage figures."""

import math

import pandas as pd
import pytest

from undercount.figures.common import SYNTHETIC_LABEL
from undercount.figures.linkage import linkage_accuracy_figure, linkage_sensitivity_figure

ACCURACY = pd.DataFrame(
    {
        "event": ["e", "e"],
        "population": ["deaths", "deaths"],
        "threshold": [0.5, 0.9],
        "records": [10, 10],
        "precision": [0.9, 1.0],
        "recall": [0.8, 0.5],
        "f1": [0.847, 0.667],
        "persons_found": [6, 8],
        "true_persons": [5, 5],
    }
)


def test_accuracy_figure_data_has_every_metric_per_threshold():
    plot, data = linkage_accuracy_figure(ACCURACY, threshold=0.5, synthetic=True)
    assert len(data) == 2 * 4
    row = data[(data["threshold"] == 0.9) & (data["metric"] == "persons found / true persons")]
    assert row["value"].item() == 8 / 5
    assert data.loc[data["metric"] == "recall", "value"].tolist() == [0.8, 0.5]
    assert set(data["table"]) == {"e: deaths"}
    assert data.loc[data["threshold"] == 0.9, "odds"].iloc[0] == pytest.approx(9.0)
    assert SYNTHETIC_LABEL in plot.labels.caption
    _, plain = linkage_accuracy_figure(ACCURACY, threshold=0.5, synthetic=False)
    assert plain.equals(data)


def test_sensitivity_figure_data_keeps_documented_and_estimates():
    sens = pd.DataFrame(
        {
            "event": ["e"] * 4,
            "population": ["deaths"] * 4,
            "threshold": [0.5, 0.5, 0.9, 0.9],
            "method": ["mt", "chapman", "mt", "chapman"],
            "lists": ["a+b"] * 4,
            "n_observed": [40, 40, 44, 44],
            "n_hat": [50.0, math.nan, 60.0, 58.0],
            "ci_low": [45.0, math.nan, 52.0, 50.0],
            "ci_high": [58.0, math.nan, math.inf, 70.0],
            "ci_level": [0.95] * 4,
            "warnings": [""] * 4,
        }
    )
    plot, data = linkage_sensitivity_figure(sens, threshold=0.5, level=0.95, synthetic=False)
    documented = data[data["kind"] == "documented"].set_index("threshold")["value"]
    assert documented.to_dict() == {0.5: 40.0, 0.9: 44.0}
    est = data[data["kind"] == "estimate"]
    assert len(est) == 3  # the not-estimable chapman row at 0.5 is left out
    mt_high = est[(est["series"] == "estimate: mt") & (est["threshold"] == 0.9)]["high"].item()
    assert math.isnan(mt_high)  # an unbounded interval is not drawn as a bar
    assert SYNTHETIC_LABEL not in plot.labels.caption
