"""The kernel side's way to the server: REST/WebSocket transport, discovery, session handles."""
