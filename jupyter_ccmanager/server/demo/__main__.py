"""``python -m jupyter_ccmanager.server.demo``: serve the stand-in API by itself."""

from jupyter_ccmanager.server.demo.api import main

main()
