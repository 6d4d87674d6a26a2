"""Any results file in the grdavis format can be replayed (paths are configurable)."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import httpx
from hoopcast_espn_replay.inputs import DataPaths
from replay_helpers import API, DATA, RESULTS, csv_games_on


def test_custom_results_file(tmp_path: Path, replay_server_factory) -> None:  # type: ignore[no-untyped-def]
    # a real slice: the games of 2025-01-11 and 2025-01-12 only
    lines = [
        line
        for line in RESULTS.read_text().splitlines()
        if line.split(",")[5] in ("20250111", "20250112")
    ]
    custom = tmp_path / "results.csv"
    custom.write_text("\n".join(lines) + "\n")
    paths = DataPaths.under(DATA, results=custom)
    with replay_server_factory(now="2025-01-11", paths=paths) as url:

        def events(day: str) -> list[dict]:  # type: ignore[type-arg]
            r = httpx.get(f"{url}{API}/scoreboard", params={"dates": day, "groups": "50"})
            return r.json()["events"]  # type: ignore[no-any-return]

        assert len(events("20250111")) == len(csv_games_on(dt.date(2025, 1, 11)))
        later = events("20250112")
        assert len(later) == len(csv_games_on(dt.date(2025, 1, 12)))
        assert all(e["status"]["type"]["name"] == "STATUS_SCHEDULED" for e in later)
        assert events("20250110") == []
        stats = httpx.get(f"{url}/__replay/stats").json()
        assert stats["games"] == len(lines)


def test_malformed_results_file_is_bad_input(tmp_path: Path) -> None:
    import pytest
    from hoopcast_common.errors import BadInputError
    from hoopcast_espn_replay.data import load_replay_data

    bad = tmp_path / "bad.csv"
    bad.write_text("0,A,1,B,2,2025-01-11,3\n")
    with pytest.raises(BadInputError, match="bad date"):
        load_replay_data(DataPaths.under(DATA, results=bad))
