"""QR decoders behind one small interface.

Each decoder takes a frame (numpy ``uint8``, grey ``HxW`` or BGR ``HxWx3``) and returns what it
read as :class:`Detection` objects: the text and the code's corners in frame pixels. Decoders
know nothing about shares; :mod:`breakglass_gui.scan.pipeline` decides what to accept.

The texts are share material: never log them.
"""

from __future__ import annotations

import abc
import importlib.util
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import cv2
import numpy as np
import numpy.typing as npt

__all__ = [
    "ArucoDecoder",
    "Decoder",
    "Detection",
    "Frame",
    "OpenCVDecoder",
    "Quad",
    "ZbarDecoder",
    "ZxingDecoder",
    "available_decoders",
    "to_grey",
    "zxing_available",
]

Frame = npt.NDArray[np.uint8]
Point = tuple[float, float]
Quad = tuple[Point, ...]


@dataclass(frozen=True)
class Detection:
    """One QR code read from a frame. ``text`` may be share material: do not log it."""

    text: str = field(repr=False)
    quad: Quad
    decoder: str

    def scaled(self, factor: float, offset: Point = (0.0, 0.0)) -> Detection:
        """The same detection with its corners mapped back by ``p * factor + offset``."""
        quad = tuple((x * factor + offset[0], y * factor + offset[1]) for x, y in self.quad)
        return Detection(self.text, quad, self.decoder)

    def mapped(self, matrix: npt.NDArray[np.float64]) -> Detection:
        """The same detection with its corners mapped by a 3x3 homography."""
        pts = np.array(self.quad, dtype=np.float64).reshape(-1, 1, 2)
        out = cv2.perspectiveTransform(pts, matrix).reshape(-1, 2)
        return Detection(self.text, tuple((float(x), float(y)) for x, y in out), self.decoder)


def to_grey(frame: Frame) -> Frame:
    """A grey copy (or view) of a grey or BGR frame."""
    if frame.ndim == 2:
        return frame
    if frame.ndim == 3 and frame.shape[2] == 1:
        return frame[:, :, 0]
    if frame.ndim == 3 and frame.shape[2] == 4:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGRA2GRAY), dtype=np.uint8)
    if frame.ndim == 3 and frame.shape[2] == 3:
        return np.asarray(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY), dtype=np.uint8)
    raise ValueError(f"not an image frame: shape {frame.shape}")


def _quad(points: Any) -> Quad:
    arr = np.asarray(points, dtype=np.float64).reshape(-1, 2)
    return tuple((float(x), float(y)) for x, y in arr)


class Decoder(abc.ABC):
    """Reads QR codes from a frame."""

    name: str = "decoder"

    @abc.abstractmethod
    def decode(self, frame: Frame) -> list[Detection]:
        """Every QR code this decoder reads in ``frame`` (possibly none)."""


def zxing_available() -> bool:
    return importlib.util.find_spec("zxingcpp") is not None


class ZxingDecoder(Decoder):
    """zxing-cpp (PyPI ``zxing-cpp``). ``binarizer``: "local" (default), "global", "fixed".

    ``plain_text`` (default) returns a code's text exactly as encoded; zxing-cpp's own default
    ("HRI") rewrites some of it for people to read (GS1 field brackets, control characters
    spelled out as ``<SOH>``), which is not the payload."""

    name = "zxing-cpp"

    def __init__(
        self,
        *,
        binarizer: str = "local",
        try_rotate: bool = True,
        try_downscale: bool = True,
        try_invert: bool = True,
        plain_text: bool = True,
    ) -> None:
        import zxingcpp  # noqa: PLC0415 - optional: the pipeline falls back to OpenCV

        self._zx = zxingcpp
        self.binarizer = binarizer
        self._kwargs: dict[str, Any] = {
            "formats": zxingcpp.BarcodeFormat.QRCode,
            "try_rotate": try_rotate,
            "try_downscale": try_downscale,
            "try_invert": try_invert,
            "binarizer": {
                "local": zxingcpp.Binarizer.LocalAverage,
                "global": zxingcpp.Binarizer.GlobalHistogram,
                "fixed": zxingcpp.Binarizer.FixedThreshold,
            }[binarizer],
        }
        text_mode = getattr(zxingcpp, "TextMode", None)
        if plain_text and text_mode is not None:
            self._kwargs["text_mode"] = text_mode.Plain

    def decode(self, frame: Frame) -> list[Detection]:
        return self.decode_with_misses(frame)[0]

    def decode_with_misses(self, frame: Frame) -> tuple[list[Detection], list[Quad]]:
        """What was read, and the corners of codes that were found but could not be read."""
        found: list[Detection] = []
        misses: list[Quad] = []
        results = self._zx.read_barcodes(
            np.ascontiguousarray(frame), return_errors=True, **self._kwargs
        )
        for r in results:
            p = r.position
            quad = _quad(
                [
                    (p.top_left.x, p.top_left.y),
                    (p.top_right.x, p.top_right.y),
                    (p.bottom_right.x, p.bottom_right.y),
                    (p.bottom_left.x, p.bottom_left.y),
                ]
            )
            if r.valid and r.text:
                found.append(Detection(r.text, quad, self.name))
            else:
                misses.append(quad)
        return found, misses


class OpenCVDecoder(Decoder):
    """OpenCV's ``QRCodeDetector`` (one code per call)."""

    name = "opencv"

    def __init__(self) -> None:
        self._detector: Any = cv2.QRCodeDetector()

    def decode(self, frame: Frame) -> list[Detection]:
        try:
            text, points, _ = self._detector.detectAndDecode(frame)
        except (cv2.error, UnicodeDecodeError):  # a non-UTF-8 payload makes OpenCV raise
            return []
        if not text or points is None:
            return []
        return [Detection(str(text), _quad(points), self.name)]

    def detect(self, frame: Frame) -> Quad | None:
        """Where a QR code seems to be, without decoding it (for a rectified retry)."""
        try:
            ok, points = self._detector.detect(frame)
        except cv2.error:
            return None
        if not ok or points is None:
            return None
        return _quad(points)


class ArucoDecoder(OpenCVDecoder):
    """OpenCV's ``QRCodeDetectorAruco`` (finder patterns found like ArUco markers)."""

    name = "opencv-aruco"

    def __init__(self) -> None:
        self._detector = cv2.QRCodeDetectorAruco()


class ZbarDecoder(Decoder):
    """zbar through pyzbar (needs the system's libzbar). Benchmark peer only."""

    name = "zbar"

    def __init__(self) -> None:
        from pyzbar import pyzbar  # noqa: PLC0415 - optional, needs the system's libzbar

        self._zbar = pyzbar

    def decode(self, frame: Frame) -> list[Detection]:
        grey = np.ascontiguousarray(to_grey(frame))
        out = []
        for r in self._zbar.decode(grey, symbols=[self._zbar.ZBarSymbol.QRCODE]):
            try:
                text = r.data.decode("utf-8")
            except UnicodeDecodeError:
                continue
            out.append(Detection(text, _quad([(p.x, p.y) for p in r.polygon]), self.name))
        return out


def available_decoders() -> Sequence[str]:
    """Names of the decoders that can run here."""
    names = ["opencv", "opencv-aruco"]
    if zxing_available():
        names.insert(0, "zxing-cpp")
    if importlib.util.find_spec("pyzbar") is not None:
        try:
            ZbarDecoder()
            names.append("zbar")
        except (ImportError, OSError):
            pass
    return names
