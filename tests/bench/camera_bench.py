"""The camera path on the scan bench: is a sheet read within 10 consecutive frames of one scene?

    .venv/bin/python -m tests.bench.camera_bench                      # hard: 120 + 20 PDF scenes
    .venv/bin/python -m tests.bench.camera_bench --per-level 30 --pdf-per-level 5   # quick
    .venv/bin/python -m tests.bench.camera_bench --json out.json

The scenes are exactly those of ``run_scan_bench`` at one level (same seed, same sheets, same
distortions: tilt, blur, light, shadow, crease, position). A camera sees each scene as a run of
frames; this bench renders the scene once without sensor noise, then makes each of its
``--frames`` frames by adding fresh sensor noise (the scene's level) and JPEG-compressing it at
the scene's quality: consecutive frames of a still sheet differ by noise and compression only
(no hand shake, which would only give the decoders more different looks).

Two camera paths, each fed the frames in order, scenes one after the other, state carried over
as in a real session:

- ``before``: what the camera did until now: zxing-cpp on each frame (``ZxingDecoder()``);
- ``camera``: what it does now: ``CameraDecoder`` (``FrameScanner`` with a per-frame time
  budget, recovery steps spread over frames).

A scene counts as read when its share payload is returned on any of its frames. Per-frame
decode times (wall clock, each frame given as BGR) are reported as p50 / p99 / worst, over all
frames and over the 1280x720 ones.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import cv2
import numpy as np

from breakglass_gui.scan.camera import CameraDecoder
from breakglass_gui.scan.decoders import ZxingDecoder

from . import scan_corpus as corpus
from .run_scan_bench import pdf_samples


def _clean_scenes(seed: int, per_level: int, pdf_per_level: int, level: str) -> list[corpus.Sample]:
    """The bench's samples at ``level``, rendered without sensor noise or JPEG."""
    real = corpus.photograph
    li = corpus.LEVELS.index(level)
    calls = [0]
    skip = [li * per_level]  # the generators draw every level in turn: render only ours

    def quiet(sheet: Any, d: corpus.Distortion, seed: int) -> Any:
        calls[0] += 1
        if calls[0] <= skip[0]:
            w, h = d.frame_size
            return np.zeros((h, w, 3), np.uint8), np.zeros((4, 2))
        return real(sheet, replace(d, noise=0.0, jpeg=100), seed)

    corpus.photograph = quiet  # type: ignore[assignment]
    try:
        samples = [s for s in corpus.generate(seed, per_level) if s.level == level]
        if pdf_per_level:
            calls[0], skip[0] = 0, li * pdf_per_level
            samples += [
                s for s in pdf_samples(seed, pdf_per_level, corpus.LEVELS) if s.level == level
            ]
    finally:
        corpus.photograph = real  # type: ignore[assignment]
    return samples


def scene_frames(sample: corpus.Sample, n: int, seed: int) -> list[np.ndarray]:
    """``n`` consecutive frames of one still scene: fresh sensor noise, then JPEG."""
    rng = np.random.default_rng(seed)
    base = sample.image.astype(np.float32)
    d = sample.distortion
    out = []
    for _ in range(n):
        noisy = base + np.float32(d.noise) * rng.standard_normal(base.shape, dtype=np.float32)
        frame = np.clip(noisy, 0, 255).astype(np.uint8)
        ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg])
        assert ok
        out.append(np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8))
    return out


def _pct(values: Sequence[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else float("nan")


def run(
    scenes: Sequence[corpus.Sample], frames: int, paths: dict[str, Callable[[Any], list[str]]]
) -> dict[str, Any]:
    keys = ("ms", "cpu_ms", "ms_1280x720", "cpu_ms_1280x720")
    rows: dict[str, dict[str, Any]] = {
        name: {"read": 0, "first_frame": [], **{k: [] for k in keys}} for name in paths
    }
    for i, scene in enumerate(scenes):
        shots = scene_frames(scene, frames, seed=1000 + i)
        for name, decode in paths.items():
            row = rows[name]
            for k, shot in enumerate(shots):
                t, c = time.perf_counter(), time.process_time()
                texts = decode(shot)
                ms = (time.perf_counter() - t) * 1000
                row["ms"].append(ms)
                row["cpu_ms"].append((time.process_time() - c) * 1000)
                if scene.size == (1280, 720):
                    row["ms_1280x720"].append(ms)
                    row["cpu_ms_1280x720"].append(row["cpu_ms"][-1])
                if scene.truth in texts:
                    row["read"] += 1
                    row["first_frame"].append(k + 1)
                    break
    summary: dict[str, Any] = {"scenes": len(scenes), "frames_per_scene": frames}
    for name, row in rows.items():
        entry: dict[str, Any] = {
            "read": row["read"],
            "rate": round(row["read"] / max(1, len(scenes)), 4),
            "mean_frames_to_read": round(float(np.mean(row["first_frame"])), 2)
            if row["first_frame"]
            else None,
            "frames_decoded": len(row["ms"]),
        }
        for key in keys:
            values = row[key]
            entry[key] = {
                "p50": round(_pct(values, 0.5), 2),
                "p99": round(_pct(values, 0.99), 2),
                "worst": round(max(values), 2) if values else None,
                "n": len(values),
            }
        summary[name] = entry
    return summary


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--level", default="hard", choices=corpus.LEVELS)
    parser.add_argument("--per-level", type=int, default=120)
    parser.add_argument("--pdf-per-level", type=int, default=20)
    parser.add_argument("--frames", type=int, default=10)
    parser.add_argument("--json", type=Path)
    parser.add_argument("--cv-threads", type=int, default=1, help="cv2.setNumThreads (GUI: 1)")
    args = parser.parse_args(argv)
    cv2.setNumThreads(args.cv_threads)
    t0 = time.perf_counter()
    scenes = _clean_scenes(args.seed, args.per_level, args.pdf_per_level, args.level)
    print(f"{len(scenes)} {args.level} scenes in {time.perf_counter() - t0:.0f} s", file=sys.stderr)
    zx = ZxingDecoder()
    camera = CameraDecoder()
    paths: dict[str, Callable[[Any], list[str]]] = {
        "before (zxing-cpp per frame)": lambda f: [d.text for d in zx.decode(f)],
        "camera (CameraDecoder)": lambda f: camera.scan(f).texts,
    }
    warm = scenes[0].image
    for decode in paths.values():
        decode(warm)
    camera.reset()
    summary = run(scenes, args.frames, paths)
    summary["budget_ms"] = camera.budget_ms
    summary["machine"] = (
        f"{platform.machine()}, {os.cpu_count()} cores, load {os.getloadavg()[0]:.1f}, "
        f"Python {platform.python_version()}, OpenCV {cv2.__version__}"
    )
    print(f"level {args.level}: {summary['scenes']} scenes x {args.frames} frames")
    for name in paths:
        e = summary[name]
        a, c, h, hc = e["ms"], e["cpu_ms"], e["ms_1280x720"], e["cpu_ms_1280x720"]
        print(
            f"  {name:30s} read {e['read']:>3}/{summary['scenes']} ({e['rate'] * 100:.1f} %),"
            f" mean frames to read {e['mean_frames_to_read']}\n"
            f"    per frame, wall: p50 {a['p50']:.1f} p99 {a['p99']:.1f} worst {a['worst']:.1f} ms;"
            f" 1280x720 only: p50 {h['p50']:.1f} p99 {h['p99']:.1f} worst {h['worst']:.1f} ms;"
            f"\n    per frame, CPU (all threads): p50 {c['p50']:.1f} p99 {c['p99']:.1f}"
            f" worst {c['worst']:.1f} ms; 1280x720 only: p50 {hc['p50']:.1f}"
            f" p99 {hc['p99']:.1f} worst {hc['worst']:.1f} ms"
        )
    print(f"  budget {camera.budget_ms} ms per 1280x720 frame; {summary['machine']}")
    if args.json:
        args.json.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
