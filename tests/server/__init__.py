"""Server-side tests, with no browser and no claude CLI.

REST, WebSocket, auth, replay buffer, processes, the store, events, Lab's
terminal panel, screen rules, the package layout, the OpenAPI spec, and the
benchmarks' smoke run.
"""
