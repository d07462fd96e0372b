"""The covariate model on a table's people, missing covariates imputed as the config's impute says."""

from __future__ import annotations

import numpy as np
import pytest

from undercount.covariates import estimate_covariate_model, imputation_fields
from undercount.errors import TableError
from undercount.histories import build_histories
from undercount.impute import imputation_seed
from undercount.linked import LINKED_CAVEAT, estimate_persons, linked_attributes, linked_persons
from undercount.simulate import simulate_person_table

LISTS = ["A", "B", "C"]
SETTINGS = {
    "covariates": "sex,age_band",
    "age_bands": "0,30,60",
    "nboot": 30,
    "workers": 1,
    "progress": False,
}


@pytest.fixture(scope="module")
def people():
    """1,500 people (719 documented); sex missing for some (20% on A, 3% elsewhere); every age known."""
    frame, _ = simulate_person_table(np.random.default_rng(8), 1500, age_missing_other=0.0)
    gap = frame["age"].isna()
    frame.loc[gap, "age"] = np.random.default_rng(9).integers(0, 90, int(gap.sum()))
    attributes = linked_attributes(frame, LISTS)
    memberships = frame.set_index("person_id").loc[attributes["person_id"], LISTS].to_numpy()
    _, meta = build_histories(linked_persons(frame, LISTS), LISTS, [LINKED_CAVEAT])
    return frame, attributes, memberships, meta


def test_a_missing_covariate_not_covered_by_impute_is_the_reason(people):
    _, attributes, memberships, meta = people
    missing = int(attributes["sex"].isna().sum())
    assert missing > 0
    for impute in (None, {"fields": ["age"], "m": 3, "iterations": 2, "donors": 5}):
        with pytest.raises(
            TableError,
            match=rf"covariate sex is missing for {missing:,} of {len(attributes):,} people and impute.fields does not "
            "cover sex: add sex to impute.fields",
        ):
            estimate_covariate_model(
                attributes, memberships, LISTS, meta, settings=SETTINGS, seed=1, level=0.95, impute=impute
            )
    # only the fields of the covariates are imputed, in the order impute.fields gives
    impute = {"fields": ["region", "age", "sex"]}
    assert imputation_fields(attributes, ["sex", "age_band"], impute=impute) == ["age", "sex"]
    assert imputation_fields(attributes, ["age_band"], impute=None) == []  # nothing missing


def test_imputed_covariates_are_pooled_as_the_command_line_does(people):
    """The workflow's path gives the CLI's numbers (same seeds), says what it imputed, and pools the shares."""
    frame, attributes, memberships, meta = people
    missing = int(attributes["sex"].isna().sum())
    impute = {"fields": ["sex"], "m": 3, "iterations": 2, "donors": 5}
    ours = estimate_covariate_model(
        attributes,
        memberships,
        LISTS,
        meta,
        settings=SETTINGS,
        seed=21,
        level=0.95,
        impute=impute,
        impute_seed=imputation_seed(21, "impute"),
    )
    cli = estimate_persons(
        frame,
        LISTS,
        method="loglinear-cov",
        impute_fields=["sex"],
        m=3,
        iterations=2,
        settings=SETTINGS,
        seed=21,
    )["total"]
    assert ours.estimable and (ours.n_hat, ours.ci_low, ours.ci_high) == (cli.n_hat, cli.ci_low, cli.ci_high)
    assert ours.n_observed == len(frame)
    assert any(
        f"multiple imputation: {missing:.1f} with an imputed sex in all (mean over 3" in w
        for w in ours.warnings
    )
    extra = ours.details.extra
    assert extra["imputed"]["imputed"] == {"sex": missing} and extra["imputations"] == 3
    # the figure's shares: pooled by Rubin's rules, each inside its interval, on every list and level
    catch = extra["catchability"]
    assert {(r["covariate"], r["list"]) for r in catch} == {
        (v, x) for v in ("sex", "age_band") for x in LISTS
    }
    assert all(0 < r["ci_low"] < r["share_documented"] < r["ci_high"] < 1 for r in catch)
    assert all("Rubin's rules on the logit over 3 imputations" in r["ci_method"] for r in catch)
    assert "selected in" in extra["selected_model"] and extra["top_models"][0]["weight"] > 0
