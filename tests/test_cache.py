"""The estimate cache (undercount.cache): keys by content, byte-identical results, damaged entries refused."""

from __future__ import annotations

import json
import multiprocessing
from pathlib import Path

import numpy as np
import pytest

from undercount import cache as uc_cache
from undercount.cache import EstimateCache, Lookup, cached_estimate_table, count_lookups, hit_rate
from undercount.histories import CaptureTable
from undercount.results import estimate_table, write_draws_csv

TABLE = "A,B,C,count\n1,0,0,40\n0,1,0,30\n0,0,1,20\n1,1,0,6\n1,0,1,5\n0,1,1,4\n1,1,1,2\n"
# the same cells: rows shuffled, CRLF line ends, a byte-order mark, spaces around numbers
SAME_TABLE = (
    "\ufeffA,B,C,count\r\n0,1,1, 4\r\n1,1,1,2\r\n0,0,1,20\r\n1,0,0,40\r\n1,1,0,6\r\n0,1,0,30\r\n1,0,1,5\r\n"
)
META = {"notes": ["persons were linked by a test"], "unusable_reason": None}

# Deterministic and Monte Carlo methods, with draws (dga, sample-coverage, lcmcr) and without,
# small enough for the suite (lcmcr on a short chain: the bytes, not the statistics, are tested).
METHODS = [
    ("chapman", {"pair": "largest"}),
    ("mt", {}),
    ("loglinear", {}),
    ("stepwise", {}),
    ("dga", {"progress": False}),
    ("sample-coverage", {"nboot": 50}),
    ("lcmcr", {"burnin": 50, "samples": 20, "thinning": 2, "chains": 2, "workers": 1, "progress": False}),
]


def _table(tmp_path: Path, text: str = TABLE, name: str = "t.csv") -> CaptureTable:
    path = tmp_path / name
    path.write_bytes(text.encode("utf-8"))
    return CaptureTable.from_csv(path)


def _files(result, folder: Path) -> tuple[bytes, bytes]:
    folder.mkdir(parents=True, exist_ok=True)
    result.write(folder / "r.json")
    write_draws_csv(result, folder / "r.draws.csv")
    return (folder / "r.json").read_bytes(), (folder / "r.draws.csv").read_bytes()


@pytest.mark.parametrize(("method", "settings"), METHODS, ids=[m for m, _ in METHODS])
def test_results_are_byte_identical_off_cold_and_warm(tmp_path, method, settings):
    table = _table(tmp_path)
    args = {"method": method, "settings": settings, "seed": 12345, "level": 0.95}
    off, lookup = cached_estimate_table(None, table, META, **args)
    assert lookup.status == "off"
    cache = EstimateCache(tmp_path / "cache")
    cold, cold_lookup = cache.estimate_table(table, META, **args)
    warm, warm_lookup = cache.estimate_table(table, META, **args)
    assert (cold_lookup.status, warm_lookup.status) == ("miss", "hit")
    assert cold_lookup.key == warm_lookup.key
    assert warm.fit is None  # the hit is the stored result, not a fresh fit
    expected = _files(off, tmp_path / "off")
    assert expected[0].startswith(b"{")
    assert _files(cold, tmp_path / "cold") == expected
    assert _files(warm, tmp_path / "warm") == expected
    # a second cache folder, filled by another process's store: the same bytes again
    other = EstimateCache(tmp_path / "other")
    other.store(warm_lookup.key, warm)
    again, again_lookup = other.estimate_table(table, META, **args)
    assert again_lookup.status == "hit"
    assert _files(again, tmp_path / "again") == expected


def test_a_not_estimable_result_is_cached_byte_identical(tmp_path):
    table = _table(tmp_path)
    meta = {
        "notes": [],
        "unusable_reason": "stratum not estimable: only 2 list(s) document at least 10 people",
    }
    off = estimate_table(table, meta, method="mt")
    cache = EstimateCache(tmp_path / "cache")
    cache.estimate_table(table, meta, method="mt")
    warm, lookup = cache.estimate_table(table, meta, method="mt")
    assert lookup.status == "hit" and not warm.estimable
    assert _files(warm, tmp_path / "warm") == _files(off, tmp_path / "off")


def test_key_follows_content_not_file_format_or_path(tmp_path):
    cache = EstimateCache(tmp_path / "cache")
    a = _table(tmp_path, TABLE, "a.csv")
    b = _table(tmp_path, SAME_TABLE, "elsewhere.csv")
    assert a.source != b.source
    assert cache.key(a, META, method="mt") == cache.key(b, META, method="mt")
    # one count more, the lists in another order, another table: other keys
    more = _table(tmp_path, TABLE.replace("1,1,1,2", "1,1,1,3"), "c.csv")
    reordered = _table(
        tmp_path, "B,A,C,count\n0,1,0,40\n1,0,0,30\n0,0,1,20\n1,1,0,6\n0,1,1,5\n1,0,1,4\n1,1,1,2\n", "d.csv"
    )
    keys = {cache.key(t, META, method="mt") for t in (a, more, reordered)}
    assert len(keys) == 3


def test_key_holds_method_settings_level_meta_and_library(tmp_path, monkeypatch):
    cache = EstimateCache(tmp_path / "cache")
    table = _table(tmp_path)
    base = cache.key(table, META, method="chapman", settings={"pair": "largest"})
    variants = [
        cache.key(table, META, method="mt"),
        cache.key(table, META, method="chapman", settings={"pair": "A+B"}),
        cache.key(table, META, method="chapman", settings={"pair": "largest"}, level=0.9),
        cache.key(table, {"notes": ["another caveat"]}, method="chapman", settings={"pair": "largest"}),
        cache.key(table, {**META, "unusable_reason": "x"}, method="chapman", settings={"pair": "largest"}),
        cache.key(table, META, method="loglinear", model="[AB][C]"),
        cache.key(table, META, method="loglinear", model="[AB][AC]"),
    ]
    assert len({base, *variants}) == len(variants) + 1
    # another version of the library's code or of a numerical package: another key
    monkeypatch.setattr(uc_cache, "library_digest", lambda: "0" * 64)
    assert cache.key(table, META, method="chapman", settings={"pair": "largest"}) != base
    monkeypatch.undo()
    other_numpy = {**uc_cache.environment(), "numpy": "0.0"}
    monkeypatch.setattr(uc_cache, "environment", lambda: other_numpy)
    assert cache.key(table, META, method="chapman", settings={"pair": "largest"}) != base


def test_seed_enters_the_key_of_monte_carlo_methods_only(tmp_path):
    cache = EstimateCache(tmp_path / "cache")
    table = _table(tmp_path)
    # deterministic: the seed is ignored by the method, so equal tables of two strata share an entry
    assert cache.key(table, META, method="mt", seed=1) == cache.key(table, META, method="mt", seed=2)
    assert cache.key(table, META, method="sample-coverage", seed=1) != cache.key(
        table, META, method="sample-coverage", seed=2
    )


def test_estimate_table_reads_only_the_meta_fields_in_the_key(tmp_path):
    """If estimate_table starts to read another summary field, the key must hold it: this test says so."""

    class Recording(dict):
        def __init__(self, *args):
            super().__init__(*args)
            self.read: set[str] = set()

        def get(self, key, default=None):
            self.read.add(key)
            return super().get(key, default)

        def __getitem__(self, key):
            self.read.add(key)
            return super().__getitem__(key)

    table = _table(tmp_path)
    for meta in (
        {"notes": ["n"], "n_observed": 107, "lists": ["A", "B", "C"]},
        {"unusable_reason": "too few"},
    ):
        recording = Recording(meta)
        estimate_table(table, recording, method="mt")
        assert recording.read <= set(uc_cache.META_FIELDS)


def test_covariate_cells_enter_the_key(tmp_path):
    from undercount.estimators.loglinear_cov import CovariateTable

    memberships = np.array([[1, 0], [0, 1], [1, 1], [1, 0], [0, 1], [1, 1]])
    one = CovariateTable.from_people(["A", "B"], memberships, {"sex": ["F", "M", "F", "M", "F", "M"]})
    two = CovariateTable.from_people(["A", "B"], memberships, {"sex": ["F", "F", "F", "F", "M", "M"]})
    plain = CaptureTable.from_arrays(["A", "B"], memberships, np.ones(6, dtype=int))
    assert np.array_equal(one.counts, two.counts) and np.array_equal(one.counts, plain.counts)
    digests = {uc_cache.table_digest(t) for t in (one, two, plain)}
    assert len(digests) == 3


def _damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncated":
        path.write_bytes(data[: len(data) - 40])
    elif how == "flipped":
        i = len(data) - 10
        path.write_bytes(data[:i] + bytes([data[i] ^ 0x01]) + data[i + 1 :])
    elif how == "empty":
        path.write_bytes(b"")
    elif how == "header only":
        path.write_bytes(data.partition(b"\n")[0])
    elif how == "other format":
        path.write_bytes(data.replace(uc_cache.FORMAT.encode(), b"undercount-estimate-cache/0", 1))
    elif (
        how == "rewritten payload"
    ):  # a consistent header over changed numbers: checksummed, but not this key
        import hashlib

        head, _, payload = data.partition(b"\n")
        body = json.loads(payload)
        body["key"] = "f" * 64
        new = json.dumps(body).encode()
        path.write_bytes(
            f"{uc_cache.FORMAT} sha256={hashlib.sha256(new).hexdigest()} bytes={len(new)}\n".encode() + new
        )


@pytest.mark.parametrize(
    "how", ["truncated", "flipped", "empty", "header only", "other format", "rewritten payload"]
)
def test_damaged_entries_are_recomputed_never_used(tmp_path, how):
    table = _table(tmp_path)
    args = {"method": "sample-coverage", "settings": {"nboot": 50}, "seed": 7}
    cache = EstimateCache(tmp_path / "cache")
    good, first = cache.estimate_table(table, META, **args)
    path = cache.path(first.key)
    # a plausible wrong result in the entry would be used if damage went unnoticed
    _damage(path, how)
    again, lookup = cache.estimate_table(table, META, **args)
    assert lookup.status == "corrupt", lookup
    assert "recomputed and stored" in lookup.detail
    assert _files(again, tmp_path / "again") == _files(good, tmp_path / "good")
    # the entry was replaced by a whole one
    third, last = cache.estimate_table(table, META, **args)
    assert last.status == "hit"
    assert _files(third, tmp_path / "third") == _files(good, tmp_path / "good")


def test_entries_hold_the_result_only(tmp_path):
    table = _table(tmp_path)
    cache = EstimateCache(tmp_path / "cache")
    result, lookup = cache.estimate_table(table, META, method="chapman", settings={"pair": "largest"})
    _head, _, payload = cache.path(lookup.key).read_bytes().partition(b"\n")
    body = json.loads(payload)
    assert set(body) == {"key", "result"}
    assert body["result"] == json.loads(json.dumps(result.to_dict(include_draws=True)))
    assert str(tmp_path).encode() not in cache.path(lookup.key).read_bytes()  # no path of the table


def _writer(root: str, key: str, table_text: str, rounds: int) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "t.csv"
        path.write_text(table_text)
        table = CaptureTable.from_csv(path)
    result = estimate_table(table, META, method="sample-coverage", settings={"nboot": 50}, seed=7)
    cache = EstimateCache(root)
    for _ in range(rounds):
        cache.store(key, result)


def test_concurrent_writers_of_one_key_leave_one_whole_entry(tmp_path):
    table = _table(tmp_path)
    cache = EstimateCache(tmp_path / "cache")
    key = cache.key(table, META, method="sample-coverage", settings={"nboot": 50}, seed=7)
    context = multiprocessing.get_context("spawn")
    writers = [context.Process(target=_writer, args=(str(cache.root), key, TABLE, 40)) for _ in range(3)]
    for w in writers:
        w.start()
    seen = set()
    while any(w.is_alive() for w in writers):
        _found, status = cache.load(key)
        seen.add(status)
    for w in writers:
        w.join()
        assert w.exitcode == 0
    assert seen <= {"miss", "hit"}, seen  # a reader never saw a torn entry
    assert cache.load(key)[1] == "hit"
    assert [p.name for p in cache.path(key).parent.iterdir()] == [cache.path(key).name]  # no temporary left


def test_a_failed_store_does_not_fail_the_estimate(tmp_path):
    blocked = tmp_path / "a-file"
    blocked.write_text("not a folder")
    cache = EstimateCache(blocked)
    table = _table(tmp_path)
    result, lookup = cache.estimate_table(table, META, method="mt")
    assert lookup.status == "miss" and lookup.detail.startswith("not stored")
    assert result == estimate_table(table, META, method="mt")


def test_location_is_a_runtime_setting(tmp_path):
    assert EstimateCache.from_environment({}).root == Path(uc_cache.DEFAULT_ROOT)
    assert EstimateCache.from_environment({"UNDERCOUNT_CACHE": str(tmp_path)}).root == tmp_path
    for off in ("off", "OFF", "0", "", "false"):
        assert EstimateCache.from_environment({"UNDERCOUNT_CACHE": off}) is None


def test_hit_rate_from_logs(tmp_path, capsys):
    logs = tmp_path / "logs" / "estimate"
    (logs / "a").mkdir(parents=True)
    lines = [
        str(Lookup("hit", "ab" * 32, "x")),
        str(Lookup("miss", "cd" * 32, "stored")),
        str(Lookup("hit", "ef" * 32)),
    ]
    for i, line in enumerate(lines):
        (logs / "a" / f"{i}.log").write_text(f"INFO {line}\nINFO a/b: n_observed=3\n")
    (logs / "off.log").write_text(f"INFO {Lookup('off')}\n")
    counts = count_lookups(sorted(logs.rglob("*.log")))
    assert counts == {"hit": 2, "miss": 1, "corrupt": 0, "uncacheable": 0, "off": 1}
    assert hit_rate(counts) == pytest.approx(2 / 3)
    uc_cache.main([str(logs)])
    out = capsys.readouterr().out
    assert "hit          2" in out and "0.667" in out


def test_imputations_are_looked_up_one_by_one(tmp_path):
    from undercount.impute import estimate_imputations

    first = _table(tmp_path, TABLE, "1.csv")
    second = _table(tmp_path, TABLE.replace("1,1,1,2", "1,1,1,3"), "2.csv")
    tables = [(first, META), (second, META), (first, META)]
    args = {"method": "sample-coverage", "settings": {"nboot": 50}, "seed": 11}
    plain = estimate_imputations(tables, **args)
    cache = EstimateCache(tmp_path / "cache")
    cold = estimate_imputations(tables, **args, cache=cache)
    # a Monte Carlo method: imputation 3 has its own seed, so its equal table is not shared
    assert [lookup.status for lookup in cache.lookups] == ["miss", "miss", "miss"]
    warm = estimate_imputations(tables, **args, cache=cache)
    assert [lookup.status for lookup in cache.lookups[3:]] == ["hit", "hit", "hit"]
    for j, (a, b, c) in enumerate(zip(plain, cold, warm, strict=True)):
        assert _files(b, tmp_path / f"cold{j}") == _files(a, tmp_path / f"plain{j}")
        assert _files(c, tmp_path / f"warm{j}") == _files(a, tmp_path / f"plain{j}")
    # a deterministic method shares the equal tables of imputations 1 and 3
    cache = EstimateCache(tmp_path / "cache-mt")
    estimate_imputations(tables, method="mt", seed=11, cache=cache)
    assert [lookup.status for lookup in cache.lookups] == ["miss", "miss", "hit"]
