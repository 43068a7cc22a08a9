"""Import guards: the light commands load no image, array or PDF library (issue 16).

Each case runs the CLI in a fresh interpreter and reads ``sys.modules`` after the command:
``breakglass --version``, ``--help`` and ``verify`` must not import cv2, numpy, reportlab or PIL
(nor PySide6). A command module that imports one of them at its top, or a ``main`` that
imports every command module, fails here.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential
from breakglass_gui.core.secret import SecretBytes

HEAVY = ("cv2", "numpy", "reportlab", "PIL", "qrcode", "PySide6")

PROBE = """
import json, sys
spawned = []
CHILD_EVENTS = {"subprocess.Popen", "os.posix_spawn", "os.fork", "os.forkpty", "os.exec",
                "os.system", "os.spawn", "pty.spawn"}
def _hook(event, args):
    if event in CHILD_EVENTS:
        spawned.append(event)
sys.addaudithook(_hook)
PRELUDE
from breakglass_gui.cli import main
try:
    code = main.main(sys.argv[1:])
except SystemExit as exc:
    code = exc.code
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.stdin.read())))
ciphers = "cryptography.hazmat.bindings._rust" in sys.modules
print("LOADED=" + json.dumps({"code": code, "heavy": heavy, "spawned": spawned,
                              "ciphers": ciphers}))
"""


def _probe(*argv: str, home: Path, prelude: str = "") -> dict[str, Any]:
    env = {**os.environ, "BREAKGLASS_HOME": str(home)}
    done = subprocess.run(
        [sys.executable, "-c", PROBE.replace("PRELUDE", prelude), *argv],
        input=json.dumps(HEAVY),
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    line = [x for x in done.stdout.splitlines() if x.startswith("LOADED=")]
    assert line, done.stderr
    data: dict[str, Any] = json.loads(line[-1][len("LOADED=") :])
    return data


def _loaded(*argv: str, home: Path) -> tuple[int, list[str]]:
    data = _probe(*argv, home=home)
    return data["code"], data["heavy"]


@pytest.fixture
def share_file(tmp_path: Path) -> Path:
    with SecretBytes(b"correct horse battery staple") as secret:
        share_set = split_credential(secret, policy=Policy.simple(2, 3), label="guard")
    path = tmp_path / "share-1.txt"
    path.write_text("\n".join(share_set.shares[0].qr_texts()) + "\n", encoding="utf-8")
    return path


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["verify", "--help"]])
def test_version_and_help_load_no_heavy_library(argv: list[str], tmp_path: Path) -> None:
    code, heavy = _loaded(*argv, home=tmp_path / "home")
    assert code == 0
    assert heavy == []


def test_verify_loads_no_heavy_library(share_file: Path, tmp_path: Path) -> None:
    code, heavy = _loaded("verify", str(share_file), home=tmp_path / "home")
    assert code in (0, 1)  # unknown set here: 1 once the registry is consulted
    assert heavy == []


def test_the_probe_sees_a_heavy_import(tmp_path: Path, share_file: Path) -> None:
    """The guard can fail: a command that renders PDFs does load reportlab."""
    out = tmp_path / "sheets"
    code, heavy = _loaded("print", str(share_file), "--out", str(out), home=tmp_path / "home")
    assert code == 0
    assert "reportlab" in heavy


def test_paper_names_match_the_paper_module() -> None:
    from breakglass_gui.cli.common import PAPER_NAMES
    from breakglass_gui.paper import PAPER_SIZES

    assert set(PAPER_NAMES) == set(PAPER_SIZES)


def test_every_command_is_listed_and_registered() -> None:
    """The lazy table names every command its module registers (and only those)."""
    from breakglass_gui.cli.main import COMMANDS, build_parser

    parser = build_parser(load_all=True)
    sub = next(a for a in parser._actions if a.dest == "command")
    assert set(sub.choices) == set(COMMANDS)  # type: ignore[arg-type]
    for name in COMMANDS:
        cmd = sub.choices[name]  # type: ignore[index]
        assert cmd.add_help, f"{name} is still a stub"
        nested = [a for a in cmd._actions if isinstance(a, argparse._SubParsersAction)]
        funcs = [cmd.get_default("func")] + [
            p.get_default("func") for a in nested for p in a.choices.values()
        ]
        assert any(f is not None for f in funcs), name


# -- breakglass --version at Python's own speed (issue 16: target 0.1 s) ---------------------
# No timing assertion here (shared, noisy machines; tests/bench/perf.py measures it): these
# guards fail on the causes measured before, a --version that loads argparse, the process
# hardening and the command table, and a start that runs /sbin/ldconfig in a child process
# (ctypes.util.find_library) to find the C library the process has already loaded.

ENTRY_PROBE = """
import json, sys
before = set(sys.modules)
sys.argv = ["breakglass", "--version"]
from breakglass_gui.cli import entry
code = entry.main()
print("NEW=" + json.dumps({"code": code, "new": sorted(set(sys.modules) - before)}))
"""


def test_the_console_script_and_the_frozen_app_start_at_the_light_entry() -> None:
    import tomllib

    root = Path(__file__).resolve().parents[2]
    project = tomllib.loads((root / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["scripts"]["breakglass"] == "breakglass_gui.cli.entry:main"
    frozen = (root / "packaging" / "entry" / "breakglass.py").read_text(encoding="utf-8")
    assert "from breakglass_gui.cli.entry import main" in frozen


def test_version_through_the_entry_imports_nothing_but_the_entry(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-c", ENTRY_PROBE],
        capture_output=True,
        text=True,
        env={**os.environ, "BREAKGLASS_HOME": str(tmp_path / "home")},
        timeout=120,
        check=True,
    )
    lines = done.stdout.splitlines()
    data = json.loads(next(x for x in lines if x.startswith("NEW="))[4:])
    assert data["code"] == 0
    assert set(data["new"]) <= {
        "__future__",
        "breakglass_gui",
        "breakglass_gui.cli",
        "breakglass_gui.cli.entry",
    }, data["new"]
    from breakglass_gui import __version__

    assert lines[0] == f"breakglass {__version__}"


def test_the_entry_and_argparse_print_the_same_version(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from breakglass_gui.cli import main
    from breakglass_gui.cli.entry import VERSION_TEXT

    with pytest.raises(SystemExit) as exc:
        main.main(["--home", str(tmp_path / "home"), "--version"])
    assert exc.value.code == 0
    assert capsys.readouterr().out == VERSION_TEXT + "\n"


def test_every_other_command_line_goes_to_the_full_cli(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from breakglass_gui.cli import entry, main

    seen: list[list[str]] = []
    monkeypatch.setattr(main, "main", lambda: seen.append(sys.argv[1:]) or 7)
    for argv in (["--version", "--help"], ["verify", "--version"], [], ["--versio"]):
        monkeypatch.setattr(sys, "argv", ["breakglass", *argv])
        assert entry.main() == 7
    assert seen == [["--version", "--help"], ["verify", "--version"], [], ["--versio"]]


@pytest.mark.parametrize("argv", [["--version"], ["--help"], ["verify", "--help"]])
def test_light_commands_start_no_child_process(argv: list[str], tmp_path: Path) -> None:
    data = _probe(*argv, home=tmp_path / "home")
    assert data["code"] == 0
    assert data["spawned"] == []


def test_verify_starts_no_child_process(share_file: Path, tmp_path: Path) -> None:
    data = _probe("verify", str(share_file), home=tmp_path / "home")
    assert data["code"] in (0, 1)
    assert data["spawned"] == []


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="find_library runs ldconfig")
def test_the_probe_sees_a_child_process(tmp_path: Path) -> None:
    """The guard can fail: ctypes.util.find_library, as the C library was found before."""
    prelude = "import ctypes.util; ctypes.util.find_library('c')"
    data = _probe("--version", home=tmp_path / "home", prelude=prelude)
    assert data["spawned"], data


def test_verify_loads_no_cipher_bindings(share_file: Path, tmp_path: Path) -> None:
    """Checking a share never seals or opens: cryptography's cipher bindings stay unloaded."""
    data = _probe("verify", str(share_file), home=tmp_path / "home")
    assert data["code"] in (0, 1)
    assert data["ciphers"] is False
    # the probe sees them once something seals
    prelude = "from breakglass_gui.core import sealing; sealing.seal(bytes(32), b'x', b'')"
    data = _probe("--version", home=tmp_path / "home", prelude=prelude)
    assert data["ciphers"] is True


def test_the_default_home_is_found_without_platformdirs(share_file: Path, tmp_path: Path) -> None:
    """With no --home and no $BREAKGLASS_HOME, verify finds the data directory by the XDG rule
    on Linux without importing platformdirs (it pulls in tempfile and random: more than verify's
    own work); the probe sees the import when it happens."""
    if not sys.platform.startswith("linux"):
        pytest.skip("the Linux rule")
    code = (
        "import sys\n"
        "from breakglass_gui.cli import main\n"
        "try:\n    main.main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "print('PLATFORMDIRS=' + str('platformdirs' in sys.modules))\n"
    )
    env = {k: v for k, v in os.environ.items() if k not in ("BREAKGLASS_HOME", "XDG_DATA_HOME")}
    env["HOME"] = str(tmp_path / "home")
    for args, expected in ((["verify", str(share_file)], "False"), (["--help"], "False")):
        done = subprocess.run(
            [sys.executable, "-c", code, *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=120,
            check=False,
        )
        assert f"PLATFORMDIRS={expected}" in done.stdout, done.stdout + done.stderr
    # the control: where platformdirs is asked (a relative $HOME), the probe sees it (only the
    # path is computed: nothing may be created where the real data directory would be)
    env["HOME"] = "relative/home"
    control = (
        "import sys\n"
        "from breakglass_gui.platform.dirs import default_home\n"
        "default_home()\n"
        "print('PLATFORMDIRS=' + str('platformdirs' in sys.modules))\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", control],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )
    assert "PLATFORMDIRS=True" in done.stdout, done.stdout + done.stderr
