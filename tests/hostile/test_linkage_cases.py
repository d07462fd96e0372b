"""Hostile inputs to linkage (issue 14): each test failed before its fix.

14.1  placeholder names for unidentified people collapsed into one person;
14.3  a population with no candidate pair crashed linkage (AttributeError);
14.16 ``undercount link --out`` into a missing folder gave a traceback, and onto an
      input list silently overwrote it.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pandas as pd
import pytest

from undercount.cli import EXIT_BAD_INPUT, main
from undercount.linkage import link, link_population_thresholds
from undercount.names import is_placeholder

pytestmark = pytest.mark.long  # workflow runs: minutes

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))


# ------------------------------------------------------------------ 14.1
@pytest.mark.parametrize(
    "name",
    [
        "Неизвестный мужчина №1",
        "неизвестная",
        "Неизвестная женщина № 7",
        "неопознанный",
        "ФИО не установлено",
        "Белгісіз",
        "белгісіз ер адам",
        "Белгісіз әйел 3",
        "belgisiz",
        "Unknown man",
        "unknown woman 12",
        "Unidentified",
        "N.N.",
        "NN",
        "17",
        "№ 4",
        "",
    ],
)
def test_placeholder_names_are_recognised(name):
    assert is_placeholder(name)


@pytest.mark.parametrize(
    "name", ["Эрнст Неизвестный", "Ерлан Жагипаров", "Nurlan Unknownov", "Жагипаров Е.Б."]
)
def test_real_names_are_not_placeholders(name):
    assert not is_placeholder(name)


def _placeholders(template: str, sex: str, n: int = 20) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "source": ["a" if k % 2 else "b" for k in range(n)],
            "record_id": [str(k) for k in range(n)],
            "full_name": [template.format(k=k + 1) for k in range(n)],
            "sex": [sex] * n,
            "age": pd.array([18 + 2 * k for k in range(n)], dtype="Int64"),
            "date_of_death": [f"2022-01-{5 + k % 20:02d}" for k in range(n)],
            "place": ["Алматы"] * n,
        }
    )


@pytest.mark.parametrize(
    "template, sex",
    [
        ("Неизвестный мужчина №{k}", "M"),
        ("Неизвестная женщина №{k}", "F"),
        ("Белгісіз ер адам {k}", "M"),
        ("Unknown man {k}", "M"),
        ("N.N. {k}", "M"),
        ("{k}", "M"),
    ],
)
@pytest.mark.parametrize("method", ["splink", "deterministic"])
def test_unidentified_people_never_match_on_name(template, sex, method):
    """Twenty placeholder records with different ages and dates stay twenty people."""
    frame = _placeholders(template, sex)
    persons = link(frame, date_column="date_of_death", method=method)
    assert persons["person_id"].nunique() == 20


def test_placeholders_do_not_stop_real_names_from_linking():
    frame = pd.concat(
        [
            _placeholders("Неизвестный мужчина №{k}", "M", 6),
            pd.DataFrame(
                {
                    "source": ["a", "b"],
                    "record_id": ["x1", "x2"],
                    "full_name": ["Ерлан Жагипаров", "ZHAGIPAROV YERLAN"],
                    "sex": ["M", "M"],
                    "age": pd.array([34, 34], dtype="Int64"),
                    "date_of_death": ["2022-01-05", "2022-01-05"],
                    "place": ["Алматы", "Almaty"],
                }
            ),
        ],
        ignore_index=True,
    )
    persons = link(frame, date_column="date_of_death", method="deterministic").set_index("record_id")
    assert persons.loc["x1", "person_id"] == persons.loc["x2", "person_id"]
    assert persons["person_id"].nunique() == 7


# ------------------------------------------------------------------ 14.3
def test_a_population_without_candidate_pairs_links_everyone_alone():
    one_list = pd.DataFrame(
        {
            "record_id": ["1", "2", "3"],
            "full_name": ["Ерлан Жагипаров", "Асхат Омаров", "Дана Сейітова"],
            "sex": ["M", "M", "F"],
            "age": pd.array([30, 40, 50], dtype="Int64"),
            "date_of_death": ["2022-01-05", "2022-01-06", "2022-01-07"],
        }
    )
    linked, fitted = link_population_thresholds(
        {"official": one_list}, kind="casualty", flag=None, thresholds=[0.5, 0.9]
    )
    assert fitted.model is None
    assert len(linked) == 6 and linked.groupby("threshold")["person_id"].nunique().tolist() == [3, 3]
    from undercount.linkage.core import model_table, pairs_table

    assert model_table(fitted).empty and pairs_table(fitted).empty


# ------------------------------------------------------------------ 14.16
def _canonical(tmp_path: Path) -> list[str]:
    a = tmp_path / "a.csv"
    b = tmp_path / "b.csv"
    a.write_text("record_id,full_name,date_of_death\n1,Ерлан Жагипаров,2022-01-05\n", "utf-8")
    b.write_text("record_id,full_name,date_of_death\n1,Yerlan Zhagiparov,2022-01-05\n", "utf-8")
    return [f"a={a}", f"b={b}"]


def test_link_out_into_a_missing_folder_is_refused(tmp_path, capsys):
    lists = _canonical(tmp_path)
    code = main(["link", *lists, "--out", str(tmp_path / "nowhere" / "persons.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "does not exist; create it first" in err and "Traceback" not in err


def test_link_out_onto_an_input_list_is_refused(tmp_path, capsys):
    lists = _canonical(tmp_path)
    before = (tmp_path / "a.csv").read_bytes()
    code = main(["link", *lists, "--out", str(tmp_path / "a.csv")])
    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT and "is one of the input lists; refusing to overwrite it" in err
    assert (tmp_path / "a.csv").read_bytes() == before
    code = main(["link", *lists, "--out", str(tmp_path / "p.csv"), "--pairs", str(tmp_path / "b.csv")])
    assert code == EXIT_BAD_INPUT and (tmp_path / "b.csv").read_text("utf-8").count("\n") == 2


@pytest.mark.workflow
def test_a_single_list_gives_not_estimable_with_the_reason(tmp_path):
    """The whole workflow on one casualty list of three people: no crash, no number, a reason."""
    import shutil
    import subprocess

    import yaml

    work = tmp_path / "w"
    work.mkdir()
    for part in ["Snakefile", "workflow", "scripts", "profiles"]:
        src = ROOT / part
        (shutil.copytree if src.is_dir() else shutil.copy2)(src, work / part)
    (work / "data").mkdir()
    shutil.copy2(ROOT / "data" / "reported_figures.csv", work / "data" / "reported_figures.csv")
    (work / "data" / "only.csv").write_text(
        "record_id,full_name,sex,age,date_of_death\n"
        "1,Ерлан Жагипаров,M,30,2022-01-05\n2,Асхат Омаров,M,40,2022-01-06\n3,Дана Сейітова,F,50,2022-01-07\n",
        "utf-8",
    )
    config = {
        # an event with reported figures (their absence is another defect of issue 14, 14.4)
        "reported_figures": "data/reported_figures.csv",
        "populations": ["deaths"],
        "methods": {"mt": {}},
        "linkage": {"thresholds": [0.5]},
        "events": {
            "jan2022": {
                "label": "E",
                "start_date": "2022-01-05",
                "sources": {"only": {"path": "data/only.csv", "kind": "casualty"}},
            }
        },
    }
    (work / "config").mkdir()
    (work / "config" / "config.yaml").write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    proc = subprocess.run(
        [sys.executable, "-m", "snakemake", "--cores", "2"], cwd=work, capture_output=True, text=True
    )
    assert proc.returncode == 0, proc.stderr[-3000:]
    estimates = pd.read_csv(work / "results" / "estimates.csv")
    row = estimates[(estimates["population"] == "deaths") & (estimates["stratum"] == "all")].iloc[0]
    assert pd.isna(row["n_hat"]) and "fewer than two lists" in row["warnings"]
    log = (work / "logs" / "link_fit" / "jan2022" / "casualty.log").read_text("utf-8")
    assert "no candidate pair" in log
    assert pd.read_csv(work / "results" / "jan2022" / "deaths" / "persons.csv")["person_id"].nunique() == 3
