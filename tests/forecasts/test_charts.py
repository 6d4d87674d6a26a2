"""The page's SVG charts: coordinates checked by hand against the chart geometry
(560 x 240 line chart, plot from x 52 to 548 and y 24 to 196; reliability plot 220 x 220 at
(44, 24))."""

from __future__ import annotations

import xml.etree.ElementTree as ET

from hoopcast_airflow.forecasts.charts import line_chart, reliability_diagram

SVG = "{http://www.w3.org/2000/svg}"


def test_line_chart_points() -> None:
    chart = line_chart(
        {
            "model": [
                {"period": "2026-W01", "accuracy": 0.5},
                {"period": "2026-W02", "accuracy": 0.7},
            ],
            "elo": [{"period": "2026-W02", "accuracy": None}],
        },
        "accuracy",
        "Accuracy <weekly>",
    )
    root = ET.fromstring(str(chart))  # well-formed, title escaped
    assert root.get("aria-label") == "Accuracy <weekly>"
    # y range 0.48..0.72 (10 % padding): 0.5 -> 24 + 172 * 22/24 = 181.67; 0.7 -> 38.33
    (line,) = root.iter(f"{SVG}polyline")
    assert line.get("points") == "52.0,181.7 548.0,38.3"
    legend = [t.text for t in root.iter(f"{SVG}text") if t.text and "model" in t.text]
    assert legend == ["model (forecast of record)"]
    assert not [t.text for t in root.iter(f"{SVG}text") if t.text == "Elo"]  # no value, no key


def test_line_chart_without_data() -> None:
    assert "no data yet" in str(line_chart({}, "log_loss", "Log-loss"))


def test_reliability_points() -> None:
    chart = reliability_diagram(
        {"model": [{"mean_prob": 0.5, "observed": 0.5, "games": 10}]}, "Calibration"
    )
    root = ET.fromstring(str(chart))
    (dot,) = root.iter(f"{SVG}circle")
    assert (dot.get("cx"), dot.get("cy"), dot.get("r")) == ("154.0", "134.0", "7.0")
