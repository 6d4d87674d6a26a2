"""Root test configuration.

Shared fixtures live in ``tests/support`` as pytest plugins, one module per resource:

* ``support.replay_fixtures`` — the offline ESPN replay server over real HTTP;
* ``support.warehouse_fixtures`` — a DuckDB warehouse filled by the real ingestion CLI
  against that server (copied per test so tests never share writes).
"""

pytest_plugins = [
    "support.replay_fixtures",
    "support.warehouse_fixtures",
    "support.lake_fixtures",
]
