"""Frame sources: files, videos, the fake camera (which refuses outside tests), cameras."""

from __future__ import annotations

import threading
from pathlib import Path

import cv2
import numpy as np
import pytest

from breakglass_gui.scan.sources import (
    CameraSource,
    FakeCamera,
    FakeCameraRefusedError,
    ImageFileSource,
    NoCameraError,
    SourceError,
    VideoFileSource,
    open_path,
)


def _frames(n: int) -> list[np.ndarray]:
    return [np.full((48, 64, 3), 20 * i, np.uint8) for i in range(n)]


def write_video(path: Path, frames: list[np.ndarray], fps: float = 10.0) -> Path:
    h, w = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), fps, (w, h))
    assert writer.isOpened()
    for f in frames:
        writer.write(f if f.ndim == 3 else cv2.cvtColor(f, cv2.COLOR_GRAY2BGR))
    writer.release()
    return path


def test_fake_camera_refuses_without_the_switch(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("BREAKGLASS_TESTING", raising=False)
    monkeypatch.delenv("BREAKGLASS_DEV", raising=False)
    cam = FakeCamera(_frames(2))
    with pytest.raises(FakeCameraRefusedError):
        cam.start()
    assert not cam.running
    with pytest.raises(FakeCameraRefusedError):
        next(iter(FakeCamera(_frames(2)).frames()))
    monkeypatch.setenv("BREAKGLASS_DEV", "1")
    assert len(list(FakeCamera(_frames(2)).frames())) == 2


def test_fake_camera_hands_copies_to_the_callback_on_a_worker_thread() -> None:
    originals = _frames(5)
    got: list[np.ndarray] = []
    threads: set[str] = set()
    done = threading.Event()

    def on_frame(frame: np.ndarray) -> None:
        got.append(frame)
        threads.add(threading.current_thread().name)
        if len(got) == len(originals):
            done.set()

    cam = FakeCamera(originals, on_frame=on_frame)
    cam.start()
    assert done.wait(5)
    cam.stop()
    assert not cam.running
    assert [int(f[0, 0, 0]) for f in got] == [20 * i for i in range(5)]
    assert threading.current_thread().name not in threads
    originals[0][:] = 255  # the camera's frames are copies, not views of the producer's buffer
    assert int(got[0][0, 0, 0]) == 0


def test_fake_camera_plays_a_video_live(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.avi", _frames(4))
    cam = FakeCamera(video=video, fps=200)
    seen = list(cam.frames())
    assert 1 <= len(seen) <= 4
    assert seen[-1].shape == (48, 64, 3)
    cam.close()


def test_video_file_source_reads_every_frame(tmp_path: Path) -> None:
    video = write_video(tmp_path / "clip.avi", _frames(6))
    frames = list(VideoFileSource(video).frames())
    assert len(frames) == 6
    assert abs(int(frames[3].mean()) - 60) <= 3
    assert len(list(VideoFileSource(video, step=2).frames())) == 3
    assert isinstance(open_path(video), VideoFileSource)


def test_image_files_and_bad_paths(tmp_path: Path) -> None:
    png = tmp_path / "sheet ä.png"
    cv2.imencode(".png", _frames(2)[1])[1].tofile(str(png))
    src = open_path(png)
    assert isinstance(src, ImageFileSource)
    (frame,) = list(src.frames())
    assert frame.shape == (48, 64, 3)
    junk = tmp_path / "notes.png"
    junk.write_text("not an image")
    with pytest.raises(SourceError, match="not an image"):
        list(open_path(junk).frames())
    with pytest.raises(SourceError, match="no such file"):
        open_path(tmp_path / "missing.jpg")
    with pytest.raises(SourceError, match="directory"):
        open_path(tmp_path)
    fake_video = tmp_path / "clip.avi"
    fake_video.write_bytes(b"\0" * 100)
    with pytest.raises(SourceError):
        list(open_path(fake_video).frames())


def test_a_missing_camera_is_a_clean_error() -> None:
    cam = CameraSource(index=97)
    with pytest.raises(NoCameraError, match="camera 97"):
        cam.start(timeout=20)
    assert not cam.running
