"""The unbudgeted scan's early exits (issue 16: scanning at most 1.5x zxing-cpp's median time).

``breakglass scan`` and loaded photos scan without a budget: after a code was read, the region
finder's guesses are not searched (only places where the decoder saw a code it could not read);
a region where two sharpened reads saw no code at all gets no costlier retries; OpenCV runs on
one thread. The camera's budgeted scan keeps every step. What the read rate and the time did on
the bench and the public photo set: ``python -m tests.bench.perf --only scan,photos``.
"""

from __future__ import annotations

from typing import Any

import cv2
import numpy as np
import pytest
import qrcode

from breakglass_gui.scan.enhance import code_regions
from breakglass_gui.scan.pipeline import FrameScanner, _LazyCrop


def _code(text: str, module: int = 6) -> np.ndarray:
    q = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(text)
    q.make(fit=True)
    m = np.array(q.get_matrix(), dtype=bool)
    return np.kron(np.where(m, 0, 255).astype(np.uint8), np.ones((module, module), np.uint8))


def _frame_with_code_and_clutter(text: str) -> np.ndarray:
    """A clean non-share code on the left, a dense square of noise (a candidate region the
    region finder reports) on the right."""
    frame = np.full((720, 1280), 200, np.uint8)
    code = _code(text)
    h, w = code.shape
    frame[100 : 100 + h, 100 : 100 + w] = code
    cv2.randu(frame[200:500, 800:1100], 0, 255)
    return frame


def _noise_frame() -> np.ndarray:
    frame = np.full((720, 1280), 128, np.uint8)
    cv2.randu(frame[200:500, 500:800], 0, 255)
    return frame


def _count_crop_reads(scanner: FrameScanner) -> list[str]:
    """Counts every read of a crop (local and global binarizer) the scanner makes."""
    calls: list[str] = []
    for attr in ("crop_decoder", "crop_global_decoder"):
        decoder: Any = getattr(scanner, attr)
        original = decoder.decode_with_misses

        def counting(image: Any, original: Any = original, attr: str = attr) -> Any:
            calls.append(attr)
            return original(image)

        decoder.decode_with_misses = counting
    return calls


def test_a_scanner_runs_opencv_on_one_thread() -> None:
    before = cv2.getNumThreads()
    try:
        cv2.setNumThreads(4)
        FrameScanner()
        assert cv2.getNumThreads() == 1
    finally:
        cv2.setNumThreads(before)


def test_after_a_read_the_unbudgeted_scan_searches_no_guessed_region() -> None:
    text = "WIFI:T:WPA;S:office;P:hunter2;;"
    frame = _frame_with_code_and_clutter(text)
    # the clutter is a place the region finder offers (so the test can fail)
    assert any(800 <= np.mean([x for x, _ in r.quad]) <= 1100 for r in code_regions(frame, faint=0))
    result = FrameScanner(shares_only=False).scan(frame)
    assert result.texts == [text]
    assert result.steps == ("direct",)
    assert result.complete
    # the camera (budgeted) still gives the other place its quick look
    camera = FrameScanner(shares_only=False).scan(frame, budget_ms=1e6)
    assert camera.texts == [text]
    assert camera.steps[:2] == ("direct", "crop-sharpened")
    assert camera.complete


def test_a_region_that_shows_no_code_is_given_up_after_two_reads() -> None:
    frame = _noise_frame()
    unbudgeted = FrameScanner()
    calls = _count_crop_reads(unbudgeted)
    result = unbudgeted.scan(frame)
    assert not result.found and result.complete
    assert calls == ["crop_decoder", "crop_decoder"]
    # every step still had its turn (the rest found the region given up)
    assert "crop-global-smoothed" in result.steps
    assert result.steps[-4:] == (
        "find-faint",
        "crop-faint",
        "crop-faint-global",
        "crop-faint-global-smoothed",
    )
    camera = FrameScanner()
    camera_calls = _count_crop_reads(camera)
    assert camera.scan(frame, budget_ms=1e6).complete
    assert camera_calls.count("crop_decoder") == 4
    assert camera_calls.count("crop_global_decoder") == 2


def test_a_region_where_a_read_saw_a_code_is_not_given_up() -> None:
    crop = _LazyCrop(np.zeros((10, 10), np.uint8), ((0, 0), (9, 0), (9, 9), (0, 9)), give_up=True)
    crop.looked(False)
    crop.looked(True)  # an outline seen, not read
    crop.looked(False)
    crop.looked(False)
    assert not crop.empty
    blank = _LazyCrop(np.zeros((10, 10), np.uint8), ((0, 0), (9, 0), (9, 9), (0, 9)), give_up=True)
    blank.looked(False)
    assert not blank.empty
    blank.looked(False)
    assert blank.empty
    camera = _LazyCrop(np.zeros((10, 10), np.uint8), ((0, 0), (9, 0), (9, 9), (0, 9)))
    for _ in range(5):
        camera.looked(False)
    assert not camera.empty


@pytest.mark.parametrize("size", [(640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080)])
def test_the_region_finder_finds_a_code_at_every_frame_size(size: tuple[int, int]) -> None:
    """Frames shrunk by a whole factor (area averaging) and by any other (bilinear) alike."""
    width, height = size
    frame = np.full((height, width), 190, np.uint8)
    code = _code("HELLO-REGION-FINDER-0123456789", module=max(3, width // 240))
    h, w = code.shape
    top, left = height // 4, width // 3
    frame[top : top + h, left : left + w] = code
    centre = (left + w / 2, top + h / 2)
    regions = code_regions(frame, faint=0)
    assert regions
    best = np.asarray(regions[0].quad, np.float32).reshape(-1, 1, 2)
    assert cv2.pointPolygonTest(best, centre, False) >= 0
    # the outline is in frame pixels, about the code's size
    side = float(np.sqrt(cv2.contourArea(best)))
    assert 0.7 * w <= side <= 1.6 * w
