"""Kernel-side tests: the Python API against a real server, the client without one, the
demo notebooks, the Binder environment, and the dashboard widget's Python side."""
