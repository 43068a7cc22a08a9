"""The one camera component: collect (break glass, drills), check-in and split-verify use it.

:class:`CameraPanel` is the widget: a camera chooser (the cameras are listed off the GUI
thread: probing opens each device), a Start/Stop button, the preview with every code read
outlined (green: a share; amber: a code that is not one), and a line that says what is going on
("No camera found…", "This program may not use the camera…", "The camera stopped…").

:class:`CameraWorker` opens the chosen camera and reads and decodes frames on its own thread,
with the same :class:`~breakglass_gui.scan.pipeline.FrameScanner` as ``breakglass scan``,
through one decoder interface (:class:`~breakglass_gui.scan.camera.ShareDecoder`: ``scan(frame)``
returns the scanner's :class:`~breakglass_gui.scan.pipeline.ScanResult`). Its per-frame budget
(:class:`~breakglass_gui.scan.camera.CameraDecoder`) keeps a 30 fps preview smooth: the costly
retries are spread over frames.

The worker never emits frames or texts through a signal: it leaves them in a locked slot and
emits a bare ``ready()``; the panel, on the GUI thread, takes them, hands each result to its
owner (``on_scan``), paints the preview, and overwrites the frames it is done with.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, Protocol

import numpy as np
from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from breakglass_gui.core.secret import scrub_freed_memory

from .widgets.camera_view import CameraView
from .workers import run_task

__all__ = [
    "CameraLike",
    "CameraPanel",
    "CameraWorker",
    "Decoder",
    "camera_problem",
    "default_decoder",
    "sheet_left_view",
    "wipe_frame",
]

NO_CAMERA = "No camera found — load a photo or type the share"
NO_CAMERA_HINT = (
    "No camera found. Load a photo of the sheet, or type the share as printed under "
    "'HAND TRANSCRIPTION'."
)


class Decoder(Protocol):
    """What the camera decodes with (``scan.camera.ShareDecoder``): the scanner's result."""

    def scan(self, frame: Any) -> Any: ...

    def scan_photo(self, frame: Any) -> Any: ...

    def reset(self) -> None: ...


class CameraLike(Protocol):
    """One entry of the chooser: a name, and how to open it (returns a started frame source;
    raises with the reason when it cannot: missing, in use, permission denied)."""

    @property
    def name(self) -> str: ...

    @property
    def open(self) -> Callable[[], Any]: ...


def default_decoder() -> Decoder:
    """The camera's decoder: ``FrameScanner`` with the per-frame budget."""
    from breakglass_gui.scan.camera import CameraDecoder  # noqa: PLC0415 - cv2 loads slowly

    return CameraDecoder()


def wipe_frame(frame: Any) -> None:
    """Overwrite a frame we hold (numpy arrays are writable unless marked otherwise)."""
    if isinstance(frame, np.ndarray) and frame.flags.writeable:
        frame.fill(0)


def sheet_left_view(result: Any) -> bool:
    """Whether a camera frame's result means the sheet in view was taken away: nothing read,
    and the search ran through (a frame cut short by the per-frame budget says nothing about
    the sheet in view; ``ScanResult.complete``)."""
    return not result.texts and bool(getattr(result, "complete", True))


def _shares(result: Any) -> int:
    """How many of the codes read are shares (they come first; the rest are outlined amber)."""
    return sum(1 for a in result.accepted if a.item is not None)


def camera_problem(exc: BaseException, name: str = "The camera") -> str:
    """A plain sentence for why a camera cannot be used, and what to do instead."""
    detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
    kinds = {cls.__name__ for cls in type(exc).__mro__}
    instead = "Load a photo of the sheet or type the share instead."
    if "CameraPermissionError" in kinds or isinstance(exc, PermissionError):
        return f"This program may not use {name} (permission denied): {detail}. {instead}"
    if "NoCameraError" in kinds:
        return f"{name} is not there: {detail}. {instead}"
    if "CameraLostError" in kinds:
        return f"{name} stopped: {detail}. Plug it in again and press Start camera, or: {instead}"
    return f"{name} cannot be used: {detail}. {instead}"


class CameraWorker(QObject):
    """Opens a camera, reads and decodes its frames off the GUI thread; hands each frame and
    the scanner's result over through a locked slot (at most 3 waiting)."""

    ready = Signal()
    stopped = Signal(str)  # "" when the source ran out, else what went wrong, in plain words

    def __init__(self, open_source: Callable[[], Any], decoder: Decoder, name: str = "") -> None:
        super().__init__()
        self._open = open_source
        self.decoder = decoder
        self.name = name or "The camera"
        self.source: Any = None
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._room = threading.Semaphore(3)
        self._pending: list[tuple[Any, Any]] = []
        self._thread = threading.Thread(target=self._run, name="camera", daemon=True)
        self.frames_read = 0
        self.opened = threading.Event()

    def start(self) -> None:
        self._thread.start()

    def _run(self) -> None:
        reason = ""
        try:
            source = self._open()
            with self._lock:
                self.source = source
            if self._stop.is_set():
                return
            self.opened.set()
            self.decoder.reset()
            for frame in source.frames():
                if self._stop.is_set():
                    break
                result = self.decoder.scan(frame)
                while not self._room.acquire(timeout=0.1):
                    if self._stop.is_set():
                        return
                with self._lock:
                    self._pending.append((frame, result))
                    self.frames_read += 1
                del frame, result
                self.ready.emit()
        except Exception as exc:  # missing, refused, unplugged mid-ceremony: say so, go on
            reason = camera_problem(exc, self.name)
        finally:
            scrub_freed_memory()
            if not self._stop.is_set():
                self.stopped.emit(reason)

    def take(self) -> list[tuple[Any, Any]]:
        """The frames read since the last call, each with the scanner's result."""
        with self._lock:
            out, self._pending = self._pending, []
        for _ in out:
            self._room.release()
        return out

    def stop(self) -> None:
        self._stop.set()
        with self._lock:
            source = self.source
        try:
            if source is not None:
                source.close()
        finally:
            if self._thread.is_alive() and threading.current_thread() is not self._thread:
                self._thread.join(timeout=3.0)
            for frame, _result in self.take():
                wipe_frame(frame)

    @property
    def running(self) -> bool:
        return self._thread.is_alive() and not self._stop.is_set()


class CameraPanel(QWidget):
    """Chooser, Start/Stop, preview with outlines, and a status line; results go to
    ``on_scan(result, source)`` on the GUI thread (``source`` is "camera" or "image")."""

    started = Signal()
    stopped = Signal()

    def __init__(
        self,
        *,
        cameras: Sequence[CameraLike] | Callable[[], Sequence[CameraLike]] | None,
        on_scan: Callable[[Any, str], None],
        decoder: Decoder | None = None,
        prefix: str = "",
        no_camera_hint: str = NO_CAMERA_HINT,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.on_scan = on_scan
        self.no_camera_hint = no_camera_hint
        self._decoder = decoder
        self._cameras_fn = cameras if callable(cameras) else None
        self.cameras: list[CameraLike] = (
            [] if callable(cameras) or cameras is None else list(cameras)
        )
        self.worker: CameraWorker | None = None
        self.listing = False
        self._last_frame: Any = None
        self.setObjectName(f"{prefix}cameraPanel" if prefix else "cameraPanel")

        self.view = CameraView(self)
        self.view.setMinimumSize(320, 240)
        self.chooser = QComboBox(self)
        self.chooser.setObjectName(f"{prefix}cameraChooser" if prefix else "cameraChooser")
        self.chooser.setAccessibleName("Camera")
        self.chooser.setMinimumContentsLength(16)
        self.button = QPushButton("Start &camera", self)
        self.button.setObjectName(f"{prefix}cameraButton" if prefix else "cameraButton")
        self.button.setAccessibleName("Start or stop the camera")
        self.button.clicked.connect(self.toggle)
        self.message = QLabel(self)
        self.message.setObjectName(f"{prefix}cameraMessage" if prefix else "cameraMessage")
        self.message.setAccessibleName("Camera status")
        self.message.setWordWrap(True)
        self.message.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)

        row = QHBoxLayout()
        row.addWidget(self.chooser, 1)
        row.addWidget(self.button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.view, 1)
        layout.addLayout(row)
        layout.addWidget(self.message)
        if self._cameras_fn is None:
            self._fill()
        else:
            self.chooser.addItem("Looking for cameras…")
            self.chooser.setEnabled(False)
            self.button.setEnabled(False)

    # -- the decoder ---------------------------------------------------------------------------
    @property
    def decoder(self) -> Decoder:
        if self._decoder is None:
            self._decoder = default_decoder()
        return self._decoder

    # -- listing -------------------------------------------------------------------------------
    def list_cameras(self, then: Callable[[], object] | None = None) -> None:
        """Probe the cameras off the GUI thread (opening devices can take seconds), then fill
        the chooser; ``then()`` runs once it is filled."""
        if self._cameras_fn is None:
            self._fill()
            if then is not None:
                then()
            return
        if self.listing:
            return
        self.listing = True
        self.chooser.clear()
        self.chooser.addItem("Looking for cameras…")
        self.chooser.setEnabled(False)
        self.button.setEnabled(False)
        probe = self._cameras_fn

        def done(found: Any) -> None:
            self.listing = False
            self.cameras = list(found)
            self._fill()
            if then is not None:
                then()

        def failed(message: str) -> None:
            self.listing = False
            self.cameras = []
            self._fill()
            low = message.lower()
            if "permission" in low or "may not" in low:
                self.say(
                    f"This program may not use the camera (permission denied): {message}. "
                    "Load a photo of the sheet or type the share instead."
                )
            else:
                self.say(f"The cameras could not be listed: {message}.")

        run_task(lambda: list(probe()), done, failed, context=self)

    def _fill(self) -> None:
        self.chooser.clear()
        for cam in self.cameras:
            self.chooser.addItem(cam.name)
        if not self.cameras:
            self.chooser.addItem(NO_CAMERA)
            self.say(self.no_camera_hint)
        else:
            self.say("")
        self.chooser.setEnabled(len(self.cameras) > 1)
        # with none, the button looks again (a camera plugged in since); without a way to
        # list cameras there is nothing to look for
        self.button.setEnabled(bool(self.cameras) or self._cameras_fn is not None)
        if self.worker is None:
            self.button.setText("Start &camera" if self.cameras else "Look for a &camera")

    # -- camera --------------------------------------------------------------------------------
    def toggle(self) -> None:
        if self.worker is not None:
            self.stop()
        elif not self.cameras:
            self.list_cameras(then=self.start)
        else:
            self.start(self.chooser.currentIndex())

    def start(self, index: int | None = None) -> bool:
        """Open the chosen camera and start reading (opening happens on the worker thread: a
        refusal comes back as a message, not an exception)."""
        if self.worker is not None:
            return False
        i = self.chooser.currentIndex() if index is None else index
        if not 0 <= i < len(self.cameras):
            return False
        choice = self.cameras[i]
        worker = CameraWorker(choice.open, self.decoder, choice.name)
        worker.ready.connect(self._frames_ready)
        worker.stopped.connect(self._worker_stopped)
        self.worker = worker
        self.button.setText("Stop &camera")
        self.say(f"Starting {choice.name}… Hold the sheet's code to it.")
        worker.start()
        self.started.emit()
        return True

    def stop(self) -> None:
        worker, self.worker = self.worker, None
        if worker is not None:
            worker.ready.disconnect(self._frames_ready)
            worker.stop()
            self.stopped.emit()
        self.button.setText("Start &camera" if self.cameras else "Look for a &camera")

    def _worker_stopped(self, reason: str) -> None:
        if self.worker is not None:
            self._frames_ready()  # what was read before the end still counts
            self.say(reason or "The camera stopped.")
        self.stop()

    def _frames_ready(self) -> None:
        worker = self.worker
        if worker is None:
            return
        batch = worker.take()
        if batch and worker.frames_read == len(batch):
            self.say("")
        for _frame, result in batch:
            self.on_scan(result, "camera")
            if self.worker is not worker:  # the owner stopped the camera (quorum, wipe)
                break
        if batch:
            frame, result = batch[-1]
            self.view.show_frame(frame, result.quads, good=_shares(result))
            for old, _r in batch[:-1]:
                wipe_frame(old)
            if self._last_frame is not None and self._last_frame is not frame:
                wipe_frame(self._last_frame)
            self._last_frame = frame
        del batch

    # -- photos --------------------------------------------------------------------------------
    def show_photo(self, frame: Any, result: Any) -> None:
        """Show a loaded photo with what was read outlined (the frame is the caller's)."""
        self.view.show_frame(frame, result.quads, good=_shares(result))

    def read_photo(self, path: Path) -> list[str] | None:
        """The codes read from an image file (every scanner step, no budget), shown outlined in
        the preview; None when the file is not an image. The decoded frame is overwritten once
        read; the texts are the caller's to offer and clear."""
        import cv2  # noqa: PLC0415 - loaded on first use

        frame = cv2.imread(str(path), cv2.IMREAD_COLOR)
        if frame is None:
            return None
        try:
            result = self.decoder.scan_photo(frame)
            self.show_photo(frame, result)
            texts: list[str] = result.texts
            return texts
        finally:
            wipe_frame(frame)

    # -- messages and wipe ---------------------------------------------------------------------
    def say(self, text: str) -> None:
        self.message.setText(text)
        self.message.setVisible(bool(text))

    def wipe(self) -> None:
        """Stop, overwrite the last frame, clear the preview."""
        self.stop()
        if self._last_frame is not None:
            wipe_frame(self._last_frame)
            self._last_frame = None
        self.view.clear()
