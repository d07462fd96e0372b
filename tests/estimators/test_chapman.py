import math

import pytest

from undercount.errors import MethodError
from undercount.estimators import estimate
from undercount.histories import CaptureTable


def two(n10, n01, n11):
    return CaptureTable.from_arrays(["A", "B"], [[1, 0], [0, 1], [1, 1]], [n10, n01, n11])


def test_chapman_formula_and_interval():
    # n1 = 60, n2 = 50, m = 20: (61*51)/21 - 1
    result = estimate(two(40, 30, 20), "chapman")
    assert result.n_hat == pytest.approx(61 * 51 / 21 - 1)
    var = 61 * 51 * 40 * 30 / (21**2 * 22)
    f0 = result.n_hat - 90
    c = math.exp(1.959963984540054 * math.sqrt(math.log(1 + var / f0**2)))
    assert result.ci_low == pytest.approx(90 + f0 / c)
    assert result.ci_high == pytest.approx(90 + f0 * c)
    assert result.details["overlap"] == 20


def test_small_overlap_warns():
    result = estimate(two(40, 30, 3), "chapman")
    assert any("overlap of only 3" in w for w in result.warnings)


def test_no_overlap_is_not_estimable():
    # issue 11.4: two lists that share no one do not bound the total (the +1 corrections gave 1270)
    result = estimate(two(40, 30, 0), "chapman")
    assert not result.estimable
    assert "share no one" in result.warnings[-1] and "do not bound the total" in result.warnings[-1]


def test_nested_lists_warn_that_the_interval_has_no_width():
    result = estimate(two(0, 30, 40), "chapman")  # everyone on A is on B
    assert result.n_hat == pytest.approx(70) and result.ci_low == result.ci_high == pytest.approx(70)
    assert any("everyone on A is also on B" in w for w in result.warnings)


def test_standing_caveats_are_not_warnings():
    result = estimate(two(40, 30, 20), "chapman")
    assert result.warnings == ()
    assert any("two lists cannot reveal dependence" in c for c in result.caveats)


def test_needs_pair_on_three_lists(hiv):
    with pytest.raises(MethodError, match="pair=A,B"):
        estimate(hiv, "chapman")


def test_pair_selection(hiv):
    chosen = estimate(hiv, "chapman", settings={"pair": "c2,c3"})
    assert chosen.lists == ("c2", "c3")
    largest = estimate(hiv, "chapman", settings={"pair": "largest"})
    sizes = hiv.list_sizes()
    assert set(largest.lists) == set(sorted(sizes, key=sizes.get)[-2:])
    assert any("2 other list(s) ignored" in c for c in largest.caveats)
    assert any("multi-list methods" in c for c in largest.caveats)
    with pytest.raises(MethodError, match="not a list"):
        estimate(hiv, "chapman", settings={"pair": "c1,zz"})
