"""Constants shared by the forecasts tests and their conftest (a module of its own name: test
modules of several folders importing ``conftest`` by name would get each other's)."""

FIRST_DAY = "2025-01-20"
"""The game day of the first prediction run of the forecast warehouse."""

GAME_DAY = "2025-01-24"
"""The game day the forecasts tests look at (the second prediction run)."""

ADMIN_PASSWORD = "forecasts-test-password"
"""The SimpleAuthManager admin's password in the tests' Airflow configuration."""
