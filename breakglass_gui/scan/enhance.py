"""Image work for the decode pipeline: finding where a code may be, and making it readable.

Everything here takes and returns grey ``uint8`` numpy arrays. Nothing reads or keeps what a
code says.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np
import numpy.typing as npt

from .decoders import Frame, Quad

__all__ = [
    "Region",
    "code_regions",
    "crop_region",
    "rectify",
    "sharpen",
    "stretch_contrast",
]

_KERNEL3 = np.ones((3, 3), np.uint8)
_KERNEL5 = np.ones((5, 5), np.uint8)
_KERNEL9 = np.ones((9, 9), np.uint8)


@dataclass(frozen=True)
class Region:
    """A place in the frame that looks like a 2-D code: dense edges, roughly square."""

    quad: Quad  # a rotated rectangle around it, frame pixels
    score: float


def code_regions(
    grey: Frame, *, work_size: int = 640, limit: int = 3, faint: int = 1
) -> list[Region]:
    """Up to ``limit`` regions that look like a QR code, best first, then up to ``faint`` more
    that only show once edges are judged against their surroundings (and are not among the
    first pass's best three). About 2 ms at 720p, 2 more with ``faint``.

    The frame is shrunk to ``work_size``; a morphological gradient marks edges; Otsu splits
    edges from flat areas; closing and opening leave blobs of dense texture; blobs that are
    nearly square and well filled are kept. Lines of printed text make long thin blobs and
    rank low; a QR code makes a full square. A faint code (grey modules under glare, in
    shadow, on a low-contrast print) can fall below a threshold set by the hard edge between
    the page and a dark desk: the second pass divides each edge by the strongest edge around
    it first, and adds the squares it finds that the first pass did not.
    """
    small, scale = _shrink(grey, work_size)
    grad = np.asarray(cv2.morphologyEx(small, cv2.MORPH_GRADIENT, _KERNEL3), np.uint8)
    first = _squares(grad, scale)
    found = first[:limit]
    if faint > 0:
        extra = [r for r in _squares(_relative(grad), scale) if not _overlaps(r, first[:3])]
        found += extra[:faint]
    return found


def _shrink(grey: Frame, work_size: int) -> tuple[Frame, float]:
    """``grey`` with its long side shrunk to about ``work_size``, and the scale used.

    Area averaging by a whole factor (1280x720 by 2, 1920x1080 by 3) takes OpenCV's fast path;
    by any other factor (800x600, 1024x768) it is slower than the rest of the region search
    together (1.5-2 ms), so those sizes are shrunk bilinearly (0.2 ms)."""
    height, width = grey.shape[:2]
    scale = min(1.0, work_size / max(height, width))
    if scale >= 1.0:
        return grey, 1.0
    factor = round(1.0 / scale)
    if abs(1.0 / scale - factor) < 1e-6 and height % factor == 0 and width % factor == 0:
        size, interpolation = (width // factor, height // factor), cv2.INTER_AREA
    else:
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        interpolation = cv2.INTER_LINEAR
    small = np.asarray(cv2.resize(grey, size, interpolation=interpolation), np.uint8)
    return small, small.shape[1] / width


def _squares(grad: Frame, scale: float) -> list[Region]:
    """Blobs of dense edges that are nearly square and well filled, best first."""
    _, edges = cv2.threshold(grad, 0, 255, cv2.THRESH_BINARY + cv2.THRESH_OTSU)
    blobs = cv2.morphologyEx(edges, cv2.MORPH_CLOSE, _KERNEL5)
    blobs = cv2.morphologyEx(blobs, cv2.MORPH_OPEN, _KERNEL5)
    contours, _ = cv2.findContours(blobs, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found: list[Region] = []
    for contour in contours:
        area = float(cv2.contourArea(contour))
        if area < 150:
            continue
        (cx, cy), (w, h), angle = cv2.minAreaRect(contour)
        if min(w, h) < 10:
            continue
        aspect = min(w, h) / max(w, h)
        fill = area / (w * h)
        if aspect < 0.4 or fill < 0.5:
            continue
        box = cv2.boxPoints(((cx, cy), (w, h), angle)) / scale
        quad = tuple((float(x), float(y)) for x, y in box)
        found.append(Region(quad, area * fill * aspect / (scale * scale)))
    found.sort(key=lambda r: -r.score)
    return found


def _overlaps(region: Region, others: list[Region]) -> bool:
    """Whether ``region``'s centre lies inside one of ``others``."""
    cx, cy = np.mean(np.asarray(region.quad, np.float32), axis=0)
    for other in others:
        contour = np.asarray(other.quad, np.float32).reshape(-1, 1, 2)
        if cv2.pointPolygonTest(contour, (float(cx), float(cy)), False) >= 0:
            return True
    return False


def _relative(grad: Frame) -> Frame:
    """Each edge strength as a share of the strongest within about 32 pixels (computed at a
    quarter of the size: a few tenths of a millisecond)."""
    h, w = grad.shape
    quarter = cv2.resize(grad, (max(1, w // 4), max(1, h // 4)), interpolation=cv2.INTER_AREA)
    local = cv2.dilate(quarter, _KERNEL9)
    local = cv2.resize(local, (w, h), interpolation=cv2.INTER_LINEAR)
    rel = grad.astype(np.float32) * 255.0 / np.maximum(local.astype(np.float32), 8.0)
    return np.asarray(np.clip(rel, 0, 255), np.uint8)


def crop_region(
    grey: Frame, quad: Quad, *, margin: float = 0.25, target: int = 800, max_scale: float = 4.0
) -> tuple[Frame, float, tuple[float, float]]:
    """An axis-aligned crop around ``quad`` with a margin, scaled so its long side is about
    ``target`` pixels. Returns the crop, the scale and the crop's origin in the frame (to map
    corners back: ``frame = crop / scale + origin``)."""
    pts = np.asarray(quad, np.float64)
    (x0, y0), (x1, y1) = pts.min(axis=0), pts.max(axis=0)
    w, h = x1 - x0, y1 - y0
    height, width = grey.shape[:2]
    left = int(max(0, np.floor(x0 - margin * w)))
    top = int(max(0, np.floor(y0 - margin * h)))
    right = int(min(width, np.ceil(x1 + margin * w)))
    bottom = int(min(height, np.ceil(y1 + margin * h)))
    crop = grey[top:bottom, left:right]
    if crop.size == 0:
        return crop, 1.0, (float(left), float(top))
    scale = min(max_scale, target / max(crop.shape))
    if abs(scale - 1.0) > 0.05:
        interp = cv2.INTER_CUBIC if scale > 1 else cv2.INTER_AREA
        resized = cv2.resize(crop, None, fx=scale, fy=scale, interpolation=interp)
        return np.asarray(resized, np.uint8), float(scale), (float(left), float(top))
    return np.asarray(crop, np.uint8), 1.0, (float(left), float(top))


def rectify(
    grey: Frame, quad: Quad, *, size: int = 600, margin: float = 0.15
) -> tuple[Frame, npt.NDArray[np.float64]]:
    """Warp the quadrilateral ``quad`` (TL, TR, BR, BL) to a square of ``size`` pixels with a
    quiet-zone margin. Returns the square image and the homography back to the frame."""
    m = margin * size
    dst = np.array([[m, m], [m + size, m], [m + size, m + size], [m, m + size]], np.float32)
    forward = cv2.getPerspectiveTransform(np.asarray(quad, np.float32), dst)
    side = int(size + 2 * m)
    out = cv2.warpPerspective(
        grey, forward, (side, side), flags=cv2.INTER_CUBIC, borderMode=cv2.BORDER_REPLICATE
    )
    back = np.asarray(np.linalg.inv(forward), np.float64)
    return np.asarray(out, np.uint8), back


def sharpen(grey: Frame, sigma: float = 3.0, amount: float = 1.5) -> Frame:
    """Unsharp mask: undoes some defocus and motion blur on an upscaled crop."""
    blurred = cv2.GaussianBlur(grey, (0, 0), sigma)
    return np.asarray(cv2.addWeighted(grey, 1.0 + amount, blurred, -amount, 0), np.uint8)


def stretch_contrast(grey: Frame, tile: int = 8, clip: float = 2.0) -> Frame:
    """Local contrast normalisation (CLAHE): evens out shadows and dim, low-contrast prints."""
    clahe = cv2.createCLAHE(clipLimit=clip, tileGridSize=(tile, tile))
    return np.asarray(clahe.apply(grey), np.uint8)
