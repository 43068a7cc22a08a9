"""What the windows and wizards reach the world through: one typed bundle of ports.

``app.build_services(home)`` makes the real one (audit trail, paper, scanner, cameras,
printers); the tests make in-memory ones. Nothing here imports paper, reportlab, qrcode,
OpenCV or numpy: the real adapters load those when a ceremony first needs them.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from breakglass_gui.ceremony.overview import SetRow
from breakglass_gui.ceremony.ports import (
    Clock,
    FrameSource,
    PdfRenderer,
    ReconstructionRecorder,
    SplitRecorder,
    SystemClock,
)
from breakglass_gui.platform.removable import RemovableDrive

if TYPE_CHECKING:
    from breakglass_gui.audit.service import AuditTrail
    from breakglass_gui.ceremony.reconstruct_flow import RetiredSets
    from breakglass_gui.scan.decoders import Frame  # a numpy array; numpy is not loaded here

__all__ = [
    "CameraOption",
    "CheckinDesk",
    "CheckinResult",
    "Decode",
    "Quad",
    "Services",
]

Quad = tuple[tuple[float, float], ...]
# frame (a numpy BGR or grey array) -> [(text, quad)] for every code found
Decode = Callable[["Frame"], list[tuple[str, Quad]]]


@dataclass(frozen=True)
class CameraOption:
    """One camera the host may choose: a name and how to open it (a started ``FrameSource``;
    raises ``BreakglassError``/``OSError`` with the reason when it cannot)."""

    name: str
    open: Callable[[], FrameSource]


class CheckinResult(Protocol):
    """What the desk says about one offered text (``ceremony.adapters.CheckinOutcome``)."""

    @property
    def kind(self) -> str: ...

    @property
    def message(self) -> str: ...

    @property
    def ok(self) -> bool: ...

    @property
    def repeat(self) -> bool: ...


class CheckinDesk(Protocol):
    """Checks shares in one at a time (``ceremony.adapters.TrailCheckin``)."""

    by: str | None

    def offer_text(self, text: str, source: str = "typed") -> CheckinResult: ...

    def no_code_seen(self, source: str) -> None: ...

    def clear(self) -> None: ...


@dataclass
class Services:
    """What the windows and wizards reach the world through (real or in-memory)."""

    renderer: PdfRenderer
    new_split_recorder: Callable[[], SplitRecorder]
    rows: Callable[[], list[SetRow]]
    clock: Clock = field(default_factory=SystemClock)
    operator: str = ""
    home: Path | None = None
    documents_root: Path | None = None  # where "Print and save" proposes to save
    # removable drives mounted now (asked when the print page opens and on "Look again")
    removable_drives: Callable[[], list[RemovableDrive]] | None = None
    trail: AuditTrail | None = None  # the audit trail when running for real
    audit_text: Callable[[], str] | None = None  # the log, one line per entry
    verify_log: Callable[[], tuple[bool, str]] | None = None
    decode: Decode | None = None  # frame -> [(text, quad)]
    printers: Callable[[], list[str]] | None = None  # names of available printers
    print_pdf: Callable[[str, bytes], None] | None = None  # (printer, pdf) -> spooled
    # the cameras present now (probed when asked: listing opens each device); [] = none
    cameras: Callable[[], list[CameraOption]] | None = None
    # break glass / drills: a recorder for one ceremony (argument: drill or not)
    new_reconstruction_recorder: Callable[[bool], ReconstructionRecorder] | None = None
    retired_sets: RetiredSets | None = None  # "was this set retired, when, by whom?"
    new_checkin: Callable[[], CheckinDesk] | None = None  # "Check in a share"
