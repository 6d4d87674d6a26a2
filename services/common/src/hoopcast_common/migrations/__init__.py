"""Versioned SQL migrations (``NNNN_name.sql``), applied by :mod:`hoopcast_common.db`.

Version ranges by stage, so that stages can add migrations without colliding:
0001-0099 raw/core/ops (ingestion), 0100-0199 features, 0200-0299 ml (trainer),
0300-0399 predictions (predictor).
"""
