"""Checks a built Breakglass app folder before it is packed; exits 1 naming every problem.

    python packaging/check_bundle.py packaging/dist/breakglass-<version>-linux-<arch>

- both executables are there and executable, and resources/ came along;
- no excluded Qt module, dropped Qt plugin or forbidden library is in the folder
  (packaging/bundle_policy.py says which);
- every accelerator the build environment has (bundle_policy.hidden_imports(): reportlab's
  _rl_accel) came along, so the app does not quietly run pure-Python fallbacks;
- every shared library in the folder finds its dependencies inside the folder, except the
  ones a Linux desktop always provides (glibc, the graphics stack, Wayland's client
  libraries), so the app does not lean on whatever else the build machine had installed.

Run by packaging/build after PyInstaller; needs ``ldd`` (glibc).
"""

from __future__ import annotations

import importlib.util
import os
import re
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path
from types import ModuleType


def _load_policy() -> ModuleType:
    # bundle_policy.py sits beside this file; load it by path rather than through sys.path.
    path = Path(__file__).resolve().with_name("bundle_policy.py")
    spec = importlib.util.spec_from_file_location("breakglass_bundle_policy", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


bundle_policy = _load_policy()

EXECUTABLES = ("breakglass-gui", "breakglass")
REQUIRED_RESOURCES = ("resources/spec/FORMAT.md",)

# What a clean Linux desktop provides and a bundle must not carry: glibc, the GL/EGL/DRM
# graphics stack that matches the laptop's drivers, libxcb itself and Wayland's client
# libraries (the same list PyInstaller's own dependency analysis leaves out).
SYSTEM_LIBRARIES = re.compile(
    r"^(linux-vdso|ld-linux.*|lib(c|dl|m|pthread|rt|util|resolv|anl|crypt|nsl)"
    r"|libE?(Open)?GLX?(ESv1_CM|ESv2)?(dispatch)?|libGLdispatch|libdrm|libxcb|libxcb-dri\d?"
    r"|libwayland-(client|cursor|egl|server))\.so(\..*)?$"
)
_LDD_LINE = re.compile(r"^\s*(\S+)\s+=>\s+(.*?)\s*(\(0x[0-9a-f]+\))?$")


def _is_elf(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            return f.read(4) == b"\x7fELF"
    except OSError:
        return False


def library_problems(bundle: Path) -> list[str]:
    internal = bundle / "_internal"
    env = dict(os.environ, LD_LIBRARY_PATH=str(internal))
    problems: list[str] = []
    for path in sorted(p for p in bundle.rglob("*") if p.is_file() and not p.is_symlink()):
        if not _is_elf(path):
            continue
        result = subprocess.run(
            ["ldd", str(path)], capture_output=True, text=True, env=env, check=False
        )
        for line in result.stdout.splitlines():
            m = _LDD_LINE.match(line)
            if not m:
                continue
            name, target = m.group(1), m.group(2)
            if SYSTEM_LIBRARIES.match(name):
                continue
            rel = path.relative_to(bundle)
            if target == "not found":
                problems.append(f"{rel}: needs {name}, found nowhere")
            elif not Path(target).resolve().is_relative_to(bundle.resolve()):
                problems.append(f"{rel}: needs {name}, found only on this machine ({target})")
    return problems


def policy_problems(bundle: Path, accelerators: Iterable[str] | None = None) -> list[str]:
    """``accelerators``: the extension modules that must be in the folder (default: those the
    interpreter running this, the build environment's, has installed)."""
    problems: list[str] = []
    internal = bundle / "_internal"
    wanted = bundle_policy.hidden_imports() if accelerators is None else list(accelerators)
    for module in wanted:
        if not any(internal.rglob(f"{module}.*")):
            problems.append(
                f"{module}: installed where the app was built but not in the bundle "
                "(bundle_policy.ACCELERATORS, the spec's hiddenimports)"
            )
    for name in EXECUTABLES:
        exe = bundle / name
        if not (exe.is_file() and os.access(exe, os.X_OK)):
            problems.append(f"{name}: missing or not executable")
    for rel in REQUIRED_RESOURCES:
        if not (internal / rel).is_file():
            problems.append(f"_internal/{rel}: missing")
    for path in sorted(internal.rglob("*")):
        dest = path.relative_to(internal).as_posix()
        if bundle_policy.is_dropped(dest):
            problems.append(f"{dest}: should have been dropped (bundle_policy.DROPPED_PATTERNS)")
        elif bundle_policy.is_forbidden_library(dest):
            problems.append(f"{dest}: forbidden library (bundle_policy.FORBIDDEN_LIBRARIES)")
    for path in sorted((internal / "PySide6").glob("Qt*.so")):
        module = path.name.split(".", 1)[0]
        if module not in bundle_policy.QT_MODULES_USED:
            problems.append(f"PySide6/{path.name}: Qt module not in QT_MODULES_USED")
    return problems


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        print("usage: check_bundle.py BUNDLE_DIR", file=sys.stderr)
        return 2
    bundle = Path(argv[0])
    if not (bundle / "_internal").is_dir():
        print(f"check_bundle: {bundle}: not a PyInstaller one-folder app", file=sys.stderr)
        return 2
    problems = policy_problems(bundle) + library_problems(bundle)
    for problem in problems:
        print(f"check_bundle: {problem}", file=sys.stderr)
    if problems:
        print(f"check_bundle: {len(problems)} problem(s) in {bundle}", file=sys.stderr)
        return 1
    print(f"check_bundle: {bundle}: OK", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
