"""``breakglass scan PATH... [--json]``: read share QR codes from images and videos.

Prints every decoded payload, one per line, in input order (for a video: each distinct payload
in the order first seen). The payloads are share material: printing them is what the command
is for, so keep its output out of shared logs. Exit 1 when nothing was decoded.
"""

from __future__ import annotations

import argparse
import json
import time
from typing import Any

from breakglass_gui.core.share import Share
from breakglass_gui.scan.pipeline import Accepted, FrameScanner
from breakglass_gui.scan.sources import SourceError, VideoFileSource, open_path

from .common import EXIT_FAIL, EXIT_OK, CliError, out

__all__ = ["register"]


def register(sub: Any) -> None:
    """Add ``scan`` to ``sub`` (an argparse subparsers object)."""
    p = sub.add_parser(
        "scan",
        help="read share QR codes from images or videos",
        description="Read QR codes from image and video files and print each payload, one per "
        "line, in input order (a video: each distinct payload once, in the order first seen). "
        "The payloads are share material. Exit status 1 when nothing was decoded.",
    )
    p.add_argument("paths", nargs="+", metavar="PATH", help="image or video file")
    p.add_argument(
        "--json",
        action="store_true",
        help="one JSON object per payload: source, frame, milliseconds, whether it is a share",
    )
    p.add_argument(
        "--step",
        type=int,
        default=1,
        metavar="N",
        help="in videos, look at every N-th frame (default: every frame)",
    )
    p.set_defaults(func=run_scan)


def run_scan(args: argparse.Namespace) -> int:
    if args.step < 1:
        raise CliError("--step must be at least 1")
    scanner = FrameScanner(shares_only=False)
    decoded = 0
    for path in args.paths:
        try:
            source = open_path(path)
        except SourceError as exc:
            raise CliError(str(exc)) from exc
        if isinstance(source, VideoFileSource):
            source.step = args.step
        seen: set[str] = set()
        try:
            for index, frame in enumerate(source.frames()):
                start = time.perf_counter()
                result = scanner.scan(frame)
                ms = (time.perf_counter() - start) * 1000.0
                for accepted in result.accepted:
                    if accepted.text in seen:
                        continue
                    seen.add(accepted.text)
                    decoded += 1
                    _print(args, accepted, path=path, index=index, ms=ms, stage=result.stage)
        except SourceError as exc:
            raise CliError(str(exc)) from exc
        finally:
            source.close()
    return EXIT_OK if decoded else EXIT_FAIL


def _print(
    args: argparse.Namespace, code: Accepted, *, path: str, index: int, ms: float, stage: str
) -> None:
    if not args.json:
        out(code.text)
        return
    record: dict[str, object] = {
        "source": path,
        "frame": index,
        "ms": round(ms, 1),
        "payload": code.text,
        "stage": stage,
        "quad": [[round(x, 1), round(y, 1)] for x, y in code.quad],
    }
    item = code.item
    if item is None:
        record.update(share=False, reason=code.reason)
    else:
        record.update(share=True, kind="share" if isinstance(item, Share) else "part")
        record["describes"] = item.describe()
    out(json.dumps(record, ensure_ascii=False))
