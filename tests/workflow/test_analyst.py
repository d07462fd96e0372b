"""An analyst's own lists, as a new user runs them: a config kept outside config/.

The worked example of config/README.md is extracted verbatim and run on three small lists
written here to match its description (headers, sheet, date formats), so the documentation
cannot drift from what runs. A second config points at the synthetic demo lists with
``synthetic: false``: its results must still say "synthetic data".
"""

from __future__ import annotations

import re
import shutil
from datetime import date, timedelta
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import ROOT
from test_workflow import make_workdir, png_description, snakemake

from undercount.figures import SYNTHETIC_LABEL

pytestmark = pytest.mark.workflow

SURNAMES = ["Жагипаров", "Нурланов", "Сейткали", "Омаров", "Абенов", "Касымов", "Ермеков", "Султанов"]
GIVEN = ["Ерлан", "Асхат", "Даурен", "Марат", "Бауыржан", "Нурлан", "Серик", "Талгат", "Айдос", "Ержан"]
REGIONS = [
    ("г. Алматы", "Алматы", "Almaty"),
    ("г. Шымкент", "Шымкент", "Shymkent"),
    ("Тараз", "Тараз", "Taraz"),
]


def worked_example_config() -> str:
    """The YAML block of step 2 of config/README.md's worked example, as written there."""
    text = (ROOT / "config" / "README.md").read_text("utf-8")
    step = text.index("**2. Write `my-lists.yaml`**")
    block = re.search(r"```yaml\n(.*?)```", text[step:], re.S)
    assert block, "config/README.md: step 2 of the worked example has no ```yaml block"
    return block.group(1)


def write_worked_example_lists(folder: Path, seed: int = 7) -> dict[str, int]:
    """Three lists as step 1 of the worked example describes them; returns records per list.

    80 people (distinct names, one per surname x given name), each on the official list with
    probability 0.6, the NGO list 0.5 and the hospital list 0.5 (at least one of them).
    """
    from openpyxl import Workbook

    from undercount.names import romanise

    rng = np.random.default_rng(seed)
    folder.mkdir(parents=True, exist_ok=True)
    people = [(s, g) for s in SURNAMES for g in GIVEN][:80]
    start = date(2022, 1, 4)
    rows: dict[str, list] = {"official": [], "ngo": [], "hospital": []}
    for i, (surname, given) in enumerate(people):
        on = rng.random(3) < [0.6, 0.5, 0.5]
        if not on.any():
            on[rng.integers(3)] = True
        sex = "Мужской" if i % 5 else "Женский"
        age = int(rng.integers(18, 70))
        died = start + timedelta(days=int(rng.integers(0, 4)))
        region = REGIONS[i % 3]
        if on[0]:
            category = "сотрудник" if i % 11 == 0 else "гражданское лицо"
            rows["official"].append(
                [len(rows["official"]) + 1, f"{surname} {given}", sex[0], died, region[0], category]
            )
        if on[1]:
            rows["ngo"].append(
                [
                    f"N{i:03d}",
                    f"{given} {surname}",
                    "ер" if sex == "Мужской" else "әйел",
                    age,
                    died.isoformat(),
                    region[1],
                ]
            )
        if on[2]:
            latin = f"{romanise(given, 'bgn')} {romanise(surname, 'bgn')}"
            rows["hospital"].append(
                [f"H-{i}", latin, "M" if sex == "Мужской" else "F", age, died.strftime("%d/%m/%Y"), region[2]]
            )
    book = Workbook()
    sheet = book.active
    sheet.title = "Список"
    sheet.append(["№", "ФИО", "Пол", "Дата смерти", "Область", "Категория"])
    for row in rows["official"]:
        sheet.append(row)  # the date is a real XLSX date cell
    book.save(folder / "pgo_2022.xlsx")
    pd.DataFrame(
        rows["ngo"],
        columns=["Реттік нөмір", "Аты-жөні", "Жынысы", "Жасы", "Қайтыс болған күні", "Елді мекен"],
    ).to_csv(folder / "ngo_2022.csv", index=False)
    pd.DataFrame(rows["hospital"], columns=["id", "patient", "sex", "age", "died", "city"]).to_csv(
        folder / "hospital.csv", index=False
    )
    return {name: len(r) for name, r in rows.items()}


def test_worked_example_runs_verbatim_and_replaces_the_demo(tmp_path):
    workdir = make_workdir(tmp_path / "project")
    sizes = write_worked_example_lists(workdir / "lists")
    outside = tmp_path / "analyst"  # the config is not under config/, as an analyst keeps it
    outside.mkdir()
    config = outside / "my-lists.yaml"
    config.write_text(worked_example_config(), encoding="utf-8")
    proc = snakemake(workdir, "--configfile", str(config))
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = workdir / "results"
    estimates = pd.read_csv(results / "estimates.csv")
    # only the analyst's event, population and methods: nothing of the demo config ran
    assert set(estimates["event"]) == {"jan2022"}
    assert set(estimates["population"]) == {"deaths"}
    assert set(estimates["method"]) == {"mt", "chapman"}
    assert not (results / "zhanaozen2011").exists()
    assert not (results / "linkage" / "accuracy.csv").exists()  # the demo's truth file is not used
    assert not estimates["synthetic"].any()
    overall = estimates[estimates["stratum"] == "all"].set_index("method")
    assert overall.loc["chapman", "lists"] == "official+ngo"
    assert overall.loc["mt", "lists"] == "official+ngo+hospital"
    assert overall.loc["mt", "n_observed"] <= sum(sizes.values())
    assert np.isfinite(overall.loc["mt", "n_hat"])
    # the analyst's strata, and no synthetic label anywhere
    assert set(estimates["stratum"]) >= {"city:region-almaty", "city:region-shymkent", "city:total"}
    for png in (results / "figures").glob("*.png"):
        assert png_description(png) is None, png.name
    records = Path(workdir / "private" / "jan2022" / "records")
    assert sorted(p.name for p in records.iterdir()) == ["hospital.csv", "ngo.csv", "official.csv"]


def test_synthetic_lists_stay_labelled_whatever_the_config_says(tmp_path):
    workdir = make_workdir(tmp_path / "project")
    demo = yaml.safe_load((ROOT / "config" / "config.yaml").read_text("utf-8"))
    event = demo["events"]["zhanaozen2011"]
    event["sources"] = {k: v for k, v in event["sources"].items() if v["kind"] == "casualty"}
    # one demo list copied away from its manifest: the packaged manifest still knows it
    copied = workdir / "elsewhere" / "press.csv"
    copied.parent.mkdir()
    shutil.copy(workdir / event["sources"]["press"]["path"], copied)
    event["sources"]["press"]["path"] = "elsewhere/press.csv"
    config = {
        "synthetic": False,
        "seed": 3,
        "populations": ["deaths"],
        "methods": {"mt": {}},
        "reported_figures": None,  # the figure of reported tolls is tested elsewhere
        "events": {"myevent": event},
    }
    path = tmp_path / "analyst" / "mine.yaml"
    path.parent.mkdir()
    path.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    proc = snakemake(workdir, "--configfile", str(path))
    assert proc.returncode == 0, proc.stderr[-4000:]
    results = workdir / "results"
    estimates = pd.read_csv(results / "estimates.csv")
    assert set(estimates["event"]) == {"myevent"} and estimates["synthetic"].all()
    assert pd.read_csv(results / "summary.csv")["synthetic"].all()
    meta = yaml.safe_load((results / "myevent" / "deaths" / "histories.json").read_text("utf-8"))
    assert sorted(meta["synthetic_sources"]) == ["official", "press", "residents"]
    for name in ("forest_deaths", "overlap_myevent_deaths", "deaths_documented_vs_estimated"):
        assert png_description(results / "figures" / f"{name}.png") == SYNTHETIC_LABEL, name
    # the linkage's chart of match weights too (it followed the config's top-level flag)
    assert (
        png_description(results / "myevent" / "deaths" / "linkage" / "match_weights.png") == SYNTHETIC_LABEL
    )
    for png in (results / "figures").rglob("*.png"):
        assert png_description(png) == SYNTHETIC_LABEL, png
