"""The interval formulas against the worked examples of Newcombe (1998).

Newcombe, R. G. (1998a) "Two-sided confidence intervals for the single
proportion", Statistics in Medicine 17, 857-872, Table I (method 3, Wilson
score without continuity correction), and (1998b) "Interval estimation for the
difference between independent proportions", Statistics in Medicine 17,
873-890, Table II (method 10, hybrid score). Published to four decimals.
"""

from __future__ import annotations

import pytest

from report.stats import newcombe, wilson


@pytest.mark.parametrize(
    ("successes", "trials", "expected"),
    [
        (81, 263, (0.2553, 0.3662)),
        (15, 148, (0.0624, 0.1605)),
        (0, 20, (0.0, 0.1611)),
        (1, 29, (0.0061, 0.1718)),
    ],
)
def test_wilson_matches_newcombes_table(
    successes: int, trials: int, expected: tuple[float, float]
) -> None:
    assert wilson(successes, trials) == pytest.approx(expected, abs=5e-5)


@pytest.mark.parametrize(
    ("counts", "expected"),
    [
        ((56, 70, 48, 80), (0.0524, 0.3339)),
        ((9, 10, 3, 10), (0.1705, 0.8090)),
        ((5, 56, 0, 29), (-0.0381, 0.1926)),
    ],
)
def test_newcombe_matches_newcombes_table(
    counts: tuple[int, int, int, int], expected: tuple[float, float]
) -> None:
    assert newcombe(*counts) == pytest.approx(expected, abs=5e-5)


def test_no_trials_has_no_interval() -> None:
    assert wilson(0, 0) is None
    assert newcombe(1, 2, 0, 0) is None
