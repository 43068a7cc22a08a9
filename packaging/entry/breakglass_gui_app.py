"""Frozen entry point of the ``breakglass-gui`` desktop app (PyInstaller runs it as __main__)."""

import sys

from breakglass_gui.gui.app import main

sys.exit(main())
