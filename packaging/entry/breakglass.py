"""Frozen entry point of the ``breakglass`` command (PyInstaller runs this as ``__main__``)."""

import sys

from breakglass_gui.cli.entry import main

sys.exit(main())
