import json
import subprocess
import sys

import pytest
from conftest import TABLES, assert_sig, reference

from undercount.cli import EXIT_BAD_INPUT, main


def run(capsys, *argv):
    code = main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_estimate_json_has_the_promised_fields(capsys):
    code, out, _ = run(capsys, "estimate", str(TABLES / "HIV.csv"), "--method", "mt", "--format", "json")
    assert code == 0
    payload = json.loads(out)
    for key in (
        "method",
        "lists",
        "n_observed",
        "n_hat",
        "ci_low",
        "ci_high",
        "ci_level",
        "warnings",
        "details",
    ):
        assert key in payload
    row = reference("rcapture-mt").set_index("dataset").loc["HIV"]
    assert_sig(payload["n_hat"], float(row["n_hat"]))
    assert payload["lists"] == ["c1", "c2", "c3", "c4"]
    assert payload["n_observed"] == 1896


def test_estimate_table_format_shows_warnings(capsys):
    code, out, _ = run(
        capsys, "estimate", str(TABLES / "HIV.csv"), "--method", "chapman", "--set", "pair=largest"
    )
    assert code == 0
    assert "estimate" in out and "95% interval" in out
    assert "caveats (every estimate of this kind):" in out and "other list(s) ignored" in out


def test_help_lists_methods(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["estimate", "--help"])
    assert exit_.value.code == 0
    out = capsys.readouterr().out
    assert "chapman" in out and "mt" in out and "--set pair=" in out


@pytest.mark.parametrize(
    "text, message",
    [
        ("A,B,count\n1,2,3\n", "row 2, column 'B': capture indicators must be 0 or 1"),
        ("A,B,count\n1,0,-3\n", "row 2, column 'count': counts cannot be negative"),
        ("A,B\n1,0\n", "no 'count' column"),
    ],
)
def test_malformed_table_exits_2(tmp_path, capsys, text, message):
    path = tmp_path / "bad.csv"
    path.write_text(text)
    code, out, err = run(capsys, "estimate", str(path), "--method", "mt")
    assert code == EXIT_BAD_INPUT
    assert out == ""
    assert message in err and str(path) in err


def test_bad_set_and_unknown_method_exit_2(capsys):
    table = str(TABLES / "HIV.csv")
    assert run(capsys, "estimate", table, "--method", "zzz")[0] == EXIT_BAD_INPUT
    code, _, err = run(capsys, "estimate", table, "--method", "chapman", "--set", "pair")
    assert code == EXIT_BAD_INPUT and "KEY=VALUE" in err


def test_console_script_installed(tmp_path):
    exe = [sys.executable, "-m", "undercount.cli"]
    done = subprocess.run(
        exe + ["estimate", str(TABLES / "hare.csv"), "--method", "mt", "--format", "json"],
        capture_output=True,
        text=True,
        check=True,
    )
    assert json.loads(done.stdout)["n_observed"] == 68


# ------------------------------------------------------------------ link
def _canonical_lists(tmp_path, event="zhanaozen2011", kind="casualty", xlsx=()):
    """The demo lists of one event and kind, written with canonical headers."""
    from conftest import ROOT

    from undercount.config import load_config, sources
    from undercount.records import read_source

    config = load_config(ROOT / "config" / "config.yaml")
    args, names = [], set()
    for spec in sources(config, event, kind):
        spec = type(spec)(**{**spec.__dict__, "path": str(ROOT / spec.path)})
        frame = read_source(spec).drop(columns=["_row"])
        names.update(w for n in frame["full_name"] for w in n.replace(".", " ").split() if len(w) >= 4)
        path = tmp_path / f"{spec.id}.{'xlsx' if spec.id in xlsx else 'csv'}"
        if spec.id in xlsx:
            frame.to_excel(path, index=False)
        else:
            frame.to_csv(path, index=False)
        args.append(f"{spec.id}={path}")
    return args, names


def test_link_writes_ids_and_probabilities_without_names(tmp_path, capsys):
    import pandas as pd

    lists, names = _canonical_lists(tmp_path, xlsx=("press",))
    out = tmp_path / "persons.csv"
    code, stdout, err = run(
        capsys,
        "link",
        *lists,
        "--out",
        str(out),
        "--model",
        str(tmp_path / "m.csv"),
        "--method",
        "probabilistic",
    )
    assert code == 0, err
    persons = pd.read_csv(out)
    assert list(persons.columns) == ["source", "record_id", "person_id", "match_probability"]
    assert len(persons) == 64 and persons["person_id"].nunique() == 40  # the demo's 40 true persons
    assert persons["match_probability"].between(0, 1).all()
    text = out.read_text("utf-8") + (tmp_path / "m.csv").read_text("utf-8") + err + stdout
    assert not [n for n in names if n in text]
    assert "64 casualty records from 3 list(s) -> 40 persons" in err
    # a higher threshold never finds fewer persons
    code, _, _ = run(
        capsys, "link", *lists, "--out", str(out), "--threshold", "0.999", "--method", "probabilistic"
    )
    assert code == 0 and pd.read_csv(out)["person_id"].nunique() >= 40


def test_link_matches_the_workflow_function(tmp_path, capsys):
    import pandas as pd

    from undercount.linkage import link
    from undercount.records import SourceSpec, read_source

    lists, _ = _canonical_lists(tmp_path)
    out = tmp_path / "persons.csv"
    assert run(capsys, "link", *lists, "--out", str(out))[0] == 0
    frames = [
        read_source(SourceSpec(id=a.split("=")[0], path=a.split("=")[1], kind="casualty")).assign(
            source=a.split("=")[0]
        )
        for a in lists
    ]
    direct = link(pd.concat(frames, ignore_index=True), date_column="date_of_death")
    cli = pd.read_csv(out, dtype={"record_id": str})
    assert cli["person_id"].tolist() == direct["person_id"].tolist()


def test_link_bad_input_exits_2_with_file_row_and_column(tmp_path, capsys):
    lists, _ = _canonical_lists(tmp_path)
    official = tmp_path / "official.csv"
    lines = official.read_text("utf-8").splitlines()
    header = lines[0].split(",")
    fields = lines[3].split(",")
    fields[header.index("date_of_death")] = "2011-02-31"
    lines[3] = ",".join(fields)
    official.write_text("\n".join(lines) + "\n", "utf-8")
    code, out, err = run(capsys, "link", *lists, "--out", str(tmp_path / "p.csv"))
    assert code == EXIT_BAD_INPUT and out == ""
    assert f"{official}, row 4, column 'date_of_death': not a date" in err
    assert not (tmp_path / "p.csv").exists()
    assert run(capsys, "link", "nolabel", "--out", "x.csv")[0] == EXIT_BAD_INPUT
    assert run(capsys, "link", f"a={tmp_path / 'missing.csv'}", "--out", "x.csv")[0] == EXIT_BAD_INPUT
    detention, _ = (
        _canonical_lists(tmp_path / "d", event="zhanaozen2011", kind="detention")
        if (tmp_path / "d").mkdir() is None
        else (None, None)
    )
    code, _, err = run(capsys, "link", lists[1], detention[0], "--out", str(tmp_path / "p.csv"))
    assert code == EXIT_BAD_INPUT and "all lists must be of one kind" in err
    with pytest.raises(SystemExit):
        main(["link", lists[0], "--out", "x.csv", "--threshold", "1.5"])


def test_link_and_review_read_raw_lists_through_the_config(tmp_path, capsys, monkeypatch):
    """An analyst's own lists (their own headers) through --config, as the workflow reads them."""
    import pandas as pd
    import yaml
    from conftest import ROOT

    monkeypatch.chdir(ROOT)
    config = yaml.safe_load((ROOT / "config" / "config.yaml").read_text("utf-8"))
    config["private_dir"] = str(tmp_path / "private")
    path = tmp_path / "my.yaml"
    path.write_text(yaml.safe_dump(config, allow_unicode=True), "utf-8")
    out, pairs = tmp_path / "persons.csv", tmp_path / "pairs.csv"
    args = ["--config", str(path), "--event", "zhanaozen2011", "--population", "deaths"]
    code, _, err = run(capsys, "link", *args, "--out", str(out), "--pairs", str(pairs))
    assert code == 0, err
    persons = pd.read_csv(out)
    assert (
        list(persons.columns) == ["source", "record_id", "person_id", "match_probability"]
        and len(persons) == 64
    )
    scored = pd.read_csv(pairs)
    assert list(scored.columns[:6]) == [
        "source_a",
        "record_id_a",
        "source_b",
        "record_id_b",
        "match_probability",
        "match_weight",
    ]
    assert {"mw_surname", "mw_given", "mw_date"} <= set(scored.columns)
    names = [w for w in ("Жагипаров", "Zhagiparov") if w in pairs.read_text("utf-8") + out.read_text("utf-8")]
    assert not names
    code, _, err = run(capsys, "review", *args)
    page = tmp_path / "private" / "review" / "zhanaozen2011" / "deaths.html"
    assert code == 0 and page.exists(), err
    code, _, err = run(capsys, "review", *args, "--out", str(tmp_path / "results" / "page.html"))
    assert code == EXIT_BAD_INPUT and "never goes under results/" in err


def test_link_tells_a_raw_list_to_use_a_config(tmp_path, capsys):
    raw = tmp_path / "raw.csv"
    raw.write_text("№,ФИО,Дата\n1,Ерлан Жагипаров,05.01.2022\n", "utf-8")
    code, _, err = run(capsys, "link", f"a={raw}", "--out", str(tmp_path / "p.csv"))
    assert code == EXIT_BAD_INPUT
    assert "--config my.yaml --event E --population P" in err and "--kind" not in err


# ------------------------------------------------------------------ the command line as a tool
def _cli(*argv, stdin=None, **kw):
    return subprocess.run(
        [sys.executable, "-m", "undercount.cli", *argv], input=stdin, capture_output=True, text=True, **kw
    )


def test_estimate_reads_standard_input_for_dash():
    text = (TABLES / "hare.csv").read_text("utf-8")
    done = _cli("estimate", "-", "--method", "mt", "--format", "json", stdin=text)
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["n_observed"] == 68
    empty = _cli("estimate", "-", "--method", "mt", stdin="")
    assert empty.returncode == EXIT_BAD_INPUT and "standard input is empty" in empty.stderr


def test_no_traceback_when_the_reader_closes_the_pipe():
    # --help is long: head takes one line and closes the pipe while it is still being written
    done = subprocess.run(
        f"{sys.executable} -m undercount.cli estimate --help | head -n 1",
        shell=True,
        capture_output=True,
        text=True,
    )
    assert done.stdout.startswith("usage: undercount estimate")
    assert "Traceback" not in done.stderr and "BrokenPipe" not in done.stderr


def test_help_says_which_methods_need_a_seed_and_that_there_is_no_default(capsys):
    with pytest.raises(SystemExit):
        main(["estimate", "--help"])
    out = capsys.readouterr().out
    assert "Monte Carlo methods need --seed (there is no default" in out
    assert "lcmcr" in out.split("They are:")[1].split(".")[0]
    assert "  lcmcr" in out and "[needs --seed]" in out.split("  lcmcr", 1)[1].split("\n")[0]
    assert "[needs --seed]" not in out.split("  mt ", 1)[1].split("\n")[0]


def test_histories_turns_the_persons_table_of_link_into_the_table_estimate_reads(tmp_path, capsys):
    persons = tmp_path / "persons.csv"
    persons.write_text(
        "source,record_id,person_id,match_probability\n"
        "a,1,P1,0.9\nb,7,P1,0.9\na,2,P2,1\nc,3,P3,1\nb,4,P4,1\nc,5,P4,1\na,6,P5,1\n",
        encoding="utf-8",
    )
    table = tmp_path / "table.csv"
    code, _, err = run(capsys, "histories", str(persons), "--out", str(table))
    assert code == 0 and "5 people on 3 lists" in err
    assert table.read_text("utf-8").splitlines() == [
        "a,b,c,count",
        "1,0,0,2",
        "0,0,1,1",
        "1,1,0,1",
        "0,1,1,1",
    ] or sorted(table.read_text("utf-8").splitlines()[1:]) == sorted(
        ["1,0,0,2", "0,0,1,1", "1,1,0,1", "0,1,1,1"]
    )
    code, out, _ = run(capsys, "estimate", str(table), "--method", "mt", "--format", "json")
    assert code == 0 and json.loads(out)["n_observed"] == 5
    bad = tmp_path / "bad.csv"
    bad.write_text("name,list\nЖагипаров Ерлан,a\n", encoding="utf-8")
    code, _, err = run(capsys, "histories", str(bad))
    assert code == EXIT_BAD_INPUT and "no column source, person_id" in err and "Жагипаров" not in err


# ------------------------------------------------------------ person-level tables (issue 17)
@pytest.fixture(scope="module")
def person_csv(tmp_path_factory):
    import numpy as np

    from undercount.simulate import simulate_person_table

    frame, _ = simulate_person_table(np.random.default_rng(4), 2500)
    frame["Notes"] = "x"
    path = tmp_path_factory.mktemp("persons") / "persons.csv"
    frame.to_csv(path, index=False)
    return path, frame


def test_estimate_person_table_by_stratum_with_imputation_json(capsys, person_csv):
    path, frame = person_csv
    argv = [
        "estimate",
        str(path),
        "--lists",
        "A,B,C",
        "--strata",
        "sex,age_band",
        "--bands",
        "age=0,18,35,60",
    ]
    argv += ["--impute", "sex,age", "--m", "3", "--method", "dga", "--set", "draws=500", "--format", "json"]
    code, out, err = run(capsys, *argv)
    assert code == 0, err
    assert "ignored 1 column(s)" in err and "'Notes'" in err
    payload = json.loads(out)
    assert payload["n_observed"] == len(frame)
    assert set(payload["strata"]) == {
        f"sex-{s}_age-band-{b}" for s in "fm" for b in ("0-17", "18-34", "35-59", "60-120")
    }
    details = payload["details"]
    assert details["how"] == "mixture" and details["imputations"] == 3
    assert details["imputed"]["imputed"] == {
        "sex": int(frame["sex"].isna().sum()),
        "age": int(frame["age"].isna().sum()),
    }
    assert details["within_variance"] > 0 and details["between_variance"] >= 0
    assert any("only 3 imputations" in w for w in payload["warnings"])
    # reruns are identical
    code, again, _ = run(capsys, *argv)
    assert again == out


def test_estimate_person_table_plain_and_errors(capsys, person_csv, tmp_path):
    path, frame = person_csv
    code, out, _ = run(
        capsys, "estimate", str(path), "--lists", "A,B,C", "--method", "mt", "--format", "json"
    )
    assert code == 0 and json.loads(out)["n_observed"] == len(frame) and json.loads(out)["strata"] == {}
    code, _, err = run(capsys, "estimate", str(path), "--lists", "A,B,C", "--impute", "sex", "--method", "mt")
    assert code == EXIT_BAD_INPUT and "give the strata too" in err
    argv = [
        "estimate",
        str(path),
        "--lists",
        "A,B,C",
        "--strata",
        "sex",
        "--impute",
        "sex,date",
        "--method",
        "mt",
    ]
    code, _, err = run(capsys, *argv)
    assert code == EXIT_BAD_INPUT and "imputed for period strata only" in err
    code, _, err = run(capsys, "estimate", str(path), "--method", "mt")
    assert code == EXIT_BAD_INPUT and "--lists A,B,C" in err
    bad = tmp_path / "bad.csv"
    bad.write_text("A,B\n1,0\n0,0\n", encoding="utf-8")
    code, _, err = run(capsys, "estimate", str(bad), "--lists", "A,B", "--method", "mt")
    assert code == EXIT_BAD_INPUT and "row 3, column 'A'" in err and "on no list" in err


# ------------------------------------------------------------ the covariate model (issue 18)
def test_estimate_person_table_with_covariates(capsys, person_csv):
    """loglinear-cov on a person table: covariates from the fields, missing ones imputed or refused."""
    path, frame = person_csv
    base = [
        "estimate",
        str(path),
        "--lists",
        "A,B,C",
        "--bands",
        "age=0,18,35,60",
        "--method",
        "loglinear-cov",
    ]
    sets = ["--set", "covariates=sex,age_band", "--set", "nboot=40", "--set", "progress=false", "--seed", "7"]
    code, _, err = run(capsys, *base, *sets)
    assert code == EXIT_BAD_INPUT
    assert f"covariate sex is missing for {int(frame['sex'].isna().sum()):,} of {len(frame):,} people" in err
    code, out, err = run(capsys, *base, *sets, "--impute", "sex,age", "--m", "3", "--format", "json")
    assert code == 0, err
    payload = json.loads(out)
    assert payload["method"] == "loglinear-cov" and payload["n_observed"] == len(frame)
    assert payload["details"]["imputations"] == 3
    assert payload["n_observed"] <= payload["ci_low"] < payload["n_hat"] < payload["ci_high"]
    code, again, _ = run(capsys, *base, *sets, "--impute", "sex,age", "--m", "3", "--format", "json")
    assert again == out
    code, _, err = run(capsys, *base, *sets, "--strata", "sex")
    assert code == EXIT_BAD_INPUT and "rather than as --strata" in err
    code, _, err = run(capsys, *base, "--set", "covariates=sex,shoe_size", "--seed", "1")
    assert code != 0 and "unknown covariate shoe_size" in err
