"""Where frames come from: image files, video files, a webcam, and a fake camera for tests.

Every source satisfies ``ceremony.ports.FrameSource`` (``frames()`` and ``close()``). The
camera sources also run a worker thread that hands each frame, copied, to a callback (the GUI
turns that into a Qt signal) and keeps only the latest frame for ``frames()``, so a slow decoder
never builds a backlog.
"""

from __future__ import annotations

import abc
import os
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType
from typing import Any

import cv2
import numpy as np

from breakglass_gui.core.errors import BreakglassError

from .decoders import Frame

__all__ = [
    "IMAGE_SUFFIXES",
    "VIDEO_SUFFIXES",
    "CameraError",
    "CameraInfo",
    "CameraLostError",
    "CameraPermissionError",
    "CameraSource",
    "FakeCamera",
    "FakeCameraRefusedError",
    "FrameSource",
    "ImageFileSource",
    "NoCameraError",
    "SourceError",
    "VideoFileSource",
    "list_cameras",
    "open_path",
    "permission_problem",
    "read_image",
    "test_switch_on",
]

IMAGE_SUFFIXES = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".webp", ".pgm"})
VIDEO_SUFFIXES = frozenset({".avi", ".mp4", ".mov", ".mkv", ".webm", ".m4v", ".mjpeg", ".mjpg"})
FrameCallback = Callable[[Frame], None]


class SourceError(BreakglassError):
    """A file that cannot be read as an image or a video."""


class CameraError(BreakglassError):
    """The camera cannot be used. The message says what to do about it."""


class NoCameraError(CameraError):
    """No camera at that index (or none at all)."""


class CameraPermissionError(CameraError):
    """A camera exists but this program may not open it."""


class CameraLostError(CameraError):
    """The camera stopped delivering frames (unplugged, taken by another program)."""


class FakeCameraRefusedError(CameraError):
    """The fake camera was asked to start outside tests and development."""


def test_switch_on() -> bool:
    """True when ``BREAKGLASS_TESTING=1`` or ``BREAKGLASS_DEV=1`` is set."""
    return os.environ.get("BREAKGLASS_TESTING") == "1" or os.environ.get("BREAKGLASS_DEV") == "1"


class FrameSource(abc.ABC):
    """A sequence of frames (numpy ``uint8``, BGR or grey). Close it when done."""

    name: str = "source"

    @abc.abstractmethod
    def frames(self) -> Iterator[Frame]: ...

    def close(self) -> None:  # noqa: B027 - most sources hold nothing
        """Release what the source holds."""

    def __enter__(self) -> FrameSource:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


# -- files ----------------------------------------------------------------------------------------


def read_image(path: str | Path) -> Frame:
    """Read an image file (any path, including non-ASCII ones) as BGR ``uint8``."""
    try:
        data = np.fromfile(str(path), dtype=np.uint8)
    except OSError as exc:
        raise SourceError(f"{path}: {exc.strerror or exc}") from exc
    image = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if image is None:
        raise SourceError(f"{path}: not an image this program can read")
    return np.asarray(image, np.uint8)


class ImageFileSource(FrameSource):
    """Each image file once, in order."""

    def __init__(self, paths: Sequence[str | Path]) -> None:
        self.paths = [Path(p) for p in paths]
        self.name = ", ".join(str(p) for p in self.paths)

    def frames(self) -> Iterator[Frame]:
        for path in self.paths:
            yield read_image(path)


class VideoFileSource(FrameSource):
    """The frames of a video file; ``step`` keeps every n-th frame."""

    def __init__(self, path: str | Path, *, step: int = 1, max_frames: int | None = None) -> None:
        self.path = Path(path)
        self.name = str(self.path)
        self.step = max(1, step)
        self.max_frames = max_frames
        self._capture: Any = None

    def frames(self) -> Iterator[Frame]:
        if not self.path.is_file():
            raise SourceError(f"{self.path}: no such file")
        capture = cv2.VideoCapture(str(self.path))
        self._capture = capture
        if not capture.isOpened():
            capture.release()
            raise SourceError(f"{self.path}: not a video this program can read")
        try:
            index = kept = 0
            while self.max_frames is None or kept < self.max_frames:
                ok, frame = capture.read()
                if not ok or frame is None:
                    if index == 0:
                        raise SourceError(f"{self.path}: the video has no readable frames")
                    break
                if index % self.step == 0:
                    kept += 1
                    yield np.asarray(frame, np.uint8)
                index += 1
        finally:
            self.close()

    def close(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


def open_path(path: str | Path) -> FrameSource:
    """An image or video source for ``path``, by its suffix (images first if unknown)."""
    p = Path(path)
    if not p.exists():
        raise SourceError(f"{p}: no such file")
    if p.is_dir():
        raise SourceError(f"{p}: is a directory")
    suffix = p.suffix.lower()
    if suffix in VIDEO_SUFFIXES:
        return VideoFileSource(p)
    if suffix in IMAGE_SUFFIXES:
        return ImageFileSource([p])
    try:
        read_image(p)
    except SourceError:
        return VideoFileSource(p)
    return ImageFileSource([p])


# -- live sources: a worker thread hands copied frames on ------------------------------------------


class _LiveSource(FrameSource):
    """A source that produces frames on its own thread until stopped."""

    def __init__(self, on_frame: FrameCallback | None = None) -> None:
        self.on_frame = on_frame
        self._thread: threading.Thread | None = None
        self._stop = threading.Event()
        self._cond = threading.Condition()
        self._latest: Frame | None = None
        self._serial = 0
        self._ended = False
        self.error: CameraError | None = None

    # subclasses: open (raise CameraError), grab one frame (None = the end), release
    @abc.abstractmethod
    def _open(self) -> None: ...

    @abc.abstractmethod
    def _grab(self) -> Frame | None: ...

    @abc.abstractmethod
    def _release(self) -> None: ...

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def start(self, timeout: float = 10.0) -> None:
        """Open the device and start delivering frames. Raises a ``CameraError`` on failure."""
        if self.running:
            return
        self._stop.clear()
        self._ended = False
        self.error = None
        opened = threading.Event()
        failure: list[CameraError] = []
        self._thread = threading.Thread(
            target=self._run, args=(opened, failure), name=f"frames:{self.name}", daemon=True
        )
        self._thread.start()
        if not opened.wait(timeout):
            self.stop()
            raise CameraError(f"{self.name}: the camera did not open within {timeout:.0f} s")
        if failure:
            self._thread.join(timeout)
            self._thread = None
            raise failure[0]

    def _run(self, opened: threading.Event, failure: list[CameraError]) -> None:
        try:
            self._open()
        except CameraError as exc:
            failure.append(exc)
            opened.set()
            return
        opened.set()
        try:
            while not self._stop.is_set():
                try:
                    frame = self._grab()
                except CameraError as exc:
                    self.error = exc
                    break
                if frame is None:
                    break
                self._deliver(np.array(frame, dtype=np.uint8, copy=True))
        finally:
            self._release()
            with self._cond:
                self._ended = True
                self._cond.notify_all()

    def _deliver(self, frame: Frame) -> None:
        with self._cond:
            self._latest = frame
            self._serial += 1
            self._cond.notify_all()
        if self.on_frame is not None:
            self.on_frame(frame)

    def latest(self) -> Frame | None:
        """The most recent frame (a copy owned by the caller), or None."""
        with self._cond:
            return None if self._latest is None else self._latest.copy()

    def frames(self) -> Iterator[Frame]:
        """New frames as they come (frames that arrive while you work are skipped)."""
        self.start()
        seen = 0
        while True:
            with self._cond:
                while self._serial == seen and not self._ended:
                    self._cond.wait(0.5)
                if self._serial == seen and self._ended:
                    break
                seen = self._serial
                frame = self._latest
            if frame is not None:
                yield frame
        if self.error is not None:
            raise self.error

    def stop(self) -> None:
        self._stop.set()
        thread = self._thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(5.0)
        self._thread = None

    def close(self) -> None:
        self.stop()


@dataclass(frozen=True)
class CameraInfo:
    index: int
    name: str
    width: int
    height: int

    def describe(self) -> str:
        return f"{self.name} ({self.width}x{self.height})"


def _linux_device(index: int) -> Path:
    return Path(f"/dev/video{index}")


def _device_name(index: int) -> str:
    name_file = Path(f"/sys/class/video4linux/video{index}/name")
    try:
        return name_file.read_text(encoding="utf-8").strip() or f"Camera {index}"
    except OSError:
        return f"Camera {index}"


def _permission_problem(index: int) -> CameraPermissionError | None:
    if sys.platform.startswith("linux"):
        dev = _linux_device(index)
        if dev.exists() and not os.access(dev, os.R_OK | os.W_OK):
            return CameraPermissionError(
                f"camera {index} ({dev}) exists but this user may not open it: "
                "add the user to the 'video' group, or check the sandbox's camera permission"
            )
    return None


def permission_problem(index: int) -> CameraPermissionError | None:
    """Why camera ``index`` exists but may not be opened by this user (None: no such problem)."""
    return _permission_problem(index)


def list_cameras(max_index: int = 6, backend: int = cv2.CAP_ANY) -> list[CameraInfo]:
    """Cameras that open and deliver a frame, probing indices 0..max_index-1."""
    found: list[CameraInfo] = []
    for index in range(max_index):
        if sys.platform.startswith("linux") and not _linux_device(index).exists():
            continue
        capture = cv2.VideoCapture(index, backend)
        try:
            if not capture.isOpened():
                continue
            ok, frame = capture.read()
            if not ok or frame is None:
                continue
            found.append(CameraInfo(index, _device_name(index), frame.shape[1], frame.shape[0]))
        finally:
            capture.release()
    return found


class CameraSource(_LiveSource):
    """A webcam through ``cv2.VideoCapture`` (the platform's backend by default)."""

    def __init__(
        self,
        index: int = 0,
        *,
        width: int = 1280,
        height: int = 720,
        backend: int = cv2.CAP_ANY,
        on_frame: FrameCallback | None = None,
        max_failures: int = 30,
    ) -> None:
        super().__init__(on_frame)
        self.index = index
        self.name = f"camera {index}"
        self.size = (width, height)
        self.backend = backend
        self.max_failures = max_failures
        self._capture: Any = None

    def _open(self) -> None:
        problem = _permission_problem(self.index)
        if problem is not None:
            raise problem
        if sys.platform.startswith("linux") and not _linux_device(self.index).exists():
            raise NoCameraError(f"no camera {self.index}: {_linux_device(self.index)} is missing")
        capture = cv2.VideoCapture(self.index, self.backend)
        if not capture.isOpened():
            capture.release()
            raise NoCameraError(
                f"camera {self.index} could not be opened: it may be missing, in use by another "
                "program, or this program may lack camera permission (on macOS: System "
                "Settings > Privacy & Security > Camera)"
            )
        capture.set(cv2.CAP_PROP_FRAME_WIDTH, self.size[0])
        capture.set(cv2.CAP_PROP_FRAME_HEIGHT, self.size[1])
        capture.set(cv2.CAP_PROP_BUFFERSIZE, 1)
        self._capture = capture

    def _grab(self) -> Frame | None:
        failures = 0
        while not self._stop.is_set():
            ok, frame = self._capture.read()
            if ok and frame is not None:
                return np.asarray(frame, np.uint8)
            failures += 1
            if failures >= self.max_failures:
                raise CameraLostError(f"{self.name} stopped delivering frames")
            time.sleep(0.02)
        return None

    def _release(self) -> None:
        if self._capture is not None:
            self._capture.release()
            self._capture = None


class FakeCamera(_LiveSource):
    """Plays images or a video as if it were a camera. Tests and development only: it refuses
    to start unless ``BREAKGLASS_TESTING=1`` or ``BREAKGLASS_DEV=1`` is set."""

    def __init__(
        self,
        frames: Sequence[Frame] | None = None,
        *,
        video: str | Path | None = None,
        fps: float = 0.0,
        loop: bool = False,
        on_frame: FrameCallback | None = None,
    ) -> None:
        super().__init__(on_frame)
        if (frames is None) == (video is None):
            raise ValueError("give the fake camera either frames or a video, not both")
        self._frames = list(frames or [])
        self._video = Path(video) if video is not None else None
        self.fps = fps
        self.loop = loop
        self.name = "fake camera"
        self._source: Iterator[Frame] | None = None
        self._last = 0.0

    def _open(self) -> None:
        if not test_switch_on():
            raise FakeCameraRefusedError(
                "the fake camera is for tests and development only "
                "(set BREAKGLASS_TESTING=1 or BREAKGLASS_DEV=1)"
            )
        self._source = self._play()

    def _play(self) -> Iterator[Frame]:
        while True:
            if self._video is not None:
                try:
                    yield from VideoFileSource(self._video).frames()
                except SourceError as exc:
                    raise CameraLostError(str(exc)) from exc
            else:
                yield from self._frames
            if not self.loop:
                return

    def _grab(self) -> Frame | None:
        assert self._source is not None
        if self.fps > 0:
            wait = self._last + 1.0 / self.fps - time.monotonic()
            if wait > 0 and self._stop.wait(wait):
                return None
            self._last = time.monotonic()
        return next(self._source, None)

    def _release(self) -> None:
        self._source = None

    def frames(self) -> Iterator[Frame]:
        """Every frame in order when ``fps`` is 0 (no frame is skipped), else live-style."""
        if self.fps > 0:
            yield from super().frames()
            return
        self._open()
        assert self._source is not None
        try:
            yield from self._source
        finally:
            self._release()
