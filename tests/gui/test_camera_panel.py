"""The one camera component, through fake sources (there is no camera on these machines):
cameras listed off the GUI thread, no camera, permission denied (at listing and at opening), a
camera lost mid-stream, and the preview outlining the code it read with the scanner."""

from __future__ import annotations

import datetime as dt
import sys
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.gui.camera import CameraPanel
from breakglass_gui.gui.services import CameraOption
from breakglass_gui.scan.sources import CameraLostError, CameraPermissionError, NoCameraError

sys.path.insert(0, str(Path(__file__).parent))
from reconstruct_photos import PlayingCamera, blank_frame, sheet_photo

pytestmark = pytest.mark.gui


class Results:
    def __init__(self) -> None:
        self.texts: list[str] = []
        self.frames = 0

    def __call__(self, result: Any, source: str) -> None:
        assert source == "camera"
        self.frames += 1
        self.texts += result.texts


def panel(qtbot: Any, cameras: Any) -> tuple[CameraPanel, Results]:
    got = Results()
    p = CameraPanel(cameras=cameras, on_scan=got)
    qtbot.addWidget(p)
    p.show()
    return p, got


def test_cameras_are_listed_off_the_gui_thread(qtbot: Any) -> None:
    where: list[threading.Thread] = []

    def cameras() -> list[CameraOption]:
        where.append(threading.current_thread())
        return [CameraOption("Laptop camera", lambda: None), CameraOption("Desk", lambda: None)]

    p, _ = panel(qtbot, cameras)
    assert p.chooser.currentText() == "Looking for cameras…" and not p.button.isEnabled()
    p.list_cameras()
    qtbot.waitUntil(lambda: p.chooser.count() == 2 and p.chooser.currentText() == "Laptop camera")
    assert where and where[0] is not threading.main_thread()
    assert p.chooser.isEnabled() and p.button.isEnabled() and p.button.text() == "Start &camera"


def test_no_camera_is_said_calmly_and_can_look_again(qtbot: Any) -> None:
    found: list[list[CameraOption]] = [[]]
    p, _ = panel(qtbot, lambda: found[0])
    p.list_cameras()
    qtbot.waitUntil(lambda: not p.listing)
    assert p.chooser.currentText().startswith("No camera found")
    assert "No camera found" in p.message.text() and "type the share" in p.message.text()
    assert p.button.text() == "Look for a &camera" and p.worker is None
    frames = [blank_frame()]
    found[0] = [CameraOption("Plugged in since", lambda: PlayingCamera(frames))]
    p.button.click()  # looks again, then starts the camera it found
    qtbot.waitUntil(lambda: p.chooser.currentText() == "Plugged in since")
    qtbot.waitUntil(lambda: p.view.frames_shown >= 1, timeout=10000)


def test_permission_denied_while_listing(qtbot: Any) -> None:
    def cameras() -> list[CameraOption]:
        raise CameraPermissionError("camera 0 (/dev/video0) exists but this user may not open it")

    p, _ = panel(qtbot, cameras)
    p.list_cameras()
    qtbot.waitUntil(lambda: not p.listing)
    text = p.message.text()
    assert "permission denied" in text and "/dev/video0" in text and "type the share" in text


@pytest.mark.parametrize(
    ("error", "says"),
    [
        (CameraPermissionError("no access to /dev/video0"), "may not use Desk (permission denied)"),
        (PermissionError(13, "Permission denied"), "may not use Desk (permission denied)"),
        (NoCameraError("no camera 0: /dev/video0 is missing"), "Desk is not there"),
        (RuntimeError("busy"), "Desk cannot be used: busy"),
    ],
)
def test_a_camera_that_cannot_be_opened_says_why(
    qtbot: Any, error: BaseException, says: str
) -> None:
    def refuse() -> Any:
        raise error

    p, got = panel(qtbot, [CameraOption("Desk", refuse)])
    assert p.start()
    qtbot.waitUntil(lambda: p.worker is None, timeout=10000)
    assert says in p.message.text() and "Load a photo" in p.message.text()
    assert got.frames == 0 and p.button.text() == "Start &camera"


def test_a_camera_lost_mid_stream_says_so_and_keeps_what_it_read(qtbot: Any) -> None:
    sset = split_credential(
        b"s3cret-value-for-the-camera",
        policy=Policy.simple(2, 3),
        label="panel test",
        custodians=[Custodian("Ana", "on-call"), Custodian("Bo", "")],
        created=dt.date(2026, 1, 1),
    )
    photo = sheet_photo(sset.shares[0], 3)

    class Unplugged:
        def frames(self) -> Iterator[Any]:
            yield photo
            raise CameraLostError("camera 0 stopped delivering frames")

        def close(self) -> None:
            pass

    p, got = panel(qtbot, [CameraOption("Desk", Unplugged)])
    p.start()
    qtbot.waitUntil(lambda: p.worker is None, timeout=20000)
    assert got.texts == [sset.shares[0].qr_texts()[0]]
    assert "Desk stopped" in p.message.text() and "Start camera" in p.message.text()
    assert p.view.outlines == 1 and p.view.has_picture  # the code read is outlined
    p.wipe()
    assert not p.view.has_picture
    assert not np.any(photo)  # the frame we were handed was overwritten
