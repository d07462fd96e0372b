from pathlib import Path

import pytest
import yaml
from conftest import ROOT

from undercount.config import (
    check_inputs,
    check_private_dir,
    check_sources,
    duplicate_keys,
    job_seed,
    load_config,
    read_config_file,
    sources_table,
    tables,
    validate_config,
)
from undercount.errors import ConfigError, InputError

DEMO = ROOT / "config" / "config.yaml"


def demo():
    return yaml.safe_load(DEMO.read_text("utf-8"))


def test_demo_config_validates_with_defaults():
    config = load_config(DEMO)
    assert config["synthetic"] is False  # the demo needs no switch: its lists are recognised
    assert config["methods"]["mt"] == {"settings": {}, "method": "mt"}
    assert ("jan2022", "deaths") in tables(config)
    assert len(tables(config)) == 8  # 2 events x 4 populations


def test_defaults_filled():
    config = validate_config(
        {
            "events": {
                "e": {
                    "label": "E",
                    "start_date": "2020-01-01",
                    "sources": {"a": {"path": "a.csv", "kind": "casualty"}},
                }
            }
        }
    )
    assert config["level"] == 0.95 and config["populations"] == [
        "deaths",
        "detentions",
        "torture",
        "deaths_in_custody",
    ]
    assert config["methods"] == {"mt": {"settings": {}, "method": "mt"}}
    assert tables(config) == [("e", "deaths")]
    # each linkage draw's lcmcr: 250 samples per chain (the pool mixes R x 1,000 draws)
    assert config["linkage"]["draws"] == 0 and config["linkage"]["draws_settings"] == {
        "lcmcr": {"samples": 250}
    }


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c.pop("events"), "'events' is a required property"),
        (lambda c: c.update(colour="red"), "config (top level): unknown key 'colour'; valid keys: "),
        (lambda c: c.update(methds={}), "unknown key 'methds'; did you mean 'methods'?"),
        (
            lambda c: c["events"]["jan2022"]["sources"]["official"].update(kind="deaths"),
            "events.jan2022.sources.official.kind",
        ),
        (lambda c: c["events"]["jan2022"].update(start_date="5 Jan 2022"), "events.jan2022.start_date"),
        (lambda c: c["events"].update({"Bad-Event": c["events"]["jan2022"]}), "does not match"),
        (lambda c: c["methods"].update(zzz={}), "methods.zzz: unknown method 'zzz'"),
        (
            lambda c: c["methods"]["chapman"]["settings"].update(pairs="a,b"),
            "methods.chapman: method 'chapman' has no setting 'pairs'",
        ),
        (lambda c: c.update(level=95), "config level"),
        # `{pair: official,ngo}` in YAML's flow style: two keys, the second without a value
        (
            lambda c: c["methods"]["chapman"].update(settings=yaml.safe_load("{pair: official,ngo}")),
            """has no setting 'ngo'; its settings are: pair (a setting without a value: in YAML's {...} form""",
        ),
        (
            lambda c: c["methods"]["chapman"].update(settings={"pair": ["official", "ngo"]}),
            "setting 'pair' of method 'chapman' must be text such as \"A,B\", got a list",
        ),
        (
            lambda c: c["events"]["jan2022"]["sources"]["azattyq"].update(
                label="Prosecutor General's list (synthetic)"
            ),
            "sources 'official' and 'azattyq' have the same label",
        ),
        (
            lambda c: c["events"]["jan2022"]["sources"]["official"].update(date_format="%d.%m.%Q"),
            "config events.jan2022.sources.official.date_format: '%d.%m.%Q' is not a usable date format",
        ),
        (
            lambda c: c["events"]["jan2022"]["sources"]["official"].update(encoding="latin-9x"),
            "config events.jan2022.sources.official.encoding: 'latin-9x' is not a text encoding",
        ),
        (lambda c: c["events"]["jan2022"].update(date_window=[5, 0]), "config events.jan2022.date_window"),
        (
            lambda c: c["events"]["jan2022"]["sources"]["official"].update(delimiter=";;"),
            "events.jan2022.sources.official.delimiter",
        ),
        (lambda c: c.update(headline="lcmcr|mth-g"), "config headline: 'mth-g' is neither auto nor a label"),
        (
            lambda c: c["linkage"].update(draws_settings={"lcmrc": {"samples": 100}}),
            "config linkage.draws_settings.lcmrc: unknown method 'lcmrc'",
        ),
        (
            lambda c: c["linkage"].update(draws_settings={"lcmcr": {"sample": 100}}),
            "config linkage.draws_settings.lcmcr: method 'lcmcr' has no setting 'sample'",
        ),
        (
            lambda c: c["linkage"].update(draws_settings={"lcmcr": {"samples": "many"}}),
            "config linkage.draws_settings.lcmcr: ",
        ),
    ],
)
def test_bad_config_names_the_entry(mutate, message):
    config = demo()
    mutate(config)
    with pytest.raises(ConfigError, match=None) as err:
        validate_config(config)
    assert message in str(err.value)


def test_check_sources_names_config_entry(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = load_config(DEMO)
    assert check_sources(config)["jan2022"]["official"] > 200
    config["events"]["jan2022"]["sources"]["official"]["path"] = str(tmp_path / "missing.csv")
    with pytest.raises(InputError, match=r"file not found \(config: events.jan2022.sources.official\)"):
        check_sources(config)


def test_job_seed_depends_on_job_not_order():
    config = load_config(DEMO)
    a = job_seed(config, "jan2022", "deaths", "all", "mt")
    assert a == job_seed(config, "jan2022", "deaths", "all", "mt")
    assert a != job_seed(config, "jan2022", "deaths", "all", "chapman")
    config["seed"] = 1
    assert a != job_seed(config, "jan2022", "deaths", "all", "mt")


def test_demo_inputs_pass_without_warnings(monkeypatch):
    monkeypatch.chdir(ROOT)
    checks = check_inputs(load_config(DEMO))
    assert checks.warnings == []
    assert checks.reported_events == ["jan2022", "zhanaozen2011"]
    official = next(r for r in checks.sources if (r.event, r.source) == ("jan2022", "official"))
    assert (official.encoding, official.delimiter, official.header_row) == ("utf-8", ",", 1)
    assert (official.dates.first, official.dates.last) == ("2022-01-05", "2022-01-14")
    table = sources_table([r.to_dict() for r in checks.sources])
    assert len(table) == 11 and (table["warnings"] == "").all()
    assert "full_name" not in table.columns and "path" not in table.columns


def test_duplicate_keys_name_the_mapping_and_both_lines():
    text = "a: 1\nevents:\n  e:\n    sources:\n      x: {path: a}\n      y: {path: b}\n      x: {path: c}\na: 2\n"
    assert duplicate_keys(text) == [("events.e.sources", "x", 5, 7), ("", "a", 1, 8)]
    # merge keys may be overridden; equal keys in different mappings are not duplicates
    assert duplicate_keys("base: &b {k: 1}\nother:\n  <<: *b\n  k: 2\nthird: {k: 3}\n") == []


def test_load_config_refuses_a_key_given_twice(tmp_path):
    text = DEMO.read_text("utf-8")
    twice = text.replace("  chapman:\n", "  mt:\n", 1)
    assert twice != text
    path = tmp_path / "twice.yaml"
    path.write_text(twice, "utf-8")
    first = 1 + text.splitlines().index("  mt: {}")
    second = 1 + text.splitlines().index("  chapman:")
    with pytest.raises(
        ConfigError, match=f"the key 'mt' is given twice in methods, at lines {first} and {second}"
    ):
        load_config(path)


def test_json_config_with_a_key_given_twice(tmp_path):
    path = tmp_path / "c.json"
    path.write_text('{"seed": 1,\n "seed": 2}', "utf-8")
    with pytest.raises(ConfigError, match="the key 'seed' is given twice at the top level"):
        read_config_file(path)


def test_private_dir_is_never_where_others_read(tmp_path):
    (tmp_path / "results").mkdir()
    (tmp_path / "link").symlink_to(tmp_path / "results")
    for given in (
        "results",
        "results/private",
        "logs/x",
        "./logs",
        "link/records",
        ".snakemake/p",
        "workflow/report/x",
    ):
        with pytest.raises(ConfigError, match="the validated records hold names"):
            check_private_dir({"private_dir": given}, tmp_path)
    outside = tmp_path.parent / "elsewhere"
    assert check_private_dir({"private_dir": str(outside)}, tmp_path) == outside.resolve()
    assert (
        check_private_dir({"private_dir": "results/../private"}, tmp_path) == (tmp_path / "private").resolve()
    )


def test_check_inputs_warns_of_an_event_without_reported_figures(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    config = demo()
    config["events"]["myevent"] = config["events"].pop("zhanaozen2011")
    checks = check_inputs(validate_config(config))
    assert checks.reported_events == ["jan2022"]
    (warning,) = checks.warnings
    assert warning == (
        "reported_figures (data/reported_figures.csv) has no death tolls for event 'myevent' "
        "(it has: jan2022, zhanaozen2011): the figure of reported tolls leaves it out"
    )


def test_check_inputs_refuses_a_malformed_reported_figures_file(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    bad = tmp_path / "reported.csv"
    lines = (ROOT / "data" / "reported_figures.csv").read_text("utf-8").splitlines()
    fields = lines[3].split(",")
    fields[1] = "15.01.2022"
    lines[3] = ",".join(fields)
    bad.write_text("\n".join(lines) + "\n", "utf-8")
    config = demo()
    config["reported_figures"] = str(bad)
    with pytest.raises(InputError, match=r"row 4, column 'as_of': not an ISO date"):
        check_inputs(validate_config(config))


def test_the_workflow_schemas_are_the_package_schemas():
    """workflow/schemas/ is what Snakemake validates with, src/undercount/schemas/ what the library does.

    They must be the same files: a key added to one copy only (issue 18's ``sensitivity``) passed the
    library's check and was then refused by Snakemake's.
    """
    root = Path(__file__).resolve().parents[1]
    package = sorted(p.name for p in (root / "src/undercount/schemas").glob("*.schema.yaml"))
    assert package == sorted(p.name for p in (root / "workflow/schemas").glob("*.schema.yaml"))
    for name in package:
        assert (root / "workflow/schemas" / name).read_bytes() == (
            root / "src/undercount/schemas" / name
        ).read_bytes(), f"workflow/schemas/{name} differs from src/undercount/schemas/{name}"


def test_the_figure_headline_is_the_first_rule_entry_whose_methods_are_configured():
    config = demo()
    config["methods"]["mthg"] = {"method": "mth-gamma"}
    assert validate_config(config)["headline_method"] == "lcmcr|mthg"  # the span, as labels
    assert validate_config(demo())["headline_method"] == "lcmcr"  # no mth-gamma: lcmcr alone
    spanned = demo()
    spanned["headline"] = "stepwise-bca|lcmcr"
    assert validate_config(spanned)["headline_method"] == "stepwise-bca|lcmcr"
