"""The workflow runs the covariate model (loglinear-cov) on a linked person table."""

from __future__ import annotations

import json
import re

import numpy as np
import pandas as pd
import pytest
import yaml
from test_workflow import make_workdir, snakemake

from undercount.simulate import simulate_person_table

pytestmark = pytest.mark.workflow

CONFIG = {
    "seed": 11,
    "private_dir": "private",
    "reported_figures": None,
    "populations": ["deaths"],
    "linkage": {"method": "deterministic"},
    "sensitivity": {"methods": ["mt", "loglinear-cov", "lcmcr"]},
    # sex is imputed where the covariate model needs it (cov-sex on the record lists); age is not, so
    # loglinear-cov there keeps its reason. Three imputations of two cycles keep the run short.
    "impute": {"fields": ["sex"], "m": 3, "iterations": 2},
    # two age strata of the linked table (age is not imputed: an ordinary scheme), where the covariate
    # model runs on each stratum's people with their covariates
    "strata": {"age": {"by": ["age_band"], "age_bands": [0, 40, 121], "events": ["linked2020"]}},
    "methods": {
        "mt": {},
        "loglinear-cov": {"settings": {"covariates": "sex,age_band", "age_bands": "0,18,35,60", "nboot": 60}},
        "cov-sex": {"method": "loglinear-cov", "settings": {"covariates": "sex", "nboot": 60}},
        # short chains: the curve's arithmetic is what is checked here
        "lcmcr": {"settings": {"burnin": 300, "samples": 250, "thinning": 2, "chains": 2}},
    },
    "events": {
        "linked2020": {
            "label": "A linked table (synthetic)",
            "start_date": "2020-01-01",
            "sources": {
                "persons": {
                    "kind": "linked",
                    "label": "Linked persons (synthetic)",
                    "path": "data/persons.csv",
                    "synthetic": True,
                    "lists": ["A", "B", "C"],
                }
            },
        },
        "zhanaozen2011": {
            "label": "Zhanaozen, December 2011",
            "start_date": "2011-12-16",
            "sources": {
                "official": {
                    "kind": "casualty",
                    "path": "data/demo/zhanaozen2011_official_deaths.csv",
                    "date_format": "%d.%m.%Y",
                    "columns": {"№": "record_id", "ФИО": "full_name", "Пол": "sex", "Возраст": "age"},
                },
                "residents": {
                    "kind": "casualty",
                    "path": "data/demo/zhanaozen2011_residents_deaths.csv",
                    "columns": {"Реттік нөмір": "record_id", "Аты-жөні": "full_name", "Жасы": "age"},
                },
                "press": {"kind": "casualty", "path": "data/demo/zhanaozen2011_press_deaths.csv"},
            },
        },
    },
}


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = make_workdir(tmp_path_factory.mktemp("covariates") / "run")
    frame, truth = simulate_person_table(
        np.random.default_rng(3), 3000, sex_missing=(0.0, 0.0), age_missing_other=0.0
    )
    # the simulator leaves the last list without ages; this test wants every covariate known
    gap = frame["age"].isna()
    frame.loc[gap, "age"] = np.random.default_rng(4).integers(0, 90, int(gap.sum()))
    frame.to_csv(work / "data/persons.csv", index=False)
    (work / "config/cov.yaml").write_text(yaml.safe_dump(CONFIG, allow_unicode=True), encoding="utf-8")
    proc = snakemake(work, "--configfile", "config/cov.yaml")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work, frame


def test_the_covariate_model_reaches_estimates(workdir):
    work, frame = workdir
    est = pd.read_csv(work / "results/estimates.csv")
    row = est[(est["method"] == "loglinear-cov") & (est["stratum"] == "all")].iloc[0]
    assert row["n_observed"] == len(frame)
    assert row["n_observed"] <= row["ci_low"] < row["n_hat"] < row["ci_high"]
    result = json.loads((work / "results/linked2020/deaths/estimates/loglinear-cov.json").read_text())
    extra = result["details"]  # the extra fields are written flat
    assert extra["covariates"] == ["sex", "age_band"]
    assert extra["levels"]["age_band"] == ["0-17", "18-34", "35-59", "60-120"]
    assert extra["candidates_fitted"] == 32 and result["details"]["bootstrap"]["nboot"] == 60
    draws = pd.read_csv(work / "results/linked2020/deaths/estimates/loglinear-cov.draws.csv")
    assert len(draws) == 60


def test_sensitivity_and_covariate_figures(workdir):
    work, frame = workdir
    from test_workflow import png_description

    from undercount.figures import SYNTHETIC_LABEL

    result = json.loads((work / "results/linked2020/deaths/estimates/loglinear-cov.json").read_text())
    for label in ("mt", "loglinear-cov"):
        curve = pd.read_csv(work / f"results/linked2020/deaths/sensitivity/{label}.csv")
        est = json.loads((work / f"results/linked2020/deaths/estimates/{label}.json").read_text())
        holds = curve[curve["assumption_holds"]]
        assert len(holds) == 1 and holds["n_hat"].iloc[0] == pytest.approx(est["n_hat"], rel=1e-12)
        assert curve["n_hat"].is_monotonic_increasing and (curve["n_hat"] >= len(frame)).all()
        # N(xi) = n + exp(xi) * (N-hat - n)
        expected = est["n_observed"] + np.exp(curve["xi"]) * (est["n_hat"] - est["n_observed"])
        assert np.allclose(curve["n_hat"], expected, rtol=1e-12)
        png = work / f"results/figures/sensitivity/{label}/linked2020_deaths/linked2020_deaths.png"
        assert png_description(png) == SYNTHETIC_LABEL
    # lcmcr: every posterior draw moved, n + exp(xi) (N_d - n); the curve is their median and interval
    curve = pd.read_csv(work / "results/linked2020/deaths/sensitivity/lcmcr.csv")
    est = json.loads((work / "results/linked2020/deaths/estimates/lcmcr.json").read_text())
    draws = pd.read_csv(work / "results/linked2020/deaths/estimates/lcmcr.draws.csv")
    assert len(draws) == 2 * 250
    n = est["n_observed"]
    for xi in (curve["xi"].iloc[0], 0.0, curve["xi"].iloc[-1]):
        row = curve.iloc[int(np.argmin(np.abs(curve["xi"] - xi)))]
        moved = n + np.exp(row["xi"]) * (draws["N"].to_numpy() - n)
        assert row["n_hat"] == pytest.approx(float(np.median(moved)), rel=1e-12)
        assert row["ci_low"] == pytest.approx(float(np.quantile(moved, 0.025)), rel=1e-12)
        assert row["ci_high"] == pytest.approx(float(np.quantile(moved, 0.975)), rel=1e-12)
    png = work / "results/figures/sensitivity/lcmcr/linked2020_deaths/linked2020_deaths.png"
    assert png_description(png) == SYNTHETIC_LABEL
    figure = work / "results/figures/covariates/loglinear-cov/linked2020_deaths/linked2020_deaths.png"
    assert png_description(figure) == SYNTHETIC_LABEL
    drawn = pd.read_csv(figure.with_suffix(".tsv"), sep="\t")
    weights = drawn[drawn["panel"] == "weights"]
    top = [m["weight"] for m in result["details"]["top_models"]]
    assert list(weights["weight"]) == pytest.approx(top, abs=5e-7)  # the TSV keeps 6 decimals
    catch = drawn[drawn["panel"] == "catchability"]
    assert set(catch["list"]) == {"A", "B", "C"}
    # every drawn share with its interval (checked against statsmodels in tests/estimators)
    assert (
        (catch["ci_low"] < catch["share_documented"]) & (catch["share_documented"] < catch["ci_high"])
    ).all()


def test_a_sensitivity_label_without_a_log_linear_fit_is_refused(tmp_path):
    work = make_workdir(tmp_path / "bad")
    config = dict(CONFIG, sensitivity={"methods": ["chapman"]}, methods={"chapman": {}})
    (work / "config/bad.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    (work / "data/persons.csv").write_text("person_id,A,B,C\np1,1,0,0\n", encoding="utf-8")
    proc = snakemake(work, "--configfile", "config/bad.yaml", "-n")
    assert proc.returncode != 0
    assert "does not fit a log-linear model" in proc.stderr + proc.stdout


def test_record_lists_reach_the_covariate_model_through_their_linked_persons(workdir):
    """Linked records: the persons' consolidated fields. The press list records no sex and no age, so
    people only on it have neither. impute covers sex, not age: the model with age_band gets the reason,
    with the count and the way out (never a number)."""
    work, _ = workdir
    result = json.loads((work / "results/zhanaozen2011/deaths/estimates/loglinear-cov.json").read_text())
    persons = pd.read_csv(work / "results/zhanaozen2011/deaths/persons.csv")
    people = persons["person_id"].nunique()
    assert result["n_observed"] == people and result["n_hat"] == "NaN"
    reason = result["warnings"][-1]
    assert re.search(
        rf"covariate age_band is missing for [\d,]+ of {people:,} people and impute.fields does not cover age: "
        "add age to impute.fields",
        reason,
    ), reason
    assert "covariate sex" not in reason  # sex is covered: it would have been imputed


def test_missing_covariates_covered_by_impute_are_imputed(workdir):
    """cov-sex on the record lists: sex imputed 3 times, the fits pooled draw by draw, the count said."""
    work, _ = workdir
    result = json.loads((work / "results/zhanaozen2011/deaths/estimates/cov-sex.json").read_text())
    persons = pd.read_csv(work / "results/zhanaozen2011/deaths/persons.csv")
    people = persons["person_id"].nunique()
    assert result["n_observed"] == people
    assert people <= result["ci_low"] < result["n_hat"] < result["ci_high"]
    imputed = result["details"]["imputed"]
    assert imputed["fields"] == ["sex"] and imputed["m"] == 3
    count = imputed["imputed"]["sex"]
    assert 0 < count < people
    assert (
        f"multiple imputation: {count:.1f} with an imputed sex in all (mean over 3 imputations)"
        in result["warnings"][0]
    )
    draws = pd.read_csv(work / "results/zhanaozen2011/deaths/estimates/cov-sex.draws.csv")
    assert len(draws) == 3 * 60  # the imputations' bootstrap replicates, mixed
    # the table without gaps is not imputed
    plain = json.loads((work / "results/linked2020/deaths/estimates/cov-sex.json").read_text())
    assert "imputed" not in plain["details"] and not any("imputation" in w for w in plain["warnings"])
    index = pd.read_csv(work / "results/figures/covariates/cov-sex/zhanaozen2011_deaths/index.tsv", sep="\t")
    assert index["file"].iloc[0] == "zhanaozen2011_deaths.png", index
    drawn = pd.read_csv(
        work / "results/figures/covariates/cov-sex/zhanaozen2011_deaths/zhanaozen2011_deaths.tsv", sep="\t"
    )
    catch = drawn[drawn["panel"] == "catchability"]
    assert set(catch["covariate"]) == {"sex"} and catch["ci_method"].str.contains("Rubin's rules").all()


def test_the_covariate_model_runs_in_each_stratum_on_its_people(workdir):
    """Scheme age (0-39, 40+): loglinear-cov in each stratum is the model over that stratum's people and
    covariates (age bands 0-17, 18-34, 35-59, 60+ within it), not a model without covariates."""
    work, frame = workdir
    base = work / "results/linked2020/deaths/strata/age"
    strata = sorted(p.name for p in (base / "estimates").iterdir())
    assert len(strata) == 2
    ages = pd.to_numeric(frame["age"])
    expected_levels = {"0-17", "18-34", "35-59"}
    total = 0
    for stratum in strata:
        meta = json.loads(
            next(
                (work / "results/linked2020/deaths/strata").glob(f"age/**/{stratum}/histories.json")
            ).read_text()
        )
        result = json.loads((base / "estimates" / stratum / "loglinear-cov.json").read_text())
        assert result["n_observed"] == meta["n_observed"] > 0
        young = "0-39" in stratum
        assert meta["n_observed"] == int(((ages < 40) if young else (ages >= 40)).sum())
        details = result["details"]
        assert details["covariates"] == ["sex", "age_band"] and details["candidates_fitted"] == 32
        levels = set(details["levels"]["age_band"])
        assert levels == (expected_levels if young else {"35-59", "60-120"})
        assert not any("no covariates given" in w for w in result["warnings"])
        assert result["n_observed"] <= result["ci_low"] < result["n_hat"] < result["ci_high"]
        total += result["n_observed"]
    assert total == len(frame)
    summed = json.loads((base / "total/loglinear-cov.json").read_text())
    assert summed["n_observed"] == len(frame) and summed["n_hat"] > len(frame)
