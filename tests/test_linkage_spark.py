"""Linkage on Splink's Spark backend (local Spark session) gives the DuckDB partition."""

from __future__ import annotations

import shutil

import pytest
from conftest import ROOT, skip_or_fail

from undercount.config import load_config, sources
from undercount.linkage import fit_linkage
from undercount.records import read_source

pytestmark = pytest.mark.long  # a Spark session and a fit on it: minutes


def _records():
    import pandas as pd

    config = load_config(ROOT / "config" / "config.yaml")
    frames = []
    for spec in sources(config, "zhanaozen2011", "casualty"):
        spec = type(spec)(**{**spec.__dict__, "path": str(ROOT / spec.path)})
        frames.append(read_source(spec).assign(source=spec.id))
    return pd.concat(frames, ignore_index=True)


def _partition(persons):
    groups = persons.groupby("person_id")["record_id"].apply(lambda s: tuple(sorted(s)))
    return sorted(groups)


def test_spark_gives_the_duckdb_partition():
    try:
        import pyspark  # noqa: F401
    except ImportError:
        skip_or_fail("pyspark is not installed (pip install -e '.[spark]')")
    if shutil.which("java") is None:
        skip_or_fail("no Java runtime (apt-get install default-jre-headless; .ci/run does)")
    from undercount.linkage.engine import Backend, local_spark

    records = _records()
    duck = fit_linkage(records, date_column="date_of_death")
    spark = local_spark()
    try:
        on_spark = fit_linkage(records, date_column="date_of_death", backend=Backend("spark", spark=spark))
        for threshold in (0.3, 0.5, 0.9):
            assert _partition(on_spark.persons(threshold)) == _partition(duck.persons(threshold)), threshold
    finally:
        spark.stop()
