"""The workflow's side of linkage-averaged estimates (undercount.linkage.averaging) and its gather step."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from undercount.histories import CaptureTable
from undercount.linkage.averaging import (
    DOMINANT_SHARE,
    estimate_draws,
    linkage_share,
    linkage_warning,
    per_draw_frame,
    table_id,
    uncertain_pair_kinds,
)
from undercount.linkage.draws import pool_over_linkages
from undercount.results import Draws, EstimateResult, headline_rows

ROOT = Path(__file__).resolve().parents[1]


def _result(mean: float, sd: float, seed: int) -> EstimateResult:
    draws = np.random.default_rng(seed).normal(mean, sd, 400)
    return EstimateResult(
        method="mt",
        lists=("a", "b", "c"),
        n_observed=40,
        n_hat=float(np.median(draws)),
        ci_low=float(np.quantile(draws, 0.025)),
        ci_high=float(np.quantile(draws, 0.975)),
        ci_level=0.95,
        draws=Draws.bootstrap(draws),
    )


def test_share_and_warning_follow_the_variances():
    # linkages far apart, each precise: most of the variance is between them
    apart = pool_over_linkages([_result(m, 1.0, s) for s, m in enumerate((50, 60, 70, 80))], seed=1)
    close = pool_over_linkages([_result(m, 5.0, s) for s, m in enumerate((50, 50.5, 51, 51.5))], seed=1)
    d = apart.details
    assert linkage_share(apart) == pytest.approx(
        d.between_variance / (d.within_variance + d.between_variance)
    )
    assert linkage_share(apart) > 0.9 and linkage_share(close) < 0.1
    kinds = pd.DataFrame(
        {
            "disagreeing_fields": ["age", "surname+given", "date"],
            "pairs": [3, 7, 1],
            "mean_probability": [0.5, 0.6, 0.4],
            "mean_co_clustered": [0.5, 0.5, 0.5],
        }
    )
    text = linkage_warning({"mt": linkage_share(apart), "dga": linkage_share(close)}, kinds)
    assert text is not None and "more than half of the variance" in text
    assert "mt " in text and "dga" not in text  # only the methods past one half are named
    assert "surname+given: 7; age: 3; date: 1" in text and "11 candidate pairs" in text
    assert linkage_warning({"mt": linkage_share(close)}, kinds) is None
    assert linkage_warning({"mt": DOMINANT_SHARE}) is None  # "more than half": one half is not
    assert linkage_warning({"mt": None}) is None


def test_uncertain_pairs_are_counted_by_the_fields_that_disagree():
    pairs = pd.DataFrame(
        {
            "match_probability": [0.9, 0.6, 0.5, 0.99, 0.02],
            "mw_surname": [-3.0, -0.5, 4.0, 4.0, -6.0],
            "mw_given": [-2.0, 3.0, 3.0, 3.0, -5.0],
            "mw_age": [1.0, -1.0, 0.0, 2.0, -4.0],
        }
    )
    shares = np.array([0.5, 0.3, 0.8, 1.0, 0.0])  # the last two are certain: left out
    kinds = uncertain_pair_kinds(pairs, shares)
    assert list(kinds["disagreeing_fields"]) == ["age", "no field disagrees", "surname+given"]
    assert list(kinds["pairs"]) == [1, 1, 1]
    # a weakly negative weight (-0.5) is no disagreement; -1 (twice as likely apart) is
    assert kinds.set_index("disagreeing_fields").loc["surname+given", "mean_probability"] == 0.9


def test_distinct_tables_are_estimated_once_and_through_the_cache(tmp_path):
    from undercount.cache import EstimateCache

    one = CaptureTable.from_arrays(
        ["a", "b", "c"], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 1, 1]], [20, 15, 10, 5, 3]
    )
    two = CaptureTable.from_arrays(
        ["a", "b", "c"], [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 1, 1]], [21, 15, 10, 4, 3]
    )
    tables = [one, two, one, one]
    cache = EstimateCache(tmp_path / "cache")
    first = estimate_draws(tables, {}, method="mt", seed=3, cache=cache, nboot=20)
    assert first.distinct == 2 and first.tables == [
        table_id(one),
        table_id(two),
        table_id(one),
        table_id(one),
    ]
    assert first.results[0] is first.results[2]  # one estimate per distinct table
    assert sum("miss" in line for line in first.lookups) == 4  # 2 estimates + 2 bootstraps stored
    again = estimate_draws(tables, {}, method="mt", seed=3, cache=cache, nboot=20)
    assert all("hit" in line for line in again.lookups)
    frame_a, frame_b = per_draw_frame(first), per_draw_frame(again)
    pd.testing.assert_frame_equal(frame_a, frame_b)
    assert (frame_a["draws_kind"] == "bootstrap").all()
    # another job seed gives other bootstrap replicates (the seed is in the key)
    other = estimate_draws(tables, {}, method="mt", seed=4, cache=cache, nboot=20)
    assert not np.array_equal(other.results[0].draws.values, first.results[0].draws.values)


def _gather():
    spec = importlib.util.spec_from_file_location(
        "gather_estimates", ROOT / "scripts" / "gather_estimates.py"
    )
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_gather_writes_the_linkage_column_and_the_warning(tmp_path):
    single = _result(50, 3.0, 9)
    averaged = pool_over_linkages([_result(m, 1.0, s) for s, m in enumerate((50, 60, 70, 80))], seed=1)
    paths = []
    for name, res in (("single", single), ("averaged", averaged)):
        paths.append(str(tmp_path / f"{name}.json"))
        res.write(paths[-1])
    entries = [
        {
            "event": "e",
            "population": "deaths",
            "stratum": "all",
            "label": "mt",
            "synthetic": True,
            "linkage": k,
        }
        for k in ("single", "averaged")
    ]
    kinds = tmp_path / "kinds.csv"
    pd.DataFrame(
        {"disagreeing_fields": ["date"], "pairs": [4], "mean_probability": [0.5], "mean_co_clustered": [0.4]}
    ).to_csv(kinds, index=False)
    out = tmp_path / "estimates.csv"
    frame = _gather().main(
        estimates=paths,
        entries=entries,
        output=str(out),
        log=str(tmp_path / "log.txt"),
        uncertain=[str(kinds)],
        uncertain_tables=["e/deaths"],
    )
    assert list(frame["linkage"]) == ["single", "averaged"]
    assert frame["warnings"].str.contains("linkage explains more than half").all()  # both rows of the table
    assert frame["warnings"].str.contains("date: 4").all()
    # the headline takes the averaged row; without draws the table is left as it is
    head = headline_rows(frame)
    assert list(head["linkage"]) == ["averaged"]
    assert headline_rows(frame[frame["linkage"] == "single"]).equals(frame[frame["linkage"] == "single"])


def test_a_table_no_list_documents_pools_to_not_estimable():
    from undercount.linkage.averaging import draw_histories, read_draw_histories
    from undercount.linkage.draws import PartitionDraws

    draws = PartitionDraws(
        labels=np.zeros((3, 2), dtype=np.int64),
        keys=["a\x1f1", "a\x1f2"],
        sources=["a", "a"],
        record_ids=["1", "2"],
        order=None,
        best_probability=np.zeros(2),
    )
    frame = draw_histories(draws, [])
    assert list(frame.columns) == ["draw", "count"] and list(frame["count"]) == [0, 0, 0]
    tables = read_draw_histories(frame, [])
    done = estimate_draws(tables, {}, method="mt", seed=1)
    pooled = pool_over_linkages(done.results, seed=1)
    assert not pooled.estimable and "fewer than two lists" in " ".join(pooled.warnings)


def test_recalibration_uses_only_labelled_pairs_the_linkage_scored():
    from types import SimpleNamespace

    from undercount.linkage.averaging import recalibration_from_labels
    from undercount.linkage.draws import fit_recalibration

    keys = ["a\x1f1", "a\x1f2", "b\x1f1", "b\x1f2"]
    pairs = pd.DataFrame({"i": [0, 0, 1], "j": [2, 3, 3], "probability": [0.9, 0.3, 0.6]})
    linkage = SimpleNamespace(keys=keys, pairs=pairs)
    labels = pd.DataFrame(
        {
            "source_a": ["b", "a", "a", "a"],
            "record_id_a": ["1", "1", "2", "1"],
            "source_b": ["a", "b", "b", "a"],
            "record_id_b": ["1", "2", "2", "2"],  # the last pair was never scored: left out
            "label": ["match", "non-match", "match", "match"],
        }
    )
    cal = recalibration_from_labels(linkage, labels)
    expected = fit_recalibration(np.array([0.9, 0.3, 0.6]), np.array([True, False, True]))
    assert cal == expected and cal.labelled == 3 and cal.matches == 2
    assert recalibration_from_labels(linkage, labels.iloc[3:]) is None  # no scored labelled pair
    assert recalibration_from_labels(linkage, None) is None


def test_draw_settings_override_only_the_draws_and_say_so():
    from undercount.errors import MethodError
    from undercount.linkage.averaging import draw_settings

    own, lines = draw_settings("lcmcr", {"samples": 2000, "burnin": 500}, {"lcmcr": {"samples": 250}})
    assert own == {"samples": 250, "burnin": 500}
    assert lines == ["linkage.draws_settings: lcmcr samples: 250 for each linkage draw (the method's: 2000)"]
    # another method's entry leaves this one as configured; a value equal to the method's is no override
    assert draw_settings("mt", None, {"lcmcr": {"samples": 250}}) == ({}, [])
    assert draw_settings("lcmcr", None, {"lcmcr": {"samples": 1000}}) == ({"samples": 1000}, [])
    with pytest.raises(MethodError, match="has no setting 'sample'"):
        draw_settings("lcmcr", None, {"lcmcr": {"sample": 250}})


def test_pooled_ess_weights_a_table_by_the_draws_that_share_it():
    from types import SimpleNamespace

    from undercount.linkage.draws import pooled_ess

    def chains(ess):
        return SimpleNamespace(details=SimpleNamespace(ess_bulk=ess))

    a, b = chains(1000.0), chains(500.0)
    # four distinct tables: the draws' ESS add up
    assert pooled_ess([chains(1000.0) for _ in range(4)]) == pytest.approx(4000.0, rel=1e-12)
    # one table met by three of four draws counts with weight 3/4, its chains once
    assert pooled_ess([a, a, a, b]) == pytest.approx(
        1 / ((3 / 4) ** 2 / 1000 + (1 / 4) ** 2 / 500), rel=1e-12
    )
    assert pooled_ess([a, a]) == pytest.approx(1000.0, rel=1e-12)  # the same chains twice: no gain
    assert pooled_ess([a, SimpleNamespace(details=None)]) is None  # a draw without chains: no pooled ESS


def test_the_pool_of_chains_says_its_effective_sample_size():
    """Real lcmcr chains, short on purpose: the pool's note gives its ESS and says when it is too small."""
    from undercount.estimators import diagnostics, estimate
    from undercount.linkage.draws import pooled_ess

    one = CaptureTable.from_arrays(
        ["a", "b", "c"],
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [1, 1, 1]],
        [20, 15, 10, 5, 4, 3],
    )
    two = CaptureTable.from_arrays(
        ["a", "b", "c"],
        [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [1, 1, 1]],
        [21, 15, 10, 4, 4, 3],
    )
    short = {"burnin": 200, "samples": 40, "thinning": 2, "chains": 2, "workers": 1, "progress": False}
    r1, r2 = (estimate(t, "lcmcr", settings=short, seed=5) for t in (one, two))
    pooled = pool_over_linkages([r1, r2, r1], seed=1)
    ess = pooled_ess([r1, r2, r1])
    assert ess == pytest.approx(1 / ((2 / 3) ** 2 / r1.details.ess_bulk + (1 / 3) ** 2 / r2.details.ess_bulk))
    note = pooled.warnings[-1]
    assert f"effective sample size of the pooled draws of N about {ess:,.0f}" in note
    assert ess < diagnostics.ESS_THRESHOLD  # 2 chains x 40 draws cannot reach it
    assert "the pooled interval is imprecise" in note
