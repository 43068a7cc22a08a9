"""Photographs of real share sheets, and a camera that plays them (for the break-glass tests).

A sheet is rendered from the real PDF (``paper.sheets.share_sheet_pdf``) with pdfium, then
"photographed": a slight perspective tilt, uneven light and sensor noise. Renders are cached
per share so the tests stay fast.
"""

from __future__ import annotations

import functools
import os
from collections.abc import Iterator, Sequence
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import qrcode

from breakglass_gui.core.share import Share
from breakglass_gui.paper.sheets import share_sheet_pdf

Frame = np.ndarray[Any, np.dtype[np.uint8]]


def render_pdf_page(pdf: bytes, scale: float = 1.6) -> Frame:
    doc = pdfium.PdfDocument(pdf)
    try:
        page = doc[0]
        bitmap = page.render(scale=scale, grayscale=True)
        arr = np.array(bitmap.to_numpy(), dtype=np.uint8)
        page.close()
    finally:
        doc.close()
    if arr.ndim == 3:
        arr = arr[:, :, 0]
    return arr


def photograph(page: Frame, seed: int) -> Frame:
    """A camera's view of a sheet on a desk: tilted, unevenly lit, noisy, BGR."""
    rng = np.random.default_rng(seed)
    h, w = page.shape
    pad = 40
    canvas = np.full((h + 2 * pad, w + 2 * pad), 90, dtype=np.uint8)
    canvas[pad : pad + h, pad : pad + w] = page
    ch, cw = canvas.shape
    src = np.float32([[0, 0], [cw, 0], [cw, ch], [0, ch]])
    jitter = rng.uniform(-0.03, 0.03, size=(4, 2)) * np.float32([cw, ch])
    dst = (src + jitter).astype(np.float32)
    warped = cv2.warpPerspective(
        canvas, cv2.getPerspectiveTransform(src, dst), (cw, ch), borderValue=70
    )
    light = np.linspace(0.8, 1.05, cw, dtype=np.float32)[None, :]
    noisy = warped.astype(np.float32) * light + rng.normal(0, 6, warped.shape)
    grey = np.clip(noisy, 0, 255).astype(np.uint8)
    return np.asarray(cv2.cvtColor(grey, cv2.COLOR_GRAY2BGR), dtype=np.uint8)


@functools.lru_cache(maxsize=64)
def _sheet_photo(share_bytes: bytes, seed: int) -> bytes:
    from breakglass_gui.core.share import parse_share

    share = parse_share(share_bytes)
    os.environ.setdefault("SOURCE_DATE_EPOCH", "1767225600")
    photo = photograph(render_pdf_page(share_sheet_pdf(share)), seed)
    return photo.tobytes() + np.array(photo.shape, dtype=np.int32).tobytes()


def sheet_photo(share: Share, seed: int = 0) -> Frame:
    """A fresh writable copy of the photograph of ``share``'s printed sheet."""
    raw = _sheet_photo(share.to_bytes(), seed)
    shape = tuple(int(x) for x in np.frombuffer(raw[-12:], dtype=np.int32))
    return np.frombuffer(raw[:-12], dtype=np.uint8).reshape(shape).copy()


def qr_photo(text: str, seed: int = 0) -> Frame:
    """A photographed QR code of arbitrary text (e.g. a damaged share's payload)."""
    img = qrcode.make(text, error_correction=qrcode.constants.ERROR_CORRECT_M, box_size=4)
    arr = np.array(img.convert("L"), dtype=np.uint8)
    return photograph(arr, seed)


def blank_frame(shape: Sequence[int] = (480, 640, 3)) -> Frame:
    return np.full(tuple(shape), 120, dtype=np.uint8)


class PlayingCamera:
    """A frame source that plays a fixed list of frames once (a test double for a camera).

    It refuses to start outside tests, like the scan layer's fake camera.
    """

    def __init__(self, frames: Sequence[Frame]) -> None:
        if os.environ.get("BREAKGLASS_TESTING") != "1":
            raise RuntimeError("PlayingCamera is a test double: set BREAKGLASS_TESTING=1")
        self._frames = list(frames)
        self.closed = False
        self.served = 0

    def frames(self) -> Iterator[Frame]:
        for frame in self._frames:
            if self.closed:
                return
            self.served += 1
            yield frame

    def close(self) -> None:
        self.closed = True
        for frame in self._frames:
            frame.fill(0)
        self._frames.clear()
