"""QR decoding of camera frames, frame sources, and share assembly.

``FrameScanner().scan(frame)`` reads share QR codes from a numpy frame (BGR or grey) and
returns the accepted shares and parts with their outlines; ``ShareCollector`` assembles
multi-part shares; ``sources`` holds image, video, webcam and fake-camera sources.
"""

from __future__ import annotations

from .collect import CollectEvent, PartProgress, ShareCollector
from .decoders import Decoder, Detection
from .pipeline import Accepted, FrameScanner, Rejected, ScanResult

__all__ = [
    "Accepted",
    "CollectEvent",
    "Decoder",
    "Detection",
    "FrameScanner",
    "PartProgress",
    "Rejected",
    "ScanResult",
    "ShareCollector",
]
