"""Strata under plausible linkages (undercount.linkage.draw_strata): tables, pools and totals."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from undercount.errors import UndercountError
from undercount.histories import CaptureTable
from undercount.linkage.averaging import draw_histories, read_draw_histories
from undercount.linkage.draw_strata import (
    OUTSIDE,
    average_stratum,
    average_total,
    draw_strata_histories,
    partition_frame,
    read_partition_frame,
    stratum_tables,
)
from undercount.linkage.draws import PartitionDraws, table_key
from undercount.results.combine import mix
from undercount.strata import Scheme

LISTS = ["a", "b", "c"]
SCHEME = Scheme.from_config("city", {"by": ["region"]}, "2022-01-05")
META = {"lists": LISTS, "notes": ["linked by a test"]}


def _population(seed=3, north=45, south=35):
    """People in two regions, each on a random non-empty set of the three lists; their records."""
    rng = np.random.default_rng(seed)
    records = {s: [] for s in LISTS}
    keys, sources, ids, person = [], [], [], []
    for p in range(north + south):
        region = "North" if p < north else "South"
        on = [s for s in LISTS if rng.random() < 0.6] or [LISTS[p % 3]]
        for s in on:
            rid = f"{s}{p:03d}"
            records[s].append({"record_id": rid, "region": region, "_row": len(records[s]) + 2})
            keys.append(f"{s}\x1f{rid}")
            sources.append(s)
            ids.append(rid)
            person.append(p)
    by_source = {s: pd.DataFrame(rows) for s, rows in records.items()}
    return by_source, keys, sources, ids, np.asarray(person)


def _labels(person):
    """Person labels as the draws give them: the smallest record position of each person."""
    first = {}
    for k, p in enumerate(person):
        first.setdefault(int(p), k)
    return np.array([first[int(p)] for p in person])


def _draws(person, keys, sources, ids, variants):
    labels = np.vstack([_labels(v) for v in variants])
    return PartitionDraws(
        labels=labels,
        keys=keys,
        sources=sources,
        record_ids=ids,
        order=None,
        best_probability=np.ones(len(keys)),
    )


def _variants(person, north):
    """Draw 1: the truth. Draw 2: every record of three people split. Draw 3: six south people
    joined to north people (their records then follow the north person's region, or tie)."""
    split = person.copy()
    for p in (1, 2, north + 1):
        at = np.flatnonzero(person == p)
        split[at] = 1000 + at  # every record its own person
    joined = person.copy()
    for j in range(6):
        joined[person == north + 10 + j] = j  # south person joined to north person j
    return [person, split, joined]


@pytest.fixture(scope="module")
def drawn():
    by_source, keys, sources, ids, person = _population()
    draws = _draws(person, keys, sources, ids, _variants(person, 45))
    persons = read_partition_frame(partition_frame(draws))
    strata = ["region-north", "region-south"]
    return draws, by_source, persons, strata


def test_per_draw_strata_tables_add_up_to_the_whole_table_of_each_draw(drawn):
    draws, by_source, persons, strata = drawn
    done = draw_strata_histories(persons, by_source, "casualty", SCHEME, LISTS, strata)
    assert list(done.frame.columns) == ["draw", "stratum", *LISTS, "count"]
    assert not len(done.outside)
    whole = read_draw_histories(draw_histories(draws, LISTS), LISTS)
    tables = stratum_tables(done.frame, LISTS, strata, draws.R)
    for r in range(draws.R):
        parts = [tables[s][r] for s in strata]
        patterns = np.vstack([t.select(LISTS).patterns if t.k == 3 else _widen(t) for t in parts])
        counts = np.concatenate([t.counts for t in parts])
        summed = CaptureTable.from_arrays(LISTS, patterns, counts)
        assert table_key(summed) == table_key(whole[r])
    # the draws differ: splitting adds people, joining moves south people north
    north = [tables["region-north"][r].n_observed for r in range(3)]
    south = [tables["region-south"][r].n_observed for r in range(3)]
    assert south[2] < south[0] and sum(north) + sum(south) > 0
    assert north[1] + south[1] > north[0] + south[0]


def _widen(table):
    """A stratum table over some lists, as rows over all three."""
    out = np.zeros((len(table.counts), len(LISTS)), dtype=np.int8)
    for j, name in enumerate(table.lists):
        out[:, LISTS.index(name)] = table.patterns[:, j]
    return out


def test_people_outside_the_known_strata_are_counted_and_reach_the_total(drawn):
    draws, by_source, persons, _ = drawn
    done = draw_strata_histories(persons, by_source, "casualty", SCHEME, LISTS, ["region-north"])
    assert set(done.outside["stratum"]) == {"region-south"}
    whole = read_draw_histories(draw_histories(draws, LISTS), LISTS)
    tables = stratum_tables(done.frame, LISTS, ["region-north"], draws.R)
    for r in range(draws.R):
        away = int(done.outside.loc[done.outside["draw"] == r + 1, "persons"].sum())
        assert tables["region-north"][r].n_observed + away == whole[r].n_observed
    text = done.warning()
    assert text is not None and "linkage draws 1-3 (3 of 3)" in text and "region-south" in text
    north = average_stratum(
        tables["region-north"], META, method="mt", seed=1, pool_seed=2, min_sources=3, min_records=5, nboot=40
    )
    total, totals, frame = average_total(
        {"region-north": north}, seed=5, pool_seed=6, outside=done.outside, notes=[text]
    )
    assert list(frame["outside"]) == [
        int(done.outside.loc[done.outside["draw"] == r, "persons"].sum()) for r in (1, 2, 3)
    ]
    for r, t in enumerate(totals):
        assert t.n_observed == whole[r].n_observed  # nobody vanished
        assert any(OUTSIDE in w and "added as they are" in w for w in t.warnings)
    assert text in total.warnings


def test_a_stratum_unusable_in_some_draws_is_pooled_over_the_others():
    rng = np.random.default_rng(1)

    def table(scale):
        counts = rng.integers(5, 15, size=7) * scale
        return CaptureTable.from_arrays(LISTS, _all_patterns(), counts)

    tables = [
        table(2),
        table(2),
        CaptureTable.from_arrays(LISTS, _all_patterns(), [1, 1, 1, 1, 1, 1, 1]),
        table(2),
    ]
    done = average_stratum(
        tables, META, method="mt", seed=3, pool_seed=4, min_sources=3, min_records=10, nboot=40
    )
    assert list(done.frame["usable"]) == [True, True, False, True]
    assert np.isnan(done.frame["n_hat"].iloc[2]) and not done.per_draw[2].estimable
    assert done.result.estimable
    note = [w for w in done.result.warnings if "usable (HRDAG's rule) in 3 of 4 linkage draws" in w]
    assert note and "linkage draws 3 fail it" in note[0]
    # the pool is the mixture of the three usable draws' draws of N, nothing of the fourth
    again = mix(
        {str(i): done.per_draw[i] for i in (0, 1, 3)}, rng=np.random.default_rng(4), what="linkage draw"
    )
    assert (done.result.n_hat, done.result.ci_low, done.result.ci_high) == pytest.approx(
        (again.n_hat, again.ci_low, again.ci_high), rel=1e-12
    )
    # usable in no draw: not estimable, with the rule's reason
    none = average_stratum(tables[2:3], META, method="mt", seed=3, pool_seed=4, min_sources=3, min_records=10)
    assert not none.result.estimable
    assert "not usable in any of the 1 linkage draws" in none.result.warnings[-1]


def test_usable_draws_with_different_lists_are_refused():
    pats = _all_patterns()
    full = CaptureTable.from_arrays(LISTS, pats, [20] * 7)
    two = CaptureTable.from_arrays(["a", "b"], [[1, 0], [0, 1], [1, 1]], [30, 30, 30])
    done = average_stratum(
        [full, two], META, method="mt", seed=3, pool_seed=4, min_sources=2, min_records=10, nboot=20
    )
    assert not done.result.estimable
    assert "do not use the same lists" in done.result.warnings[-1]


def _all_patterns():
    return [[1, 0, 0], [0, 1, 0], [0, 0, 1], [1, 1, 0], [1, 0, 1], [0, 1, 1], [1, 1, 1]]


def test_the_total_adds_each_draws_strata_draw_by_draw(drawn):
    draws, by_source, persons, strata = drawn
    done = draw_strata_histories(persons, by_source, "casualty", SCHEME, LISTS, strata)
    tables = stratum_tables(done.frame, LISTS, strata, draws.R)
    averaged = {
        s: average_stratum(
            tables[s], META, method="mt", seed=i, pool_seed=9, min_sources=3, min_records=3, nboot=40
        )
        for i, s in enumerate(strata)
    }
    assert all(a.result.estimable for a in averaged.values())
    total, totals, frame = average_total(averaged, seed=5, pool_seed=6)
    for r, t in enumerate(totals):
        parts = [averaged[s].per_draw[r] for s in strata]
        # a sum of independent permutations: its mean is the sum of the means, exactly
        assert np.mean(t.draws.finite) == pytest.approx(
            sum(np.mean(p.draws.finite) for p in parts), rel=1e-12
        )
        assert t.draws.size == max(p.draws.finite.size for p in parts)
        assert t.n_observed == sum(p.n_observed for p in parts)
    again = mix(
        {str(r): t for r, t in enumerate(totals, 1)}, rng=np.random.default_rng(6), what="linkage draw"
    )
    assert (total.n_hat, total.ci_low, total.ci_high) == pytest.approx(
        (again.n_hat, again.ci_low, again.ci_high)
    )
    assert total.details.between_variance >= 0 and total.details.within_variance > 0
    assert 0 <= total.details.width_share_between <= 1
    assert any("sum of 2 strata within each of 3 plausible linkages" in w for w in total.warnings)
    assert list(frame["n_hat"]) == pytest.approx([t.n_hat for t in totals])
    # reproducible from the seeds
    same, _, _ = average_total(averaged, seed=5, pool_seed=6)
    assert same.n_hat == total.n_hat and np.array_equal(same.draws.values, total.draws.values)


def test_a_bad_partition_file_names_row_and_column():
    frame = pd.DataFrame({"source": ["a", "b"], "record_id": ["1", "2"], "draw_1": ["0", "x"]})
    with pytest.raises(UndercountError, match=r"p\.csv: row 3, column draw_1"):
        read_partition_frame(frame, file="p.csv")
    with pytest.raises(UndercountError, match="draw_1 ... draw_R"):
        read_partition_frame(frame.rename(columns={"draw_1": "draw_2"}), file="p.csv")


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_draw_attributes_are_person_attributes(seed):
    """The grouped rule gives person_attributes' frame exactly: modes, first-seen ties, blanks, conflicts."""
    from undercount.linkage.draw_strata import _all_records, draw_attributes
    from undercount.strata import assign_strata, person_attributes

    rng = np.random.default_rng(seed)
    by_source, rows = {}, []
    for s in LISTS:
        n = 60
        people = rng.integers(0, 40, size=n)
        frame = pd.DataFrame(
            {
                "record_id": [f"{s}{i}" for i in range(n)],
                "sex": rng.choice(["M", "F", None], n),
                "age": pd.array(rng.choice([20, 31, 47, None], n), dtype="Int64"),
                "date_of_death": rng.choice(["2022-01-05", "2022-01-07", None], n),
                "region": rng.choice(["Almaty", "Taraz", None], n),
                "_row": rng.permutation(n) + 2,  # record order is not file order
            }
        )
        by_source[s] = frame
        rows += [(s, f"{s}{i}", f"p{p:02d}") for i, p in enumerate(people)]
    persons = pd.DataFrame(rows, columns=["source", "record_id", "person_id"])
    expected = person_attributes(persons, by_source, "casualty")
    got = draw_attributes(persons, _all_records(by_source), "casualty")
    pd.testing.assert_frame_equal(got, expected)
    assert (expected["conflicts"] > 0).any() and expected["region"].isna().any()
    scheme = Scheme.from_config("x", {"by": ["region", "sex", "age_band"]}, "2022-01-05")
    assert assign_strata(got, scheme).tolist() == assign_strata(expected, scheme).tolist()
