"""Offline replay server of ESPN's men's college basketball site API."""
