"""Metric arithmetic on hand-made cases: reliability table, ECE, scores, the Elo margin line."""

from __future__ import annotations

import math

import pytest
from hoopcast_ml.metrics import (
    expected_calibration_error,
    fit_elo_margin,
    reliability_table,
    score,
)


def test_reliability_table_and_ece_by_hand() -> None:
    y = [1, 0, 1, 1, 0, 0]
    p = [0.05, 0.08, 0.55, 0.58, 0.95, 0.92]
    table = reliability_table(y, p)
    assert [(r["bin_low"], r["n"]) for r in table] == [(0.0, 2), (0.5, 2), (0.9, 2)]
    assert table[0]["mean_prob"] == pytest.approx(0.065) and table[0]["win_rate"] == 0.5
    assert table[2]["mean_prob"] == pytest.approx(0.935) and table[2]["win_rate"] == 0.0
    # (2/6)|0.065-0.5| + (2/6)|0.565-1| + (2/6)|0.935-0|
    expected = (0.435 + 0.435 + 0.935) / 3
    assert expected_calibration_error(y, p) == pytest.approx(expected)


def test_score_by_hand() -> None:
    result = score([1, 0], [0.75, 0.25], [10, -4], [6, -1])
    assert result["n_games"] == 2
    assert result["accuracy"] == 1.0
    assert result["log_loss"] == pytest.approx(-math.log(0.75))
    assert result["brier"] == pytest.approx(0.0625)
    assert result["auc"] == 1.0
    assert result["margin_mae"] == pytest.approx((4 + 3) / 2)
    one_class = score([1, 1], [0.6, 0.7], with_calibration=False)
    assert one_class["auc"] is None and "ece" not in one_class
    with pytest.raises(ValueError, match="empty"):
        score([], [])


def test_elo_margin_line_recovers_a_linear_relation() -> None:
    probs = [0.2, 0.4, 0.5, 0.7, 0.9]
    logits = [math.log(q / (1 - q)) for q in probs]
    margins = [3.0 + 7.5 * x for x in logits]
    a, b = fit_elo_margin(probs, margins)
    assert a == pytest.approx(3.0) and b == pytest.approx(7.5)
    assert fit_elo_margin([0.5, 0.5], [4.0, 6.0]) == (5.0, 0.0)
