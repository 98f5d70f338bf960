"""The two-proportion z-test of the experiment report, against a hand-computed case and a chi-square test."""

import math

import numpy as np
import pytest
from scipy.stats import chi2_contingency

from experiments.stats import two_proportion_ztest


def test_a_hand_computed_case():
    # Control: 60 clicked lists out of 200 (p_a = 0.30); candidate: 40 out of 200 (p_b = 0.20).
    # difference = 0.20 - 0.30 = -0.10
    # pooled p = (60 + 40) / (200 + 200) = 0.25
    # pooled SE = sqrt(0.25 * 0.75 * (1/200 + 1/200)) = sqrt(0.1875 * 0.01) = sqrt(0.001875) = 0.0433013
    # z = -0.10 / 0.0433013 = -2.309401
    # p = 2 * (1 - Phi(2.309401)) = 2 * 0.0104607 = 0.0209213
    # unpooled SE = sqrt(0.30 * 0.70 / 200 + 0.20 * 0.80 / 200) = sqrt(0.00105 + 0.0008) = sqrt(0.00185) = 0.0430116
    # 95% margin = 1.959964 * 0.0430116 = 0.0843012 -> CI = (-0.1843012, -0.0156988)
    test = two_proportion_ztest(60, 200, 40, 200)

    assert test.difference == pytest.approx(-0.10)
    assert test.z == pytest.approx(-2.309401, abs=1e-6)
    assert test.p_value == pytest.approx(0.0209213, abs=1e-7)
    assert test.ci_low == pytest.approx(-0.1843012, abs=1e-7)
    assert test.ci_high == pytest.approx(-0.0156988, abs=1e-7)


def test_the_sign_follows_the_candidate_and_the_p_value_does_not():
    worse, better = two_proportion_ztest(60, 200, 40, 200), two_proportion_ztest(40, 200, 60, 200)
    assert better.difference == pytest.approx(0.10) and better.z == pytest.approx(-worse.z)
    assert better.p_value == pytest.approx(worse.p_value)
    assert (better.ci_low, better.ci_high) == pytest.approx((-worse.ci_high, -worse.ci_low))


TABLES = [(60, 200, 40, 200), (5, 17, 9, 23), (1, 1000, 12, 980), (130, 400, 128, 410), (0, 50, 7, 60),
          (299, 300, 250, 300), (3, 3, 1, 4)]  # fmt: skip


@pytest.mark.parametrize("table", TABLES)
def test_the_p_value_equals_a_chi_square_test_of_the_2x2_table_without_continuity_correction(table):
    x_a, n_a, x_b, n_b = table
    chi2, p_value, _, _ = chi2_contingency(np.array([[x_a, n_a - x_a], [x_b, n_b - x_b]]), correction=False)

    test = two_proportion_ztest(x_a, n_a, x_b, n_b)

    assert test.p_value == pytest.approx(p_value, rel=1e-9, abs=1e-15)
    assert test.z**2 == pytest.approx(chi2, rel=1e-9)


def test_the_interval_holds_the_true_difference_about_95_times_in_100():
    # Brute force: simulated experiments with known proportions; the Wald interval's coverage at these sizes
    # is close to its nominal 95%.
    rng = np.random.default_rng(7)
    n, p_a, p_b, runs = 2000, 0.30, 0.26, 4000
    x_a, x_b = rng.binomial(n, p_a, runs), rng.binomial(n, p_b, runs)
    held = sum(
        (t := two_proportion_ztest(int(a), n, int(b), n)).ci_low <= p_b - p_a <= t.ci_high for a, b in zip(x_a, x_b)
    )
    assert 0.94 <= held / runs <= 0.96


@pytest.mark.parametrize(
    "table", [(0, 100, 0, 80), (100, 100, 80, 80), (0, 1, 0, 1)], ids=["all zero", "all one", "tiny zeros"]
)
def test_both_proportions_at_zero_or_one_give_no_difference_and_no_nan(table):
    test = two_proportion_ztest(*table)
    assert (test.difference, test.z, test.p_value) == (0.0, 0.0, 1.0)
    assert (test.ci_low, test.ci_high) == (0.0, 0.0)


def test_a_group_without_trials_says_nothing():
    test = two_proportion_ztest(0, 0, 7, 20)
    assert test.p_value == 1.0 and test.z == 0.0 and (test.ci_low, test.ci_high) == (-1.0, 1.0)
    assert not any(math.isnan(v) for v in (test.difference, test.ci_low, test.ci_high, test.z, test.p_value))


def test_opposite_certainties_are_far_apart():
    test = two_proportion_ztest(0, 50, 50, 50)
    assert test.difference == 1.0 and test.p_value < 1e-20
    assert (test.ci_low, test.ci_high) == (1.0, 1.0)  # no spread in either group: the Wald interval collapses


def test_impossible_counts_are_refused():
    with pytest.raises(ValueError, match="not a proportion"):
        two_proportion_ztest(5, 4, 1, 10)
