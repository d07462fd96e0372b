import pytest
import yaml
from conftest import ROOT

from undercount.config import check_sources, job_seed, load_config, tables, validate_config
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


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda c: c.pop("events"), "'events' is a required property"),
        (lambda c: c.update(colour="red"), "Additional properties are not allowed"),
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
