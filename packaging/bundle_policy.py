"""What goes into the frozen Breakglass app, and what is kept out.

Plain Python with no PyInstaller import, so ``breakglass.spec`` applies it and the unit tests
check it (tests/unit/test_packaging.py). The app uses QtCore, QtGui, QtWidgets, QtSvg,
QtSvgWidgets and QtPrintSupport; everything else Qt ships is excluded. A module that starts
using another Qt module must be added to ``QT_MODULES_USED`` on purpose: a unit test fails
while any ``breakglass_gui`` module imports an excluded one.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterable
from fnmatch import fnmatchcase

# The PySide6 modules the app may import. Anything else under PySide6 is excluded.
QT_MODULES_USED = frozenset(
    {"QtCore", "QtGui", "QtWidgets", "QtSvg", "QtSvgWidgets", "QtPrintSupport"}
)

# Qt modules that exist in PySide6-Essentials or -Addons and are never used. The QtNetwork
# Python module is kept out on purpose: the app runs on an offline laptop and talks to nobody
# (its C++ library stays: PySide6 links every extension module against it).
QT_MODULES_EXCLUDED = (
    "Qt3DAnimation",
    "Qt3DCore",
    "Qt3DExtras",
    "Qt3DInput",
    "Qt3DLogic",
    "Qt3DRender",
    "QtAxContainer",
    "QtBluetooth",
    "QtCharts",
    "QtConcurrent",
    "QtDBus",
    "QtDataVisualization",
    "QtDesigner",
    "QtGraphs",
    "QtGraphsWidgets",
    "QtHelp",
    "QtHttpServer",
    "QtLabsStyleKit",
    "QtLocation",
    "QtMultimedia",
    "QtMultimediaWidgets",
    "QtNetwork",
    "QtNetworkAuth",
    "QtNfc",
    "QtOpenGL",
    "QtOpenGLWidgets",
    "QtPdf",
    "QtPdfWidgets",
    "QtPositioning",
    "QtQml",
    "QtQmlFeatures",
    "QtQuick",
    "QtQuick3D",
    "QtQuickControls2",
    "QtQuickTest",
    "QtQuickWidgets",
    "QtRemoteObjects",
    "QtScxml",
    "QtSensors",
    "QtSerialBus",
    "QtSerialPort",
    "QtSpatialAudio",
    "QtSql",
    "QtStateMachine",
    "QtTest",
    "QtTextToSpeech",
    "QtUiTools",
    "QtWebChannel",
    "QtWebEngineCore",
    "QtWebEngineQuick",
    "QtWebEngineWidgets",
    "QtWebSockets",
    "QtWebView",
    "QtXml",
)

# Python modules that must never be frozen in: other Qt bindings, test and notebook tools,
# the Tk GUI, build tools.
PYTHON_EXCLUDED = (
    "PyQt5",
    "PyQt6",
    "PySide2",
    "IPython",
    "matplotlib",
    "pytest",
    "_pytest",
    "hypothesis",
    "tkinter",
    "_tkinter",
    "idlelib",
    "lib2to3",
    "ensurepip",
    "pip",
    "setuptools",
    "pkg_resources",
    "test",
)


# Files under resources/ that stay out of the app: the README's screenshots.
RESOURCES_LEFT_OUT = ("screenshots/*",)


def bundled_resource(relpath: str) -> bool:
    """Whether a file under resources/ (its "/"-separated path there) goes into the app."""
    if "__pycache__" in relpath.split("/"):
        return False
    return not any(fnmatchcase(relpath, pattern) for pattern in RESOURCES_LEFT_OUT)


def other_platforms_modules(platform: str = sys.platform) -> list[str]:
    """Modules only another OS imports. platformdirs imports its Windows module on Windows
    alone; analysed elsewhere, PyInstaller warns that the shell32/ole32 it loads through ctypes
    are "not found" (noise in every Linux build)."""
    return [] if platform == "win32" else ["platformdirs.windows"]


# Modules the app loads in ways PyInstaller's analysis cannot follow. reportlab imports its C
# accelerator (PyPI rl-accel, the top-level extension module ``_rl_accel``) by name inside
# ``exec`` (reportlab/lib/rl_accel.py): without the hidden import a frozen app silently runs
# reportlab's pure-Python fallbacks (issue 16; a build of 26 November had no _rl_accel).
ACCELERATORS = ("_rl_accel",)


def hidden_imports() -> list[str]:
    """The accelerators installed where this runs (the build environment): ``hiddenimports=``
    for both analyses (the CLI renders PDFs too). rl-accel has no wheel for Windows on ARM,
    where reportlab's own Python code is all there is."""
    return [name for name in ACCELERATORS if importlib.util.find_spec(name) is not None]


def excluded_modules() -> list[str]:
    """The ``excludes=`` list for the GUI's PyInstaller Analysis."""
    return [
        *PYTHON_EXCLUDED,
        *other_platforms_modules(),
        *(f"PySide6.{m}" for m in QT_MODULES_EXCLUDED),
    ]


def cli_excluded_modules() -> list[str]:
    """The CLI never touches Qt: keep PySide6 and the GUI package out of its analysis."""
    return [
        *PYTHON_EXCLUDED,
        *other_platforms_modules(),
        "PySide6",
        "shiboken6",
        "breakglass_gui.gui",
    ]


# Bundle paths (as PyInstaller names them, "/"-separated) that are dropped after analysis.
# Qt plugins for platforms a desktop laptop does not use (framebuffer, VNC, EGLFS kiosks),
# image formats the app never reads (qpdf would pull in QtPdf; the virtual keyboard pulls in
# QtQuick), the GTK theme (it would drag the build machine's cairo/pango/GDK into the bundle,
# to clash with the laptop's own GTK; Qt's Fusion style and the XDG portal theme remain), the
# Wayland compositor side, and Qt's own translations (the app is English-only; its own
# translations, when they come, live in resources/).
DROPPED_PATTERNS = (
    "PySide6/Qt/translations/*",
    "PySide6/Qt/plugins/platforms/libqeglfs.so",
    "PySide6/Qt/plugins/platforms/libqlinuxfb.so",
    "PySide6/Qt/plugins/platforms/libqminimal.so",
    "PySide6/Qt/plugins/platforms/libqminimalegl.so",
    "PySide6/Qt/plugins/platforms/libqvkkhrdisplay.so",
    "PySide6/Qt/plugins/platforms/libqvnc.so",
    "PySide6/Qt/plugins/egldeviceintegrations/*",
    "PySide6/Qt/plugins/generic/*",
    "PySide6/Qt/plugins/imageformats/libqpdf.so",
    "PySide6/Qt/plugins/imageformats/libqicns.so",
    "PySide6/Qt/plugins/imageformats/libqtga.so",
    "PySide6/Qt/plugins/imageformats/libqtiff.so",
    "PySide6/Qt/plugins/imageformats/libqwbmp.so",
    "PySide6/Qt/plugins/imageformats/libqwebp.so",
    "PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so",
    "PySide6/Qt/plugins/platformthemes/libqgtk3.so",
    "PySide6/Qt/plugins/wayland-graphics-integration-server/*",
    "PySide6/Qt/plugins/networkinformation/*",
    "PySide6/Qt/plugins/tls/*",
    "PySide6/Qt/plugins/sqldrivers/*",
    "PySide6/Qt/plugins/qmltooling/*",
    "PySide6/Qt/plugins/designer/*",
)

# Shared libraries that no kept plugin or module needs; if one turns up in the bundle, a
# dropped plugin or an excluded module has crept back in (packaging/check_bundle.py fails).
FORBIDDEN_LIBRARIES = (
    "libQt6Pdf*",
    "libQt6Qml*",
    "libQt6Quick*",
    "libQt6VirtualKeyboard*",
    "libQt6WebEngine*",
    "libQt6Multimedia*",
    "libQt63D*",
    "libQt6Designer*",
    "libQt6Sql*",
    "libQt6Test*",
    "libgtk-*",
    "libgdk-*",
    "libcairo*",
    "libpango*",
)


def is_dropped(dest: str) -> bool:
    """Whether a bundle entry (its destination path) is dropped after analysis."""
    path = dest.replace("\\", "/")
    return any(fnmatchcase(path, pattern) for pattern in DROPPED_PATTERNS)


def is_forbidden_library(dest: str) -> bool:
    name = dest.replace("\\", "/").rsplit("/", 1)[-1]
    return any(fnmatchcase(name, pattern) for pattern in FORBIDDEN_LIBRARIES)


def prune(entries: Iterable[tuple[str, str, str]]) -> list[tuple[str, str, str]]:
    """Drop the entries of a PyInstaller TOC (dest, source, typecode) that ``is_dropped``."""
    return [entry for entry in entries if not is_dropped(entry[0])]
