"""The workflow on a config that mixes a linked person table and record lists, with imputation."""

from __future__ import annotations

import hashlib
import json

import numpy as np
import pandas as pd
import pytest
import yaml
from test_workflow import make_workdir, snakemake

from undercount.simulate import simulate_person_table

pytestmark = pytest.mark.workflow

M = 3
CONFIG = {
    "seed": 7,
    "private_dir": "private",
    "reported_figures": None,
    "populations": ["deaths"],
    "linkage": {"method": "deterministic"},
    "strata": {
        "sex_age": {"by": ["sex", "age_band"], "age_bands": [0, 18, 35, 60, 121]},
        "weeks": {
            "by": ["period"],
            "periods": {"week-1": [0, 6], "after": [7, 30]},
            "events": ["linked2020"],
        },
    },
    "impute": {"fields": ["sex", "age", "date"], "m": M, "iterations": 3},
    "methods": {"mt": {}, "dga": {"settings": {"draws": 1000}}},
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
                    "lists": ["Список 1", "List B", "List C"],
                    "columns": {"ID": "person_id", "Пол": "sex", "Возраст": "age", "Дата": "date_of_death"},
                    "values": {"sex": {"муж": "M", "жен": "F"}},
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


def digest(path):
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def workdir(tmp_path_factory):
    work = make_workdir(tmp_path_factory.mktemp("linked") / "run")
    frame, _ = simulate_person_table(np.random.default_rng(8), 2000, lists=("A", "B", "C"))
    frame = frame.rename(
        columns={"person_id": "ID", "A": "Список 1", "B": "List B", "C": "List C", "age": "Возраст"}
    )
    frame["Пол"] = frame.pop("sex").map({"M": "муж", "F": "жен"})
    rng = np.random.default_rng(9)
    days = pd.to_datetime("2020-01-01") + pd.to_timedelta(rng.integers(0, 21, len(frame)), unit="D")
    frame["Дата"] = np.where(rng.random(len(frame)) < 0.15, "", days.strftime("%Y-%m-%d"))
    frame["Comment"] = ""
    frame[["ID", "Список 1", "List B", "List C", "Пол", "Возраст", "Дата", "Comment"]].to_csv(
        work / "data/persons.csv", index=False
    )
    (work / "config/linked.yaml").write_text(yaml.safe_dump(CONFIG, allow_unicode=True), encoding="utf-8")
    proc = snakemake(work, "--configfile", "config/linked.yaml")
    assert proc.returncode == 0, proc.stderr[-4000:]
    return work


def test_both_kinds_of_event_reach_estimates(workdir):
    est = pd.read_csv(workdir / "results/estimates.csv")
    assert set(est["event"]) == {"linked2020", "zhanaozen2011"}
    linked = est[est["event"] == "linked2020"]
    strata = set(linked["stratum"])
    assert "all" in strata and "sex_age:total" in strata
    assert not any("unknown" in s for s in strata)  # imputed: no stratum of unknown sex or age
    assert linked["synthetic"].all()
    total = linked[(linked["stratum"] == "sex_age:total") & (linked["method"] == "dga")].iloc[0]
    assert total["n_hat"] > total["n_observed"]
    assert "imputed sex" in total["warnings"] and "imputed age" in total["warnings"]
    assert "linked before undercount read them" in total["caveats"]  # a table-level caveat, stated once
    mt = linked[(linked["stratum"] == "sex_age:total") & (linked["method"] == "mt")].iloc[0]
    assert np.isnan(mt["n_hat"])  # no draws: strata are never added by their interval ends
    # linkage never ran on the linked table
    assert not (workdir / "results/linked2020/deaths/linkage").exists()
    assert (workdir / "results/zhanaozen2011/deaths/persons.csv").exists()


def test_histories_and_logs_say_what_was_imputed(workdir):
    base = workdir / "results/linked2020/deaths/strata/sex_age"
    info = json.loads((base / "tables/imputation.json").read_text())
    persons = pd.read_csv(workdir / "data/persons.csv")
    assert info["imputed"] == {
        "sex": int(persons["Пол"].isna().sum()),
        "age": int(persons["Возраст"].isna().sum()),
        "date": int(persons["Дата"].isna().sum()),
    }
    for stratum, counts in info["by_stratum"].items():
        meta = json.loads((base / "tables" / stratum / "histories.json").read_text())
        assert meta["imputations"] == M and meta["imputed"] == counts
        assert len(list((base / "tables" / stratum / "imputations").glob("*.csv"))) == M
    sums = {f: sum(c[f]["mean"] for c in info["by_stratum"].values()) for f in info["imputed"]}
    assert sums == pytest.approx(info["imputed"])  # every imputed person is in one stratum
    log = (workdir / "logs/stratify/linked2020/deaths/sex_age.log").read_text()
    assert "values imputed: sex" in log and "imputation 3 of 3 done" in log
    table = pd.read_csv(base / "total/dga.imputations.tsv", sep="\t")
    assert (table.groupby("stratum").size() == M).all() and "total" in set(table["stratum"])
    figure = pd.read_csv(workdir / "results/figures/imputations_linked2020_deaths_sex_age.tsv", sep="\t")
    assert set(figure["method"]) == {"mt", "dga"}
    assert (figure[figure["what"] == "imputation"].groupby(["method", "stratum"]).size() == M).all()
    # the strata figure counts people in their imputed strata, each once, and says how many
    strata = pd.read_csv(workdir / "results/figures/strata_linked2020_deaths_sex_age.tsv", sep="\t")
    bars = strata.drop_duplicates("stratum")
    placed = int((persons["Пол"].isna() | persons["Возраст"].isna()).sum())
    assert bars["imputed_stratum"].sum() == pytest.approx(placed) and (bars["imputations"] == M).all()
    assert bars["documented"].sum() == pytest.approx(len(persons))
    from test_workflow import png_description

    from undercount.figures import SYNTHETIC_LABEL

    assert (
        png_description(workdir / "results/figures/imputations_linked2020_deaths_sex_age.png")
        == SYNTHETIC_LABEL
    )


def test_dates_are_imputed_for_period_strata(workdir):
    est = pd.read_csv(workdir / "results/estimates.csv")
    weeks = est[(est["event"] == "linked2020") & est["stratum"].str.startswith("weeks:")]
    assert set(weeks["stratum"]) == {"weeks:period-week-1", "weeks:period-after", "weeks:total"}
    dga = weeks[(weeks["stratum"] == "weeks:period-after") & (weeks["method"] == "dga")].iloc[0]
    assert "imputed date" in dga["warnings"] and dga["n_hat"] >= dga["n_observed"]
    info = json.loads((workdir / "results/linked2020/deaths/strata/weeks/tables/imputation.json").read_text())
    persons = pd.read_csv(workdir / "data/persons.csv")
    assert info["imputed"]["date"] == int(persons["Дата"].isna().sum()) > 0
    strata = pd.read_csv(workdir / "results/figures/strata_linked2020_deaths_weeks.tsv", sep="\t")
    bars = strata.drop_duplicates("stratum")
    assert bars["imputed_stratum"].sum() == pytest.approx(int(persons["Дата"].isna().sum()))


def test_rerun_is_byte_identical(workdir):
    files = [
        workdir / "results/estimates.csv",
        workdir / "results/linked2020/deaths/strata/sex_age/total/dga.imputations.tsv",
        workdir / "results/linked2020/deaths/strata/sex_age/total/dga.json",
    ]
    before = [digest(p) for p in files]
    proc = snakemake(workdir, "--configfile", "config/linked.yaml", "--forcerun", "stratify")
    assert proc.returncode == 0, proc.stderr[-4000:]
    assert [digest(p) for p in files] == before


def test_with_splink_for_the_lists_the_linked_table_is_still_not_linked(workdir):
    """The default matcher (Splink) links the record lists; the linked table's rows are its persons.

    Before, the linked table's `link` job asked for a fit of the table's event too, and that
    fit, with no record list of the event to read, failed ("No objects to concatenate").
    """
    import re
    import subprocess
    import sys

    config = {**CONFIG, "linkage": {"method": "splink"}}
    (workdir / "config/splink.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "snakemake",
            "-n",
            "--forceall",
            "--cores",
            "1",
            "--configfile",
            "config/splink.yaml",
        ],
        cwd=workdir,
        capture_output=True,
        text=True,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    # the plan, one block per job: "rule <name>:" or "localrule <name>:" and its input, output, wildcards
    jobs = re.split(r"\n(?=(?:local)?(?:rule|checkpoint) )", proc.stdout + proc.stderr)
    fits = [job for job in jobs if re.match(r"(?:local)?rule link_fit:", job)]
    assert fits and all("wildcards: event=zhanaozen2011, kind=casualty" in job for job in fits), fits
    links = [job for job in jobs if re.match(r"(?:local)?rule link:", job) and "event=linked2020" in job]
    assert len(links) == 1, links
    inputs = re.search(r"input: (.*)", links[0]).group(1)
    assert inputs == "private/linked2020/records/persons.csv", inputs  # the table itself, no fit
