"""Shared test helpers: server launchers, waiting, the REST client, the OpenAPI check."""
