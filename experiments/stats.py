"""The statistics of an experiment's report: is a candidate's share of clicked lists different from control's?

Pure numpy/scipy, no Django: the report counts, this module compares.
"""

import math
from dataclasses import dataclass

from scipy.stats import norm


@dataclass(frozen=True)
class ProportionTest:
    """A candidate's proportion against control's: b - a, its confidence interval, the z statistic and the
    two-sided p-value of "no difference"."""

    difference: float
    ci_low: float
    ci_high: float
    z: float
    p_value: float


def two_proportion_ztest(
    successes_a: int, trials_a: int, successes_b: int, trials_b: int, *, confidence: float = 0.95
) -> ProportionTest:
    """The two-proportion z-test of p_b = successes_b / trials_b against p_a = successes_a / trials_a.

    The p-value is two-sided and uses the pooled standard error (the one that holds when both groups
    share one proportion, the null hypothesis): z = (p_b - p_a) / sqrt(p (1 - p) (1/n_a + 1/n_b)) with
    p = (x_a + x_b) / (n_a + n_b). It equals the p-value of a chi-square test of the 2x2 table without
    continuity correction. The confidence interval of p_b - p_a uses the unpooled (Wald) standard error
    sqrt(p_a (1 - p_a) / n_a + p_b (1 - p_b) / n_b), clipped to [-1, 1], the range a difference of
    proportions can take.

    Degenerate cases give numbers, never NaN:
    - both proportions 0, or both 1 (the pooled proportion is 0 or 1, so there is no spread to test
      against): z = 0 and p_value = 1.0, the data show no difference;
    - a group with no trials: its proportion counts as 0, z = 0, p_value = 1.0 and the interval is the
      whole [-1, 1]: an empty group says nothing.
    """
    for name, successes, trials in (("a", successes_a, trials_a), ("b", successes_b, trials_b)):
        if trials < 0 or successes < 0 or successes > trials:
            raise ValueError(f"group {name}: {successes} successes out of {trials} trials is not a proportion")
    p_a = successes_a / trials_a if trials_a else 0.0
    p_b = successes_b / trials_b if trials_b else 0.0
    difference = p_b - p_a
    if not trials_a or not trials_b:
        return ProportionTest(difference, -1.0, 1.0, 0.0, 1.0)
    pooled = (successes_a + successes_b) / (trials_a + trials_b)
    pooled_se = math.sqrt(pooled * (1.0 - pooled) * (1.0 / trials_a + 1.0 / trials_b))
    if pooled_se > 0.0:
        z = difference / pooled_se
        p_value = float(2.0 * norm.sf(abs(z)))
    else:
        z, p_value = 0.0, 1.0
    unpooled_se = math.sqrt(p_a * (1.0 - p_a) / trials_a + p_b * (1.0 - p_b) / trials_b)
    margin = float(norm.ppf(0.5 + confidence / 2.0)) * unpooled_se
    return ProportionTest(
        difference=difference,
        ci_low=max(-1.0, difference - margin),
        ci_high=min(1.0, difference + margin),
        z=z,
        p_value=min(1.0, p_value),
    )
