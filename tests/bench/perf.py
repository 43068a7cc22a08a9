"""Issue 16's performance table in one run: each figure against its reference, side by side.

    .venv/bin/python -m tests.bench.perf                 # everything (several minutes)
    .venv/bin/python -m tests.bench.perf --runs 5 --scan-per-level 20
    .venv/bin/python -m tests.bench.perf --only cli,gui  # a subset: cli, gui, paper, scan, photos

Not part of the default test suite, and it asserts nothing: the machines are shared and noisy.
Every command runs in a fresh interpreter with a fresh data directory; ours and its reference
run alternately (paired), one warm-up pair first, and the medians of ``--runs`` pairs are
compared. Peak memory is each child's own maximum resident set (``wait4``); on Linux that
includes this process's size at the fork (about 18 MiB), so smaller peaks read as that floor.

The four rows of the table:

1. ``breakglass verify share.txt`` against ``python -c 'import cryptography, shamir_mnemonic'``
   (time and peak MiB; target at most 2x and 40 MiB);
2. ``breakglass --version`` (target at most 0.1 s), beside a bare ``python -c pass``;
3. ``breakglass-gui --exit-when-ready`` (offscreen) against a bare PySide6 ``QMainWindow`` that
   quits when idle (target at most 2.5x);
4. ``breakglass split --pdf`` of a 16 KiB secret (2 of 3) against python-slip39 making its
   3-of-5 PDF (``python -m slip39``; target at most 2x). slip39 is not a dependency: install
   it in its own environment and point ``BREAKGLASS_SLIP39_PYTHON`` at that interpreter
   (``python -m venv /tmp/slip39-venv && /tmp/slip39-venv/bin/pip install slip39``); without
   it the row is skipped with a message.

Then the scan bench's levels (simulated photographs, ``tests.bench.run_scan_bench``, smaller
than its default run) and the public photo set (``tests.bench.photo_set``), with the versions
of the decoders and libraries printed beside them.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

CUSTODIANS = (
    "--label",
    "perf bench",
    "--custodian",
    "Ana Ruiz:on-call:Lisbon",
    "--custodian",
    "Bo Chen:security:Berlin",
    "--custodian",
    "Cy Okafor:platform:Toronto",
)
BARE_QT = (
    "from PySide6.QtCore import QTimer\n"
    "from PySide6.QtWidgets import QApplication, QMainWindow\n"
    "app = QApplication([])\n"
    "w = QMainWindow()\n"
    "w.show()\n"
    "QTimer.singleShot(0, app.quit)\n"
    "app.exec()\n"
)
SECTIONS = ("cli", "gui", "paper", "qr", "scan", "photos")
LIBRARIES = (
    "zxing-cpp",
    "opencv-python-headless",
    "pyzbar",
    "numpy",
    "qrcode",
    "reportlab",
    "rl-accel",
    "PySide6-Essentials",
    "cryptography",
    "shamir-mnemonic",
)


@dataclass(frozen=True)
class Run:
    seconds: float
    peak_mib: float


def run(cmd: Sequence[str], env: dict[str, str], cwd: Path | None = None) -> Run:
    """Run ``cmd`` to its end: wall-clock seconds and the child's own peak RSS in MiB."""
    start = time.perf_counter()
    proc = subprocess.Popen(
        list(cmd), env=env, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    err = proc.stderr.read().decode(errors="replace") if proc.stderr else ""
    if proc.stderr:
        proc.stderr.close()
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} exited {proc.returncode}: {err[-400:]}")
    return Run(elapsed, usage.ru_maxrss / 1024.0)  # Linux: KiB


@dataclass(frozen=True)
class Pair:
    ours: list[Run]
    ref: list[Run]

    @property
    def ours_s(self) -> float:
        return statistics.median(r.seconds for r in self.ours)

    @property
    def ref_s(self) -> float:
        return statistics.median(r.seconds for r in self.ref)

    @property
    def ratio(self) -> float:
        return self.ours_s / self.ref_s

    @property
    def ours_mib(self) -> float:
        return statistics.median(r.peak_mib for r in self.ours)

    @property
    def ref_mib(self) -> float:
        return statistics.median(r.peak_mib for r in self.ref)


def paired(ours: Callable[[], Run], ref: Callable[[], Run], runs: int) -> Pair:
    """Alternate the two, one warm-up pair first; ``runs`` pairs kept."""
    ours()
    ref()
    a: list[Run] = []
    b: list[Run] = []
    for i in range(runs):
        if i % 2:  # alternate which goes first, so neither always meets a warmer cache
            b.append(ref())
            a.append(ours())
        else:
            a.append(ours())
            b.append(ref())
    return Pair(a, b)


def _bin(name: str) -> str:
    script = Path(sys.executable).with_name(name)
    return str(script) if script.exists() else name


def _env(home: Path) -> dict[str, str]:
    env = dict(os.environ)
    for key in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME"):
        env[key] = str(home / key.lower())
    env["HOME"] = str(home)
    env["BREAKGLASS_HOME"] = str(home / "breakglass")
    env["QT_QPA_PLATFORM"] = "offscreen"
    # An installed copy runs from bytecode (pip compiles a wheel's modules at install, the
    # frozen app ships them compiled). With PYTHONDONTWRITEBYTECODE set (as in this project's
    # agent sessions) every run of the source checkout compiled ~17 modules again, 0.13 s of a
    # verify; without it, the warm-up run of each pair writes the cache the timed runs use.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def slip39_python() -> str | None:
    """An interpreter that has python-slip39, or None."""
    given = os.environ.get("BREAKGLASS_SLIP39_PYTHON")
    candidates = [given] if given else [sys.executable]
    for exe in candidates:
        if not exe:
            continue
        try:
            done = subprocess.run(
                [exe, "-c", "import slip39"], capture_output=True, timeout=60, check=False
            )
        except OSError:
            continue
        if done.returncode == 0:
            return exe
    return None


def _version(dist: str, python: str | None = None) -> str:
    if python is None:
        try:
            return importlib.metadata.version(dist)
        except importlib.metadata.PackageNotFoundError:
            return "absent"
    code = f"import importlib.metadata as m; print(m.version({dist!r}))"
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    return done.stdout.strip() or "absent"


def versions() -> str:
    parts = [f"Python {platform.python_version()}"]
    parts += [f"{d} {_version(d)}" for d in LIBRARIES]
    try:
        from pyzbar import zbar_library

        zbar_library.load()
        parts.append("libzbar present")
    except (ImportError, OSError):
        parts.append("libzbar absent")
    return ", ".join(parts)


def _row(what: str, pair: Pair, target: str, memory: bool = False) -> str:
    mem = f"; peak {pair.ours_mib:.0f} MiB vs {pair.ref_mib:.0f} MiB" if memory else ""
    return (
        f"{what}: {pair.ours_s:.3f} s vs {pair.ref_s:.3f} s = {pair.ratio:.2f}x "
        f"(target {target}){mem}"
    )


_MAKE_SHARE = """
import datetime as dt, json, sys
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
people = [Custodian("Ana Ruiz", "on-call"), Custodian("Bo Chen"), Custodian("Cy Okafor")]
sset = split_credential(
    sys.argv[1].encode(), policy=Policy.simple(2, 3), label="perf bench", custodians=people,
    created=dt.date(2024, 1, 1),
)
print(json.dumps([list(sset.shares[0].qr_texts()), str(sset.fingerprint_text)]))
"""


def _share_texts(secret: str) -> tuple[list[str], str]:
    """Share 1 of a 2-of-3 set in ``share-<k>.txt`` form (QR texts, one per line), made with
    the core library (what ``breakglass split`` writes, without its ceremony checks), and the
    set's fingerprint (the set is unknown to the bench's fresh home, so verify is given it).
    Made in a child process: a child's peak memory as ``wait4`` reports it can include this
    process's size when it was forked, so this process imports nothing heavy before the CLI
    rows."""
    done = subprocess.run(
        [sys.executable, "-c", _MAKE_SHARE, secret], capture_output=True, check=True, text=True
    )
    texts, fingerprint = json.loads(done.stdout)
    return [str(t) for t in texts], str(fingerprint)


def bench_cli(work: Path, runs: int) -> list[str]:
    env = _env(work / "home-cli")
    share = work / "share-1.txt"
    texts, fingerprint = _share_texts("correct horse battery staple 2024")
    share.write_text("\n".join(texts) + "\n", encoding="utf-8")
    py = sys.executable
    verify = paired(
        lambda: run([_bin("breakglass"), "verify", str(share), "--fingerprint", fingerprint], env),
        lambda: run([py, "-c", "import cryptography, shamir_mnemonic"], env),
        runs,
    )
    version = paired(
        lambda: run([_bin("breakglass"), "--version"], env),
        lambda: run([py, "-c", "pass"], env),
        runs,
    )
    helptext = paired(
        lambda: run([_bin("breakglass"), "--help"], env),
        lambda: run([py, "-c", "pass"], env),
        runs,
    )
    return [
        _row(
            "1. breakglass verify share.txt vs python -c 'import cryptography, shamir_mnemonic'",
            verify,
            "<= 2x and <= 40 MiB",
            memory=True,
        ),
        f"2. breakglass --version: {version.ours_s:.3f} s, peak {version.ours_mib:.0f} MiB "
        f"(target <= 0.1 s; bare python -c pass {version.ref_s:.3f} s); "
        f"--help: {helptext.ours_s:.3f} s, peak {helptext.ours_mib:.0f} MiB",
    ]


def bench_gui(work: Path, runs: int) -> list[str]:
    env = _env(work / "home-gui")
    count = [0]

    def app() -> Run:
        count[0] += 1
        home = work / f"gui-home-{count[0]}"
        return run([_bin("breakglass-gui"), "--exit-when-ready", "--home", str(home)], env)

    pair = paired(app, lambda: run([sys.executable, "-c", BARE_QT], env), runs)
    return [
        _row(
            "3. breakglass-gui --exit-when-ready (offscreen) vs bare PySide6 QMainWindow",
            pair,
            "<= 2.5x",
            memory=True,
        )
    ]


def bench_paper(work: Path, runs: int) -> list[str]:
    slip39 = slip39_python()
    secret = work / "secret-16k.bin"
    secret.write_bytes(os.urandom(16 * 1024))
    env = _env(work / "home-paper")
    count = [0]

    def ours() -> Run:
        count[0] += 1
        out = work / f"paper-{count[0]}"
        cmd = [_bin("breakglass"), "split", "-m", "2", "-n", "3", *CUSTODIANS]
        cmd += ["--secret-file", str(secret)]
        return run([*cmd, "--out", str(out), "--pdf"], env)

    if slip39 is None:
        try:
            alone = [ours() for _ in range(runs)]
        except RuntimeError as exc:
            return [f"4. breakglass split --pdf: not measured, the command failed: {exc}"]
        median = statistics.median(r.seconds for r in alone)
        return [
            f"4. breakglass split --pdf, 16 KiB secret, 2 of 3: {median:.3f} s "
            "(python-slip39 is not installed: ratio skipped; set BREAKGLASS_SLIP39_PYTHON to an "
            "interpreter that has it)"
        ]

    def ref() -> Run:
        count[0] += 1
        out = work / f"slip39-{count[0]}"
        out.mkdir()
        cmd = [slip39, "-m", "slip39", "-q", "-o", str(out / "slip39.pdf")]
        return run([*cmd, "-t", "1", "-g", "Custodians(3/5)"], env, cwd=out)

    try:
        pair = paired(ours, ref, runs)
    except RuntimeError as exc:
        return [f"4. breakglass split --pdf: not measured, the command failed: {exc}"]
    return [
        _row(
            "4. breakglass split --pdf (16 KiB, 2 of 3) vs python-slip39 3-of-5 PDF "
            f"(slip39 {_version('slip39', slip39)})",
            pair,
            "<= 2x",
        )
    ]


def bench_qr() -> list[str]:
    """CPU time of one share's QR matrices: the paper module's encoder against ``qrcode``'s own
    ``make`` (pure-Python placement and mask search) on the same segments."""
    import datetime as dt

    import qrcode

    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential
    from breakglass_gui.paper.qr import _segments, make_qr

    people = [Custodian("Ana Ruiz", "on-call"), Custodian("Bo Chen"), Custodian("Cy Okafor")]
    sset = split_credential(
        os.urandom(16 * 1024),
        label="bench",
        policy=Policy.simple(2, 3),
        custodians=people,
        created=dt.date(2024, 1, 1),
    )
    texts = sset.shares[0].qr_texts()

    def reference(text: str) -> None:
        q = qrcode.QRCode(error_correction=qrcode.constants.ERROR_CORRECT_M, border=0)
        for seg in _segments(text):
            q.add_data(seg)
        q.make(fit=True)

    timings = {}
    for name, fn in (("ours", make_qr), ("qrcode", reference)):
        fn(texts[0])
        start = time.thread_time()
        for text in texts:
            fn(text)
        timings[name] = (time.thread_time() - start) * 1000 / len(texts)
    version = make_qr(texts[0]).version
    return [
        f"QR matrices of one 16 KiB share ({len(texts)} codes, version {version}, EC M): "
        f"{timings['ours']:.1f} ms CPU per code vs qrcode's make {timings['qrcode']:.1f} ms "
        f"({timings['qrcode'] / timings['ours']:.1f}x faster)"
    ]


def bench_scan(per_level: int, wide_per_level: int, seed: int) -> list[str]:
    from . import run_scan_bench as rsb
    from . import scan_corpus as corpus

    samples = list(corpus.generate(seed, per_level)) if per_level else []
    samples += list(corpus.generate_wide(seed, wide_per_level)) if wide_per_level else []
    levels = (corpus.LEVELS if per_level else ()) + (corpus.WIDE_LEVELS if wide_per_level else ())
    outcomes = rsb.run(samples)
    table = rsb.summarise(outcomes, levels)
    lines = [
        f"scan bench (seed {seed}; {per_level} frames per level, {wide_per_level} per wide "
        "level): read by ours / zxing-cpp / union of peers; median ms per frame ours / zxing-cpp, "
        "wall clock, then CPU time (this thread's: what the machine's other load does not add)"
    ]
    for level in [*levels, "all"]:
        entry = table[level]
        assert isinstance(entry, dict)
        ours, zx, union = entry[rsb.OURS], entry.get("zxing-cpp"), entry[rsb.UNION]
        assert isinstance(ours, dict) and isinstance(zx, dict) and isinstance(union, dict)
        ratio = ours["median_ms"] / zx["median_ms"] if zx["median_ms"] else float("nan")
        a, b = ours["median_cpu_ms"], zx["median_cpu_ms"]
        cpu_ratio = a / b if b else float("nan")
        lines.append(
            f"  {level:<11} {ours['read']:>3} / {zx['read']:>3} / {union['read']:>3} of "
            f"{entry['frames']:<3}  wall {ours['median_ms']:6.1f} / {zx['median_ms']:6.1f} ms "
            f"({ratio:.2f}x)  CPU {a:6.1f} / {b:6.1f} ms ({cpu_ratio:.2f}x)"
        )
    return lines


def bench_photos() -> list[str]:
    from . import photo_set

    root = photo_set.default_dir()
    if not root.is_dir():
        return [f"photo set: skipped, {root} is absent (see tests/bench/PHOTO_SET.md)"]
    outcomes = photo_set.run(photo_set.photos(root))
    return ["public photo set (zxing-cpp's QR samples, real photographs):"] + [
        "  " + line for line in photo_set.report(outcomes).splitlines()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="paired runs per row (median)")
    parser.add_argument("--scan-per-level", type=int, default=20)
    parser.add_argument("--wide-per-level", type=int, default=40)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    args = parser.parse_args(argv)
    only = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(only) - set(SECTIONS)
    if unknown:
        parser.error(f"unknown sections {sorted(unknown)}; choose from {', '.join(SECTIONS)}")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}")
    work = Path(tempfile.mkdtemp(prefix="bg-perf-"))
    try:
        for section in only:
            t = time.perf_counter()
            if section == "cli":
                lines = bench_cli(work, args.runs)
            elif section == "gui":
                lines = bench_gui(work, args.runs)
            elif section == "paper":
                lines = bench_paper(work, args.runs)
            elif section == "qr":
                lines = bench_qr()
            elif section == "scan":
                lines = bench_scan(args.scan_per_level, args.wide_per_level, args.seed)
            else:
                lines = bench_photos()
            for line in lines:
                print(line, flush=True)
            print(f"  ({section}: {time.perf_counter() - t:.0f} s)", file=sys.stderr)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    # last: loading libzbar here first would count in every child's peak memory (``wait4``
    # reports a child's peak including this process's size when it was forked)
    print(f"versions: {versions()}")
    print(f"load at the end: {os.getloadavg()[0]:.1f} (numbers on a busy machine run high)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
