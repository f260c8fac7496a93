"""Notebook widgets (anywidget): the live terminal and the dashboard."""
