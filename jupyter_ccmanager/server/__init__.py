"""The server side: everything that runs inside jupyter_server.

Never imports :mod:`jupyter_ccmanager.client` or :mod:`jupyter_ccmanager.widgets`
(a test checks it); the extension itself is :mod:`jupyter_ccmanager.server.app`.
"""
