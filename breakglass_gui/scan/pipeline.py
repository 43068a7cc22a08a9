"""The decode pipeline: a camera frame in, checked share payloads (and where they are) out.

frame -> grey -> a cheap pass of the primary decoder over the whole frame. Only when that
reads no share do the costly stages run, each on a few small crops rather than the frame:

1. regions: places that look like a 2-D code (dense, square texture; see
   :func:`enhance.code_regions`) plus places where the decoder saw a code it could not read;
2. each region is cut out, scaled up so modules are several pixels wide, sharpened (unsharp
   mask against defocus and motion blur) and decoded again; then plain, then with local
   contrast normalisation (shadows, dim prints), then strongly sharpened;
3. a region whose corners are known (a failed read reports them) is also rectified: warped to
   a square, which undoes perspective tilt, and decoded once more.

A payload is accepted only when it parses as a share or a share part
(:func:`breakglass_gui.core.share.parse_text`: checksums, Merkle path). Everything else (a
URL, a Wi-Fi code, a damaged share) is reported as rejected, with a reason and no content.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from breakglass_gui.core.errors import ShareError
from breakglass_gui.core.share import Share, SharePart, parse_text

from .decoders import (
    ArucoDecoder,
    Decoder,
    Detection,
    Frame,
    Quad,
    ZxingDecoder,
    to_grey,
    zxing_available,
)
from .enhance import code_regions, crop_region, rectify, sharpen, stretch_contrast

__all__ = ["Accepted", "FrameScanner", "Rejected", "ScanResult"]


@dataclass(frozen=True)
class Accepted:
    """A code that holds a share or a share part (``item``). ``text`` is share material: never
    log it. With ``FrameScanner(shares_only=False)`` other codes are accepted too, with
    ``item`` None and ``reason`` saying why they are not a share."""

    detection: Detection
    item: Share | SharePart | None
    reason: str = ""

    @property
    def text(self) -> str:
        return self.detection.text

    @property
    def quad(self) -> Quad:
        return self.detection.quad


@dataclass(frozen=True)
class Rejected:
    """A code that was read but is not a share (or a damaged one). Holds no content."""

    quad: Quad
    reason: str


@dataclass(frozen=True)
class ScanResult:
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    stage: str = ""  # which stage read the accepted codes ("" if none)
    elapsed_ms: float = 0.0

    @property
    def found(self) -> bool:
        return bool(self.accepted)

    @property
    def quads(self) -> list[Quad]:
        """Outlines of every code read (accepted first), frame pixels, for the GUI to draw."""
        return [a.quad for a in self.accepted] + [r.quad for r in self.rejected]

    @property
    def texts(self) -> list[str]:
        return [a.text for a in self.accepted]


class FrameScanner:
    """Reads share QR codes from frames. Safe to reuse; not to share between threads.

    ``thorough=False`` keeps only the cheap whole-frame pass (for preview rates on very slow
    machines); the default runs the recovery stages when the cheap pass reads no share.
    ``shares_only=False`` also accepts codes that are not shares (``breakglass scan``).
    """

    def __init__(
        self,
        decoder: Decoder | None = None,
        *,
        thorough: bool = True,
        shares_only: bool = True,
        max_regions: int = 3,
    ) -> None:
        if decoder is None:
            decoder = ZxingDecoder() if zxing_available() else ArucoDecoder()
        self.decoder = decoder
        # on a crop the code is large and dark on light: skip the inverted and shrunk passes
        self.crop_decoder: Decoder = (
            ZxingDecoder(try_invert=False, try_downscale=False)
            if isinstance(decoder, ZxingDecoder)
            else decoder
        )
        self.thorough = thorough
        self.shares_only = shares_only
        self.max_regions = max_regions

    # -- the ceremony's QrDecoder port -----------------------------------------------------
    def decode(self, frame: Frame) -> list[str]:
        """The payloads read from ``frame`` (the ``ceremony.ports.QrDecoder`` port)."""
        return self.scan(frame).texts

    # -- the pipeline ------------------------------------------------------------------------
    def scan(self, frame: Frame) -> ScanResult:
        start = time.perf_counter()
        grey = np.ascontiguousarray(to_grey(np.asarray(frame)))
        rejected: list[Rejected] = []
        seen: set[str] = set()
        for stage, detections in self._stages(grey):
            accepted = self._judge(detections, seen, rejected)
            if accepted:
                return ScanResult(accepted, rejected, stage, _ms(start))
        return ScanResult([], rejected, "", _ms(start))

    def _judge(
        self, detections: list[Detection], seen: set[str], rejected: list[Rejected]
    ) -> list[Accepted]:
        accepted: list[Accepted] = []
        for det in detections:
            if det.text in seen:
                continue
            seen.add(det.text)
            try:
                item = parse_text(det.text)
            except (ShareError, ValueError) as exc:
                reason = getattr(exc, "reason", "not a Breakglass share")
                if self.shares_only:
                    rejected.append(Rejected(det.quad, reason))
                else:
                    accepted.append(Accepted(det, None, reason))
                continue
            accepted.append(Accepted(det, item))
        return accepted

    def _stages(self, grey: Frame) -> Iterator[tuple[str, list[Detection]]]:
        found, misses = self._read(grey)
        yield "direct", found
        if not self.thorough:
            return
        regions = [r.quad for r in code_regions(grey, limit=self.max_regions)]
        # a place where the decoder saw a code but could not read it comes first
        for rank, quad in enumerate(misses + regions):
            crop, scale, origin = crop_region(grey, quad)
            if crop.size == 0:
                continue
            variants: list[tuple[str, Callable[[Frame], Frame]]] = [
                ("crop-sharpened", sharpen),
                ("crop-smoothed-sharpened", _smooth_then_sharpen),
            ]
            if rank == 0:  # the likeliest place gets the costlier tries too
                variants += [
                    ("crop-contrast", lambda c: sharpen(stretch_contrast(c))),
                    ("crop-sharpened-strong", lambda c: sharpen(c, sigma=5.0, amount=2.5)),
                ]
            for name, enhance in variants:
                found, _ = self._read(enhance(crop), crop=True)
                yield name, [d.scaled(1.0 / scale, origin) for d in found]
        for quad in misses:
            square, back = rectify(grey, quad)
            for name, image in (("rectified", square), ("rectified-sharpened", sharpen(square))):
                found, _ = self._read(image, crop=True)
                yield name, [d.mapped(back) for d in found]

    def _read(self, image: Frame, *, crop: bool = False) -> tuple[list[Detection], list[Quad]]:
        decoder = self.crop_decoder if crop else self.decoder
        reader = getattr(decoder, "decode_with_misses", None)
        if reader is not None:
            found, misses = reader(image)
            return list(found), list(misses)
        return decoder.decode(image), []


def _smooth_then_sharpen(crop: Frame) -> Frame:
    """Smooth sensor noise and JPEG blocks first, so sharpening does not amplify them."""
    return sharpen(np.asarray(cv2.GaussianBlur(crop, (0, 0), 1.5), np.uint8), 3.0, 2.0)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0
