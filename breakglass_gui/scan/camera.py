"""The camera's decoder: the same :class:`~.pipeline.FrameScanner` as ``breakglass scan``, with a
per-frame time budget so a 30 fps preview stays smooth.

Every frame gets the cheap whole-frame pass. The recovery steps (crops sharpened, contrast
stretched, rectified) then run only while the frame stays within its budget; the next frame
resumes with the next step. A still sheet held to the camera therefore gets every step within a
few frames, and no frame takes much longer than the budget.

The budget is given for a 1280x720 frame and scales with the frame's pixel count (a 1920x1080
frame gets 2.25 times as much; never less than :data:`MIN_BUDGET_MS`).
"""

from __future__ import annotations

from .decoders import Frame
from .pipeline import FrameScanner, ScanResult

__all__ = ["DEFAULT_BUDGET_MS", "MIN_BUDGET_MS", "CameraDecoder", "ShareDecoder"]

DEFAULT_BUDGET_MS = 16.0  # per 1280x720 frame: the preview's 33 ms less room for the GUI
MIN_BUDGET_MS = 8.0
_REFERENCE_PIXELS = 1280 * 720


class ShareDecoder:
    """What every camera, check-in and verify screen decodes with: ``scan(frame)`` returns the
    scanner's result (accepted shares with their outlines, refused codes with a reason).
    ``decode(frame)`` is the ceremony's ``QrDecoder`` port (texts only)."""

    def scan(self, frame: Frame) -> ScanResult:
        raise NotImplementedError

    def scan_photo(self, frame: Frame) -> ScanResult:
        """A loaded photo: as thorough as the decoder can be (default: same as ``scan``)."""
        return self.scan(frame)

    def decode(self, frame: Frame) -> list[str]:
        return self.scan(frame).texts

    def reset(self) -> None:
        """A new camera or a new run of frames."""


class CameraDecoder(ShareDecoder):
    """``FrameScanner`` with a per-frame budget (``budget_ms=None``: no budget, every step on
    every frame, as for a loaded photo). Not to be shared between threads."""

    def __init__(
        self, scanner: FrameScanner | None = None, *, budget_ms: float | None = DEFAULT_BUDGET_MS
    ) -> None:
        # every code read goes on to the ceremony, which refuses what is not a share by name
        self.scanner = scanner or FrameScanner(shares_only=False)
        self.budget_ms = budget_ms

    def budget_for(self, frame: Frame) -> float | None:
        if self.budget_ms is None:
            return None
        pixels = int(frame.shape[0]) * int(frame.shape[1])
        return max(MIN_BUDGET_MS, self.budget_ms * pixels / _REFERENCE_PIXELS)

    def scan(self, frame: Frame) -> ScanResult:
        return self.scanner.scan(frame, budget_ms=self.budget_for(frame))

    def scan_photo(self, frame: Frame) -> ScanResult:
        """A still photo (a loaded image): every step, no budget."""
        return self.scanner.scan(frame)

    def reset(self) -> None:
        self.scanner.reset()
