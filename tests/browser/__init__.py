"""Browser tests in real Chromium (playwright): the notebook widget, the dashboard page and
widget, and JupyterLab's own Running and terminal panels."""
