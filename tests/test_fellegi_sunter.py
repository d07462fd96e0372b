"""Fellegi–Sunter pieces: comparison levels, blocking, and EM recovering known parameters."""

import numpy as np
import pandas as pd
import pytest

from undercount.fellegi_sunter import (
    COMPARISONS,
    FSModel,
    background_pairs,
    background_weights,
    candidate_pairs,
    compare,
    fit_em,
    jaro_winkler,
    prepare,
)


def frame(rows):
    cols = ["source", "record_id", "full_name", "sex", "age", "date_of_death", "place", "region"]
    f = pd.DataFrame(rows, columns=cols)
    f["age"] = pd.array(f["age"], dtype="Int64")
    return f


BASE = ("a", "a1", "Ерлан Жагипаров", "M", 34, "2022-01-05", "Алматы", None)


def levels(other, base=BASE):
    f = prepare(frame([base, other]), date_column="date_of_death", place_column="place")
    g = compare(f, np.array([0]), np.array([1]))[0]
    return {c.name: c.label(int(level)) for c, level in zip(COMPARISONS, g)} | {"same source": int(g[-1])}


def test_name_levels():
    assert (
        levels(("b", "b1", "ZHAGIPAROV YERLAN", "M", 34, "2022-01-05", "Almaty", None))["name"]
        == "every word agrees"
    )
    assert levels(("b", "b1", "Ерлан Жагипар", None, None, None, None, None))["name"] == "every word agrees"
    assert (
        levels(("b", "b1", "Жагипаров Е.Б.", None, None, None, None, None))["name"]
        == "initials fit, surname as written"
    )
    assert (
        levels(("b", "b1", "Жагипар Е.", None, None, None, None, None))["name"]
        == "initials fit, surname without its ending"
    )
    assert (
        levels(("b", "b1", "Жагипаров А.", None, None, None, None, None))["name"]
        == "one word agrees, another differs"
    )
    assert (
        levels(("b", "b1", "Ерлан Жакипаров", None, None, None, None, None))["name"]
        == "every word agrees up to spelling"
    )
    assert levels(("b", "b1", "Асхат Омаров", None, None, None, None, None))["name"] == "no word agrees"


def test_other_fields_levels():
    got = levels(("a", "a2", "Ерлан Жагипаров", "F", 36, "2022-01-08", "Алматинская область", None))
    assert got["sex"] == "differs" and got["age"] == "within 2 years" and got["date"] == "within 3 days"
    assert got["place"] == "differs" and got["same source"] == 1
    got = levels(
        ("b", "b1", "Ерлан Жагипар", None, 40, "2022-01-06", None, "г. Алматы")
    )  # no sex, none implied
    assert got["sex"] == "missing" and got["age"] == "differs by more than 2 years"
    assert got["date"] == "within 1 day" and got["place"] == "same region, place unknown on one side"
    assert got["same source"] == 0
    pat = ("a", "a1", "Жагипаров Ерлан Бауыржанович", "M", None, None, None, None)
    assert (
        levels(("b", "b1", "Жагипаров Е.Б.", None, None, None, None, None), pat)["patronymic"]
        == "initial agrees"
    )
    assert (
        levels(("b", "b1", "Жагипаров Ерлан Бауыржанұлы", None, None, None, None, None), pat)["patronymic"]
        == "agrees"
    )
    assert (
        levels(("b", "b1", "Жагипаров Ерлан Асхатович", None, None, None, None, None), pat)["patronymic"]
        == "differs"
    )


def test_jaro_winkler_reference_values():
    # Winkler's examples
    assert jaro_winkler("martha", "marhta") == pytest.approx(0.9611, abs=1e-4)
    assert jaro_winkler("dixon", "dicksonx") == pytest.approx(0.8133, abs=1e-4)


def test_blocking_proposes_true_pairs_in_any_order_and_with_initials():
    f = prepare(
        frame(
            [
                BASE,
                ("b", "b1", "ZHAGIPAROV YERLAN", None, None, None, None, None),
                ("c", "c1", "Жагипаров Е.Б.", None, None, None, None, None),
                ("d", "d1", "Асхат Омаров", "M", 34, "2022-01-05", "Алматы", None),
            ]
        ),
        date_column="date_of_death",
        place_column="place",
    )
    i, j = candidate_pairs(f)
    assert set(zip(i.tolist(), j.tolist())) == {(0, 1), (0, 2), (1, 2)}
    bi, bj = background_pairs(["a", "b", "c", "d"], (i, j))
    assert set(zip(bi.tolist(), bj.tolist())) == {(0, 3), (1, 3), (2, 3)}  # every other pair, exactly
    assert background_weights(f, (i, j), (bi, bj)).tolist() == [1.0, 1.0, 1.0]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_em_recovers_known_parameters(seed):
    """Comparison vectors drawn from a known model: EM gets m, u and the prior back.

    60,000 pairs of which 3,000 matches: the standard error of an m of 0.9 is
    about sqrt(0.9 * 0.1 / 3000) = 0.0055, so 0.03 is more than five of them
    (plus the Dirichlet prior's pull, worth 5 pairs in 3,000).
    """
    rng = np.random.default_rng(seed)
    n_match, n_non = 3_000, 57_000
    m_true = [
        np.array([0.01, 0.01, 0.01, 0.01, 0.06, 0.9]),
        np.array([0.05, 0.05, 0.9]),
        np.array([0.02, 0.98]),
        np.array([0.05, 0.15, 0.8]),
        np.array([0.02, 0.03, 0.1, 0.85]),
        np.array([0.05, 0.15, 0.8]),
    ]
    u_true = [
        np.array([0.6, 0.3, 0.02, 0.02, 0.04, 0.02]),
        np.array([0.9, 0.05, 0.05]),
        np.array([0.5, 0.5]),
        np.array([0.8, 0.15, 0.05]),
        np.array([0.5, 0.3, 0.15, 0.05]),
        np.array([0.6, 0.3, 0.1]),
    ]
    cols_m, cols_u = [], []
    for m, u in zip(m_true, u_true):
        cols_m.append(rng.choice(len(m), size=n_match, p=m) + 1)
        cols_u.append(rng.choice(len(u), size=n_non, p=u) + 1)
    gamma = np.vstack(
        [np.column_stack(cols_m + [np.zeros(n_match, int)]), np.column_stack(cols_u + [np.zeros(n_non, int)])]
    ).astype(np.int8)
    model = fit_em(gamma)
    assert isinstance(model, FSModel) and model.converged
    assert model.prior[0] == pytest.approx(n_match / (n_match + n_non), abs=0.005)
    for c in range(len(COMPARISONS)):
        assert np.abs(model.m[c][1:] - m_true[c]).max() < 0.03, COMPARISONS[c].name
        assert np.abs(model.u[c][1:] - u_true[c]).max() < 0.03, COMPARISONS[c].name
    p = model.probability(gamma)
    truth = np.r_[np.ones(n_match, bool), np.zeros(n_non, bool)]
    assert ((p >= 0.5) == truth).mean() > 0.98
