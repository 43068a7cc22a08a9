"""Scanning: photographs of real shares decode; non-shares and empty frames are handled;
multi-part shares assemble from shuffled frames."""

from __future__ import annotations

import datetime as dt
import json
import random
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest
import qrcode

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import Share, SharePart
from breakglass_gui.scan import FrameScanner, ShareCollector
from breakglass_gui.scan.decoders import ArucoDecoder, ZxingDecoder
from tests.bench.scan_corpus import photo_of_text


@pytest.fixture(scope="module")
def share_set():  # type: ignore[no-untyped-def]
    return split_credential(
        b"correct horse battery staple 2024",
        policy=Policy.simple(2, 3),
        label="db-root",
        custodians=[Custodian("Ana Ruiz", "on-call"), Custodian("Bo", "security")],
        created=dt.date(2024, 5, 1),
    )


def _inside(point: tuple[float, float], quad: np.ndarray, slack: float = 8.0) -> bool:
    contour = quad.astype(np.float32).reshape(-1, 1, 2)
    return cv2.pointPolygonTest(contour, (float(point[0]), float(point[1])), True) >= -slack


def _qr_image(text: str, module: int = 6) -> np.ndarray:
    q = qrcode.QRCode(border=4, error_correction=qrcode.constants.ERROR_CORRECT_M)
    q.add_data(text)
    q.make(fit=True)
    m = np.array(q.get_matrix(), dtype=bool)
    img = np.where(m, 0, 255).astype(np.uint8)
    img = np.kron(img, np.ones((module, module), np.uint8))
    frame = np.full((720, 1280), 200, np.uint8)
    h, w = img.shape
    frame[100 : 100 + h, 300 : 300 + w] = img
    return frame


@pytest.mark.parametrize(
    ("level", "seed", "size"),
    [
        ("easy", 1, (1280, 720)),
        ("easy", 2, (640, 480)),
        ("medium", 3, (1280, 720)),
        ("medium", 4, (1920, 1080)),
        ("medium", 5, (1280, 720)),
    ],
)
def test_reads_photographs_of_real_shares(share_set, level, seed, size) -> None:  # type: ignore[no-untyped-def]
    share = share_set.shares[seed % 3]
    text = share.qr_texts()[0]
    image, truth_quad = photo_of_text(text, level=level, seed=seed, frame_size=size)
    assert image.shape[:2] == (size[1], size[0])
    result = FrameScanner().scan(image)
    assert result.texts == [text]
    item = result.accepted[0].item
    assert isinstance(item, Share)
    assert item.to_bytes() == share.to_bytes()
    # the outline the GUI draws is where the code is
    centre = np.mean(np.array(result.accepted[0].quad), axis=0)
    assert _inside((centre[0], centre[1]), truth_quad)


def test_recovery_stages_read_what_the_plain_decoder_misses() -> None:
    """On hard photographs the crop/sharpen stages read codes zxing-cpp alone does not.

    The payload is a published vector's share, not a fresh split: a fresh split has a random
    key, so its QR pattern (and which hard photographs read) changed from run to run.
    """
    vector = Path(__file__).resolve().parents[2] / "resources/spec/vectors/vector-2-of-3.json"
    text = json.loads(vector.read_text())["shares"][0]["qr_texts"][0]
    raw = ZxingDecoder()
    scanner = FrameScanner()
    ours = plain = recovered = 0
    for seed in range(12):
        image, _ = photo_of_text(text, level="hard", seed=100 + seed)
        plain_ok = text in [d.text for d in raw.decode(image)]
        result = scanner.scan(image)
        ok = result.texts == [text]
        plain += plain_ok
        ours += ok
        recovered += ok and result.stage != "direct"
        assert ok or not plain_ok, "the pipeline lost a code the plain decoder reads"
    assert ours > plain
    assert recovered >= 1


def test_grey_and_colour_frames_give_the_same_answer(share_set) -> None:  # type: ignore[no-untyped-def]
    text = share_set.shares[1].qr_texts()[0]
    image, _ = photo_of_text(text, level="easy", seed=9)
    grey = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
    assert FrameScanner().decode(image) == FrameScanner().decode(grey) == [text]


def test_frame_without_a_code_is_handled() -> None:
    rng = np.random.default_rng(0)
    frames = [
        np.zeros((480, 640, 3), np.uint8),
        np.full((720, 1280), 255, np.uint8),
        rng.integers(0, 256, (720, 1280, 3), dtype=np.uint8),
    ]
    for frame in frames:
        result = FrameScanner().scan(frame)
        assert not result.found
        assert result.accepted == []
        assert result.stage == ""


def test_a_non_share_code_is_rejected_with_its_outline() -> None:
    frame = _qr_image("WIFI:T:WPA;S:office;P:hunter2;;")
    result = FrameScanner().scan(frame)
    assert not result.found
    assert len(result.rejected) == 1
    assert "not a Breakglass share" in result.rejected[0].reason
    assert len(result.quads) == 1
    # the CLI mode keeps it, marked as not a share
    anything = FrameScanner(shares_only=False).scan(frame)
    assert anything.texts == ["WIFI:T:WPA;S:office;P:hunter2;;"]
    assert anything.accepted[0].item is None


def test_a_damaged_share_is_rejected(share_set) -> None:  # type: ignore[no-untyped-def]
    text = share_set.shares[0].qr_texts()[0]
    i = len(text) // 2
    damaged = text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]
    result = FrameScanner().scan(_qr_image(damaged, module=4))
    assert not result.found
    assert result.rejected, "a code was read but not accepted"
    assert all(damaged not in r.reason for r in result.rejected)


def test_share_and_other_code_in_one_frame(share_set) -> None:  # type: ignore[no-untyped-def]
    text = share_set.shares[2].qr_texts()[0]
    frame = _qr_image(text, module=4)
    other = _qr_image("https://example.org/", module=4)[100:400, 300:600]
    frame[380:680, 900:1200] = other
    result = FrameScanner().scan(frame)
    assert result.texts == [text]
    assert len(result.rejected) == 1


def test_multi_part_share_assembles_from_shuffled_frames() -> None:
    secret = bytes(random.Random(4).getrandbits(8) for _ in range(4096))
    sset = split_credential(
        secret, policy=Policy.simple(2, 3), label="big", created=dt.date(2024, 1, 1)
    )
    share = sset.shares[1]
    parts = share.qr_texts()
    assert len(parts) > 8
    order = list(range(len(parts)))
    random.Random(11).shuffle(order)
    order.insert(3, order[0])  # the custodian shows part one twice
    scanner = FrameScanner()
    collector = ShareCollector()
    kinds = []
    for n, i in enumerate(order):
        image, _ = photo_of_text(parts[i], level="easy", seed=200 + n, frame_size=(640, 480))
        result = scanner.scan(image)
        assert len(result.accepted) == 1
        assert isinstance(result.accepted[0].item, SharePart)
        (event,) = collector.add_result(result)
        kinds.append(event.kind)
        if event.kind == "part":
            (progress,) = collector.progress()
            assert progress.number == 2 and progress.count == len(parts)
            assert 0 < progress.have < len(parts)
            assert "parts read" in progress.describe()
    assert kinds.count("repeat") == 1
    assert kinds[-1] == "share"
    assert collector.progress() == []
    (got,) = collector.shares
    assert got.to_bytes() == share.to_bytes()


def test_opencv_fallback_decoder_reads_a_clean_photo(share_set) -> None:  # type: ignore[no-untyped-def]
    """Without zxing-cpp the pipeline still works on OpenCV's decoder."""
    text = share_set.shares[0].qr_texts()[0]
    image, _ = photo_of_text(text, level="easy", seed=21)
    assert FrameScanner(ArucoDecoder()).decode(image) == [text]


@pytest.mark.parametrize(
    ("secret_size", "level", "seed"), [(40, "easy", 1), (40, "medium", 2), (900, "medium", 3)]
)
def test_reads_photographs_of_real_share_sheet_pdfs(
    secret_size: int, level: str, seed: int
) -> None:
    """Share sheets made by the paper module, rasterised, photographed, scanned."""
    pytest.importorskip("pypdfium2")
    from breakglass_gui.paper import share_sheet_pdf
    from tests.bench.scan_corpus import photograph_page, rasterise_pdf, sample_distortion

    sset = split_credential(
        bytes(range(256))[:1] * secret_size,
        policy=Policy.simple(2, 3),
        label="vault unseal",
        custodians=[Custodian("Ana Ruiz", "on-call")],
        created=dt.date(2024, 3, 3),
    )
    share = sset.shares[0]
    page, codes = rasterise_pdf(share_sheet_pdf(share), dpi=150)
    assert codes, "the clean sheet carries a readable code"
    code = codes[0]
    assert code.text in share.qr_texts()
    d = sample_distortion(level, random.Random(seed), (1280, 720))
    image, _ = photograph_page(page, code.corners, code.modules, d, seed)
    result = FrameScanner().scan(image)
    assert result.texts == [code.text]
    item = result.accepted[0].item
    if len(share.qr_texts()) == 1:
        assert isinstance(item, Share) and item.to_bytes() == share.to_bytes()
    else:
        assert isinstance(item, SharePart) and item.number == share.number


def test_a_budgeted_scan_spreads_the_recovery_steps_over_frames() -> None:
    """When every recovery step looks dearer than the budget, each frame still gets one, so
    the steps all run, one frame after the other (the rotation resumes where the last frame
    stopped), in the order the unbudgeted scan of the same frame tries them at once."""
    from breakglass_gui.scan.pipeline import FrameScanner as Scanner

    frame = np.full((720, 1280), 128, np.uint8)
    cv2.rectangle(frame, (500, 200), (800, 500), 0, -1)  # a dense square: a candidate region
    cv2.randu(frame[200:500, 500:800], 0, 255)
    tried: list[str] = []

    class Counting(Scanner):
        def _steps(self, grey):  # type: ignore[no-untyped-def]
            for name, run in super()._steps(grey):
                yield name, (lambda n=name, r=run: (tried.append(n), r())[1])

    full = Counting()
    full.scan(frame)
    everything = list(tried)
    assert everything[0] == "direct" and len(everything) > 3
    tried.clear()
    budgeted = Counting()
    budgeted._cost = {name: 1e6 for name in everything}  # every step looks too dear
    per_frame = []
    complete = []
    for _ in range(len(everything)):
        before = len(tried)
        complete.append(budgeted.scan(frame, budget_ms=1000.0).complete)
        per_frame.append(tried[before:])
    # a frame cut short by the budget says so: "nothing read" is not "nothing there", until
    # the frames since the last read have run every step between them
    steps = len(everything) - 1
    assert complete[: steps - 1] == [False] * (steps - 1)
    assert complete[steps - 1 :] == [True] * (len(complete) - steps + 1)
    assert full.scan(frame).complete  # the unbudgeted scan runs every step
    assert all(steps[0] == "direct" and len(steps) == 2 for steps in per_frame[:3])
    # every recovery step ran within len(plan) frames, in the unbudgeted order
    recovery = [steps[1] for steps in per_frame[: len(everything) - 1]]
    assert recovery == everything[1:]


def test_payload_is_returned_exactly_not_spelled_out_for_people() -> None:
    """zxing-cpp's default text mode writes control characters as ``<SOH>`` and GS1 fields with
    brackets; the scanner returns the bytes that were encoded."""
    text = "\x01AB\x1dCD:1234"
    frame = _qr_image(text)
    assert FrameScanner(shares_only=False).scan(frame).texts == [text]


def test_a_faint_code_beside_a_hard_edge_is_still_a_candidate_region() -> None:
    """A low-contrast code on a bright page over a dark desk: the page's edge sets the edge
    threshold, the code's texture falls below it; judged against its surroundings it shows."""
    from breakglass_gui.scan.enhance import code_regions

    rng = np.random.default_rng(5)
    frame = np.full((480, 640), 20, np.uint8)  # dark desk
    frame[60:420, 120:520] = 235  # the page: a hard edge
    modules = rng.random((33, 33)) < 0.5
    code = np.where(np.kron(modules, np.ones((5, 5), bool)), 215, 235).astype(np.uint8)
    frame[160:325, 240:405] = code  # grey modules on white: 20 levels of contrast
    frame = cv2.GaussianBlur(frame, (0, 0), 1.0)
    centre = (322.0, 242.0)

    def hit(regions: list) -> bool:  # type: ignore[type-arg]
        return any(_inside(centre, np.array(r.quad)) for r in regions)

    assert not hit(code_regions(frame, faint=0))  # what the first pass alone misses
    assert hit(code_regions(frame))


def test_a_code_read_directly_is_not_searched_again() -> None:
    """A frame with one clean code that is not a share: the search for a share goes on, but
    not over the place where that code was read (nothing else in the frame looks like one)."""
    from breakglass_gui.scan.pipeline import FrameScanner as Scanner

    tried: list[str] = []

    class Counting(Scanner):
        def _steps(self, grey):  # type: ignore[no-untyped-def]
            for name, run in super()._steps(grey):
                yield name, (lambda n=name, r=run: (tried.append(n), r())[1])

    frame = _qr_image("https://example.org/not-a-share")
    result = Counting(shares_only=False).scan(frame)
    assert result.texts == ["https://example.org/not-a-share"]
    assert tried == ["direct"]
    tried.clear()
    blank = np.full((720, 1280), 200, np.uint8)  # nothing read: every recovery step may run
    Counting(shares_only=False).scan(blank)
    assert tried[0] == "direct" and "direct-global" in tried


def test_a_step_guess_follows_a_dear_run_at_once_and_a_cheap_one_slowly() -> None:
    from breakglass_gui.scan.pipeline import next_guess

    assert next_guess(None, 3.0) == 3.0
    assert next_guess(2.0, 11.0) == 11.0  # one dear run: the next frame expects it again
    guess = 11.0
    for _ in range(3):  # three cheap runs in a row: still expects most of the dear one
        guess = next_guess(guess, 1.0)
    assert guess > 6.0
    for _ in range(30):
        guess = next_guess(guess, 1.0)
    assert guess < 1.2  # and forgets it once the cheap case holds


def test_the_faint_square_is_looked_for_in_a_step_of_its_own(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The search for a faint square (a pass over the whole frame, 3-6 ms at 1280x720) is a
    step of its own, and the three reads of that square in later frames of a budgeted scan use
    where it was found instead of searching again: no single step pays for both."""
    from breakglass_gui.scan import pipeline
    from breakglass_gui.scan.pipeline import FrameScanner as Scanner

    frame = np.full((720, 1280), 128, np.uint8)
    cv2.rectangle(frame, (500, 200), (800, 500), 0, -1)
    cv2.randu(frame[200:500, 500:800], 0, 255)
    searches: list[str] = []
    real = pipeline.code_regions

    def counting(grey, limit=3, faint=1):  # type: ignore[no-untyped-def]
        if faint == 2:
            searches.append("faint")
        return real(grey, limit=limit, faint=faint)

    monkeypatch.setattr(pipeline, "code_regions", counting)
    tried: list[str] = []

    class Counting(Scanner):
        def _steps(self, grey):  # type: ignore[no-untyped-def]
            for name, run in super()._steps(grey):
                yield name, (lambda n=name, r=run: (tried.append(n), r())[1])

    full = Counting()
    full.scan(frame)
    everything = list(tried)
    faint_steps = [n for n in everything if "faint" in n]
    assert faint_steps == [
        "find-faint",
        "crop-faint",
        "crop-faint-global",
        "crop-faint-global-smoothed",
    ]
    assert searches == ["faint"]  # the unbudgeted scan: one search, then the three reads
    tried.clear()
    budgeted = Counting()
    budgeted._cost = {name: 1e6 for name in everything}  # one recovery step per frame
    per_frame: dict[str, int] = {}
    for _ in range(len(everything) - 1):
        searches.clear()
        before = len(tried)
        budgeted.scan(frame, budget_ms=1000.0)
        step = tried[before:][1]
        per_frame[step] = len(searches)
    assert per_frame["find-faint"] == 1
    assert [per_frame[n] for n in faint_steps[1:]] == [0, 0, 0]
    budgeted.reset()  # a new scene: the first faint read searches itself
    budgeted._resume = everything.index("crop-faint") - 1
    searches.clear()
    budgeted.scan(frame, budget_ms=1000.0)
    assert searches == ["faint"]
