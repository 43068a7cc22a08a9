"""Fast checks of the packaging (packaging/): what the frozen app may contain, the hash-pinned
build lock, the scripts. The build itself (minutes) runs in packaging/ci-check, not here."""

from __future__ import annotations

import ast
import importlib.metadata
import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tomllib
from pathlib import Path
from types import ModuleType

import pytest

ROOT = Path(__file__).resolve().parents[2]
PACKAGING = ROOT / "packaging"
PACKAGE = ROOT / "breakglass_gui"


def _load(name: str) -> ModuleType:
    # packaging/ is not a package (and must not shadow PyPI's `packaging`): load by path.
    spec = importlib.util.spec_from_file_location(f"_bg_{name}", PACKAGING / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


policy = _load("bundle_policy")


def _canonical(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


# -- the installed environment ----------------------------------------------------------------


def test_exactly_one_opencv_distribution_and_it_is_headless() -> None:
    # opencv-python and opencv-python-headless both install cv2/; with both, whichever was
    # installed last wins, and the GUI one brings its own Qt that fights PySide6's.
    names = sorted(
        {
            _canonical(dist.metadata["Name"])
            for dist in importlib.metadata.distributions()
            if _canonical(dist.metadata["Name"] or "").startswith("opencv")
        }
    )
    assert names == ["opencv-python-headless"]


# -- what the bundle may contain ----------------------------------------------------------------


def _spec_calls(name: str) -> list[ast.Call]:
    tree = ast.parse((PACKAGING / "breakglass.spec").read_text(encoding="utf-8"))
    return [
        node
        for node in ast.walk(tree)
        if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == name
    ]


def _keyword(call: ast.Call, name: str) -> ast.expr:
    for kw in call.keywords:
        if kw.arg == name:
            return kw.value
    raise AssertionError(f"{ast.unparse(call.func)}(...) has no {name}=")


def test_spec_analyses_use_the_exclusion_lists() -> None:
    analyses = _spec_calls("Analysis")
    assert len(analyses) == 2  # the GUI and the CLI
    excludes = sorted(ast.unparse(_keyword(a, "excludes")) for a in analyses)
    assert excludes == [
        "bundle_policy.cli_excluded_modules()",
        "bundle_policy.excluded_modules()",
    ]
    # no compression tool, no stripping of wheels' libraries (see packaging/build)
    for exe in _spec_calls("EXE") + _spec_calls("COLLECT"):
        assert ast.unparse(_keyword(exe, "upx")) == "False"
        assert ast.unparse(_keyword(exe, "strip")) == "False"


def test_spec_analyses_carry_the_accelerators() -> None:
    # reportlab imports _rl_accel inside exec(): PyInstaller cannot see it (issue 16)
    hidden = sorted(ast.unparse(_keyword(a, "hiddenimports")) for a in _spec_calls("Analysis"))
    assert hidden == [
        "cli_hidden + bundle_policy.hidden_imports()",
        "gui_hidden + bundle_policy.hidden_imports()",
    ]
    assert "_rl_accel" in policy.ACCELERATORS
    rl_accel = importlib.util.find_spec("_rl_accel") is not None
    assert ("_rl_accel" in policy.hidden_imports()) == rl_accel
    reportlab = Path(importlib.util.find_spec("reportlab").origin or "").parent  # type: ignore[union-attr]
    loader = (reportlab / "lib" / "rl_accel.py").read_text(encoding="utf-8")
    assert "from _rl_accel import" in loader  # still the dynamic import the list is for


def test_heavy_unused_qt_modules_are_excluded() -> None:
    excluded = set(policy.excluded_modules())
    for module in (
        "QtWebEngineCore",
        "QtWebEngineWidgets",
        "QtQml",
        "QtQuick",
        "QtQuickWidgets",
        "Qt3DCore",
        "QtMultimedia",
        "QtPdf",
        "QtNetwork",
        "QtSql",
        "QtDesigner",
    ):
        assert f"PySide6.{module}" in excluded
    assert not set(policy.QT_MODULES_USED) & set(policy.QT_MODULES_EXCLUDED)
    assert {"QtCore", "QtGui", "QtWidgets"} <= policy.QT_MODULES_USED


def test_cli_analysis_keeps_qt_and_the_gui_out() -> None:
    excluded = set(policy.cli_excluded_modules())
    assert {"PySide6", "shiboken6", "breakglass_gui.gui"} <= excluded


def test_every_installed_pyside6_module_is_either_used_or_excluded() -> None:
    # A PySide6 upgrade that adds a module must be sorted into one list or the other.
    # (read from the distribution's file list: importing PySide6 is blocked in unit tests)
    try:
        files = importlib.metadata.distribution("PySide6-Essentials").files or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("PySide6-Essentials not installed")
    installed = {
        f.name.split(".", 1)[0]
        for f in files
        if f.parent.as_posix() == "PySide6"
        and f.name.startswith("Qt")
        and f.name.endswith((".so", ".pyd"))
    }
    assert "QtWidgets" in installed, f"no Qt extension modules in the file list: {files[:5]}"
    unsorted = installed - policy.QT_MODULES_USED - set(policy.QT_MODULES_EXCLUDED)
    assert not unsorted, f"sort these into bundle_policy: {sorted(unsorted)}"


def _qt_imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = [node.module] + [f"{node.module}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            parts = name.split(".")
            if parts[0] == "PySide6" and len(parts) > 1 and parts[1].startswith("Qt"):
                found.add(parts[1])
    return found


def test_no_app_module_imports_a_qt_module_the_bundle_leaves_out() -> None:
    used: dict[str, set[str]] = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        for module in _qt_imports(path):
            used.setdefault(module, set()).add(str(path.relative_to(ROOT)))
    stray = {m: sorted(files) for m, files in used.items() if m not in policy.QT_MODULES_USED}
    assert not stray, f"add to bundle_policy.QT_MODULES_USED (or stop using): {stray}"
    assert "QtWidgets" in used  # the scan sees the GUI's imports at all


def test_qt_import_scan_sees_every_import_form(tmp_path: Path) -> None:
    sample = tmp_path / "sample.py"
    sample.write_text(
        "import PySide6.QtMultimedia\n"
        "from PySide6 import QtNetwork, QtCore\n"
        "from PySide6.QtQuick import QQuickView\n"
        "def later():\n    from PySide6.QtPdf import QPdfDocument\n",
        encoding="utf-8",
    )
    assert _qt_imports(sample) == {"QtMultimedia", "QtNetwork", "QtCore", "QtQuick", "QtPdf"}


@pytest.mark.parametrize(
    ("dest", "dropped"),
    [
        ("PySide6/Qt/translations/qtbase_de.qm", True),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", True),
        ("PySide6/Qt/plugins/platforminputcontexts/libqtvirtualkeyboardplugin.so", True),
        ("PySide6/Qt/plugins/platformthemes/libqgtk3.so", True),
        ("PySide6/Qt/plugins/platforms/libqvnc.so", True),
        ("PySide6/Qt/plugins/egldeviceintegrations/libqeglfs-kms-integration.so", True),
        ("PySide6\\Qt\\translations\\qt_fr.qm", True),
        # what the laptop and the smoke test need stays
        ("PySide6/Qt/plugins/platforms/libqxcb.so", False),
        ("PySide6/Qt/plugins/platforms/libqwayland.so", False),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", False),
        ("PySide6/Qt/plugins/imageformats/libqsvg.so", False),
        ("PySide6/Qt/plugins/iconengines/libqsvgicon.so", False),
        ("PySide6/Qt/plugins/platformthemes/libqxdgdesktopportal.so", False),
        ("PySide6/Qt/lib/libQt6Widgets.so.6", False),
        ("resources/spec/FORMAT.md", False),
    ],
)
def test_dropped_bundle_entries(dest: str, dropped: bool) -> None:
    assert policy.is_dropped(dest) is dropped


def test_prune_keeps_order_and_drops_only_listed_entries() -> None:
    toc = [
        ("PySide6/Qt/plugins/platforms/libqxcb.so", "/src/libqxcb.so", "BINARY"),
        ("PySide6/Qt/translations/qtbase_de.qm", "/src/qtbase_de.qm", "DATA"),
        ("PySide6/Qt/plugins/platforms/libqoffscreen.so", "/src/libqoffscreen.so", "BINARY"),
        ("PySide6/Qt/plugins/imageformats/libqpdf.so", "/src/libqpdf.so", "BINARY"),
    ]
    assert policy.prune(toc) == [toc[0], toc[2]]


def test_forbidden_libraries_match_by_file_name() -> None:
    assert policy.is_forbidden_library("PySide6/Qt/lib/libQt6Quick.so.6")
    assert policy.is_forbidden_library("libQt6WebEngineCore.so.6")
    assert policy.is_forbidden_library("libcairo.so.2")
    assert not policy.is_forbidden_library("PySide6/Qt/lib/libQt6Gui.so.6")
    assert not policy.is_forbidden_library("libQt6Network.so.6")  # PySide6 links it everywhere


def test_readme_screenshots_stay_out_of_the_app_and_the_rest_goes_in() -> None:
    files = sorted(
        p.relative_to(ROOT / "resources").as_posix()
        for p in (ROOT / "resources").rglob("*")
        if p.is_file()
    )
    bundled = [f for f in files if policy.bundled_resource(f)]
    assert "spec/FORMAT.md" in bundled
    assert not any(f.startswith("screenshots/") for f in bundled)
    assert not policy.bundled_resource("icons/__pycache__/x.pyc")
    for wanted in ("breakglass.desktop", "icons/breakglass.svg"):
        if (ROOT / "resources" / wanted).exists():
            assert wanted in bundled


# -- the hash-pinned lock file ------------------------------------------------------------------

_REQ = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+) \\$")
_HASH = re.compile(r"^    --hash=sha256:[0-9a-f]{64}( \\)?$")


def _lock() -> dict[str, tuple[str, int]]:
    """name -> (version, number of hashes), checking the shape of every line on the way."""
    pins: dict[str, tuple[str, int]] = {}
    current: str | None = None
    for number, line in enumerate(
        (PACKAGING / "requirements-build.txt").read_text(encoding="utf-8").splitlines(), 1
    ):
        if not line.strip() or line.lstrip().startswith("#"):
            continue
        if m := _REQ.match(line):
            current = _canonical(m["name"])
            assert current not in pins, f"line {number}: {current} pinned twice"
            pins[current] = (m["version"], 0)
        elif _HASH.match(line):
            assert current is not None, f"line {number}: a hash before any requirement"
            version, count = pins[current]
            pins[current] = (version, count + 1)
        else:
            raise AssertionError(f"requirements-build.txt line {number} is not a pin or a hash")
    return pins


def test_lock_file_pins_every_package_with_hashes() -> None:
    pins = _lock()
    assert len(pins) >= 10
    for name, (_version, hashes) in pins.items():
        assert hashes >= 1, f"{name} has no --hash"
    for tool in ("pyinstaller", "pyinstaller-hooks-contrib", "setuptools"):
        assert tool in pins


def test_lock_file_holds_every_runtime_dependency_and_headless_opencv_only() -> None:
    from packaging.requirements import Requirement

    pins = _lock()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for spec in project["project"]["dependencies"]:
        req = Requirement(spec)
        name = _canonical(req.name)
        assert name in pins, f"{name} (pyproject.toml) is missing from requirements-build.txt"
        assert req.specifier.contains(pins[name][0]), f"{name}=={pins[name][0]} vs {spec}"
    assert "opencv-python-headless" in pins
    assert "opencv-python" not in pins


def test_lock_file_matches_its_input() -> None:
    pins = _lock()
    wanted = re.compile(r"^(?P<name>[A-Za-z0-9][A-Za-z0-9._-]*)==(?P<version>\S+)$")
    lines = (PACKAGING / "requirements-build.in").read_text(encoding="utf-8").splitlines()
    direct = [m for line in lines if (m := wanted.match(line.strip()))]
    assert direct
    for m in direct:
        assert pins.get(_canonical(m["name"]), ("?", 0))[0] == m["version"], m["name"]


# -- the scripts -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "script",
    [
        "build",
        "smoke-test",
        "lock",
        "ci-check",
        "repro-check",
        "measure-startup",
        "linux/install-desktop-entry",
        "debian-packages",
        "fresh-machine-check",
    ],
)
def test_scripts_are_executable_bash_that_parses(script: str) -> None:
    path = PACKAGING / script
    assert path.is_file()
    assert os.access(path, os.X_OK)
    assert path.read_text(encoding="utf-8").startswith("#!/usr/bin/env bash\n")
    result = subprocess.run(["bash", "-n", str(path)], check=False, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr


def test_build_pins_its_environment() -> None:
    text = (PACKAGING / "build").read_text(encoding="utf-8")
    assert "--require-hashes" in text
    assert "--only-binary :all:" in text
    assert "PYTHONHASHSEED=0" in text
    assert "SOURCE_DATE_EPOCH" in text
    assert "SHA256SUMS" in text


def test_smoke_test_cuts_the_network_and_empties_the_environment() -> None:
    text = (PACKAGING / "smoke-test").read_text(encoding="utf-8")
    assert "unshare -n" in text
    assert "env -i" in text
    assert "--exit-when-ready" in text
    for command in ("split", "combine"):
        assert f'"$cli" {command}' in text


def test_macos_bundle_asks_for_the_camera() -> None:
    spec = (PACKAGING / "breakglass.spec").read_text(encoding="utf-8")
    assert '"NSCameraUsageDescription"' in spec
    entitlements = (PACKAGING / "macos" / "entitlements.plist").read_text(encoding="utf-8")
    assert "<key>com.apple.security.device.camera</key>" in entitlements


# -- the bundle checker --------------------------------------------------------------------------


def _fake_bundle(root: Path) -> Path:
    app = root / "app"
    internal = app / "_internal"
    (internal / "resources" / "spec").mkdir(parents=True)
    (internal / "resources" / "spec" / "FORMAT.md").write_text("format\n", encoding="utf-8")
    (internal / "PySide6").mkdir()
    for name in ("breakglass-gui", "breakglass"):
        (app / name).write_bytes(b"#!/bin/sh\n")
        (app / name).chmod(0o755)
    for module in policy.ACCELERATORS:
        (internal / f"{module}.abi3.so").write_bytes(b"not elf")
    return app


def test_check_bundle_accepts_a_clean_bundle(tmp_path: Path) -> None:
    check = _load("check_bundle")
    app = _fake_bundle(tmp_path)
    (app / "_internal" / "PySide6" / "QtWidgets.abi3.so").write_bytes(b"not elf")
    assert check.policy_problems(app) == []


def test_check_bundle_names_a_missing_accelerator(tmp_path: Path) -> None:
    check = _load("check_bundle")
    app = _fake_bundle(tmp_path)
    (app / "_internal" / "_rl_accel.abi3.so").unlink()
    problems = check.policy_problems(app, accelerators=["_rl_accel"])
    assert len(problems) == 1
    assert problems[0].startswith("_rl_accel: installed where the app was built but not in")
    assert check.policy_problems(app, accelerators=[]) == []


def test_check_bundle_names_each_problem(tmp_path: Path) -> None:
    check = _load("check_bundle")
    app = _fake_bundle(tmp_path)
    internal = app / "_internal"
    (app / "breakglass").chmod(0o644)
    (internal / "resources" / "spec" / "FORMAT.md").unlink()
    (internal / "libQt6Quick.so.6").write_bytes(b"x")
    (internal / "PySide6" / "QtNetwork.abi3.so").write_bytes(b"x")
    translations = internal / "PySide6" / "Qt" / "translations"
    translations.mkdir(parents=True)
    (translations / "qtbase_de.qm").write_bytes(b"x")
    problems = "\n".join(check.policy_problems(app))
    assert "breakglass: missing or not executable" in problems
    assert "resources/spec/FORMAT.md: missing" in problems
    assert "libQt6Quick.so.6: forbidden library" in problems
    assert "PySide6/QtNetwork.abi3.so: Qt module not in QT_MODULES_USED" in problems
    assert "PySide6/Qt/translations/qtbase_de.qm: should have been dropped" in problems


@pytest.mark.skipif(
    not sys.platform.startswith("linux") or shutil.which("ldd") is None, reason="needs ldd"
)
def test_check_bundle_finds_libraries_the_bundle_lacks(tmp_path: Path) -> None:
    check = _load("check_bundle")
    # A real extension module whose own libraries (in cryptography's or Pillow's wheel, or the
    # system's) are not copied along: the check must name what it found outside the bundle.
    import _ssl  # stdlib extension linked against OpenSSL's libssl and libcrypto

    source = Path(_ssl.__file__ or "")
    app = _fake_bundle(tmp_path)
    shutil.copy(source, app / "_internal" / source.name)
    shutil.copy("/bin/true", app / "_internal" / "true")  # glibc only: never a problem
    problems = check.library_problems(app)
    assert problems, "an extension linked against OpenSSL must be flagged"
    assert all(source.name in p for p in problems)
    assert any("needs libssl" in p or "needs libcrypto" in p for p in problems)


# -- the Debian/Ubuntu packages: one list, installed by .ci/setup and packaging/build ----------

PACKAGE_LIST = PACKAGING / "debian-packages.txt"


def _package_entries() -> list[tuple[str, str]]:
    entries = []
    for line in PACKAGE_LIST.read_text(encoding="utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            name, group, *_why = line.split()
            entries.append((name, group))
    return entries


def test_package_list_is_well_formed_and_covers_the_fresh_machine_findings() -> None:
    entries = _package_entries()
    assert all(group in {"app", "test", "build"} for _, group in entries), entries
    names = [alt for name, _ in entries for alt in name.split("|")]
    assert len(names) == len(set(names)), "a package is listed twice"
    by_group = {name: group for entry, group in entries for name in entry.split("|")}
    # What a fresh Debian 12 root lacked: the xcb platform's libraries (the real window),
    # printing, the oblique font faces, and Debian python's shared library for PyInstaller.
    for name in (
        "libxcb-cursor0",
        "libxkbcommon-x11-0",
        "libxcb-icccm4",
        "libxcb-keysyms1",
        "libxcb-shape0",
        "libcups2",
        "fonts-dejavu-extra",
    ):
        assert by_group.get(name) == "app", name
    assert by_group.get("libpython3.X") == "build"
    # Ubuntu 24.04 renamed these (64-bit time_t): its name must come first.
    for entry, _ in entries:
        if "|" in entry:
            first, *rest = entry.split("|")
            assert first.endswith("t64") and not any(r.endswith("t64") for r in rest), entry


@pytest.mark.parametrize("script", [".ci/setup", "packaging/build"])
def test_setup_and_build_install_from_the_one_list(script: str) -> None:
    text = (ROOT / script).read_text(encoding="utf-8")
    assert "debian-packages" in text
    runs_apt = [
        line
        for line in text.splitlines()
        if "apt-get" in line and "echo" not in line and not line.lstrip().startswith("#")
    ]
    assert runs_apt == [], f"{script} installs Debian packages of its own"


def _fake_debian(tmp_path: Path, *, uid: int, candidates: set[str]) -> dict[str, str]:
    """A PATH with a fake id/dpkg-query/apt-cache (nothing installed) and no sudo."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("bash", "dirname", "readlink", "sed", "tail", "cat", "rm", "date", "mktemp"):
        real = shutil.which(tool)
        assert real is not None, tool
        (bin_dir / tool).symlink_to(real)
    fakes = {
        "id": f"echo {uid}",
        "dpkg-query": "exit 1",
        "apt-cache": (
            'case " ' + " ".join(sorted(candidates)) + ' " in *" $2 "*)'
            ' printf "%s:\\n  Installed: (none)\\n  Candidate: 1.0\\n" "$2" ;;'
            ' *) printf "%s:\\n  Installed: (none)\\n  Candidate: (none)\\n" "$2" ;; esac'
        ),
    }
    for name, body in fakes.items():
        path = bin_dir / name
        path.write_text(f"#!{shutil.which('bash')}\n{body}\n", encoding="utf-8")
        path.chmod(0o755)
    return {"PATH": str(bin_dir), "PYTHON": sys.executable, "HOME": str(tmp_path)}


def test_non_root_without_sudo_names_the_packages_and_the_one_command(tmp_path: Path) -> None:
    env = _fake_debian(tmp_path, uid=1000, candidates={"libcups2", "libglib2.0-0", "libzbar0"})
    result = subprocess.run(
        [str(PACKAGING / "debian-packages"), "app"],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 3, result.stderr
    assert "not found" not in result.stderr
    command = [line for line in result.stderr.splitlines() if "apt-get install" in line]
    assert len(command) == 1, result.stderr
    words = command[0].split()
    for name in ("libxcb-cursor0", "libxkbcommon-x11-0", "libcups2", "fonts-dejavu-extra"):
        assert name in words
    assert "libcups2t64" not in words  # resolved to the name this archive has
    assert "poppler-utils" not in words  # a test tool, not the app's


def test_alternatives_pick_the_name_the_archive_has(tmp_path: Path) -> None:
    env = _fake_debian(tmp_path, uid=0, candidates={"libcups2t64", "libglib2.0-0t64"})
    result = subprocess.run(
        [str(PACKAGING / "debian-packages"), "--list", "app", "test"],
        env=env,
        check=True,
        capture_output=True,
        text=True,
        timeout=60,
    )
    names = result.stdout.split()
    assert "libcups2t64" in names and "libcups2" not in names
    assert "libglib2.0-0t64" in names
    assert "libzbar0t64" in names  # no candidate for either: the first is named
    assert "rsyslog" in names and "binutils" not in names


def test_fresh_machine_check_says_when_it_skips() -> None:
    result = subprocess.run(
        [str(PACKAGING / "fresh-machine-check")],
        env={**os.environ, "BREAKGLASS_FRESH_MACHINE": "0"},
        check=False,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 0
    assert "SKIPPED: BREAKGLASS_FRESH_MACHINE=0" in result.stderr


def test_fresh_machine_check_borrows_no_python_packages_from_the_host() -> None:
    text = (PACKAGING / "fresh-machine-check").read_text(encoding="utf-8")
    code = "\n".join(line for line in text.splitlines() if not line.lstrip().startswith("#"))
    host_venvs = ('"$root/.venv', '"$here/.venv')
    for reuse in ("PIP_FIND_LINKS", ".cache/pip", "/opt/", "--bind", *host_venvs):
        assert reuse not in code, reuse
    assert "mount --rbind /dev" in code  # the only host path mounted in


# -- pyproject: no warnings from its own metadata or pytest settings ----------------------------


def test_license_is_an_spdx_string() -> None:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert isinstance(project["license"], str)


def test_unit_run_without_pytest_qt_has_no_config_warning() -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "pytest",
            "-p",
            "no:pytest-qt",
            "--collect-only",
            "-q",
            str(Path(__file__)),
            "-k",
            "license_is_an_spdx",
        ],
        cwd=ROOT,
        env={**os.environ, "BREAKGLASS_BLOCK_QT": "1"},
        check=False,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "PytestConfigWarning" not in result.stdout + result.stderr


def test_other_platforms_modules_stay_out_of_the_linux_analysis() -> None:
    # platformdirs imports its Windows module only on Windows; analysing it on Linux prints
    # "Library shell32 required via ctypes not found" in every build.
    assert "platformdirs.windows" in policy.excluded_modules()
    assert "platformdirs.windows" in policy.cli_excluded_modules()
    assert policy.other_platforms_modules("win32") == []
