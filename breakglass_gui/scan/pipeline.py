"""The decode pipeline: a camera frame in, checked share payloads (and where they are) out.

frame -> grey -> a cheap pass of the primary decoder over the whole frame. Only when that
reads no share do the costly stages run, each on a few small crops rather than the frame:

0. the whole frame once more with zxing-cpp's global-histogram binarizer (one threshold:
   reads codes the local binarizer breaks up);
1. regions: places that look like a 2-D code (dense, square texture; see
   :func:`enhance.code_regions`) plus places where the decoder saw a code it could not read;
2. each region is cut out, scaled up so modules are several pixels wide, sharpened (unsharp
   mask against defocus and motion blur) and decoded again; then plain, then with local
   contrast normalisation (shadows, dim prints), then strongly sharpened, then with the
   global binarizer plain and smoothed;
3. a region whose corners are known (a failed read reports them) is also rectified: warped to
   a square, which undoes perspective tilt, and decoded once more;
4. last, one faint square that only shows once edges are judged against their surroundings.

A place where the cheap pass already read a code (not a share) is not searched again, and
then each other place gets one quick look only; an unbudgeted scan (``breakglass scan``, a
loaded photo) then looks only where the decoder saw a code it could not read (on the bench and
the public photo set, the region finder's guesses beside a code already read held a code in none
of 240 frames, and searching them doubled the time of every frame with a non-share code).

Unbudgeted scans also give up on a region once two sharpened reads of it found not even a
code's outline there (the costlier retries of that region never read one that those two did not
at least see). The camera's budgeted scan keeps every step (see :meth:`FrameScanner.scan`).

OpenCV runs on one thread here (:func:`_one_opencv_thread`): its thread pool splits work too
small to gain from it (640-pixel morphology, a crop's blur) and its idle workers spin, so a busy
2-core machine saw each frame take 3-9 times its CPU time in wall-clock time.

A payload is accepted only when it parses as a share or a share part
(:func:`breakglass_gui.core.share.parse_text`: checksums, Merkle path). Everything else (a
URL, a Wi-Fi code, a damaged share) is reported as rejected, with a reason and no content.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

from breakglass_gui.core.errors import ShareError
from breakglass_gui.core.share import Share, SharePart, parse_text

from .decoders import (
    ArucoDecoder,
    Decoder,
    Detection,
    Frame,
    Quad,
    ZxingDecoder,
    to_grey,
    zxing_available,
)
from .enhance import code_regions, crop_region, rectify, sharpen, stretch_contrast

__all__ = ["Accepted", "FrameScanner", "Rejected", "ScanResult"]


@dataclass(frozen=True)
class Accepted:
    """A code that holds a share or a share part (``item``). ``text`` is share material: never
    log it. With ``FrameScanner(shares_only=False)`` other codes are accepted too, with
    ``item`` None and ``reason`` saying why they are not a share."""

    detection: Detection
    item: Share | SharePart | None
    reason: str = ""

    @property
    def text(self) -> str:
        return self.detection.text

    @property
    def quad(self) -> Quad:
        return self.detection.quad


@dataclass(frozen=True)
class Rejected:
    """A code that was read but is not a share (or a damaged one). Holds no content."""

    quad: Quad
    reason: str


@dataclass(frozen=True)
class ScanResult:
    accepted: list[Accepted] = field(default_factory=list)
    rejected: list[Rejected] = field(default_factory=list)
    stage: str = ""  # which stage read the accepted codes ("" if none)
    elapsed_ms: float = 0.0
    # False when a budgeted scan stopped before every step had run, in this frame or (since
    # the last read) the frames before it: "no share read" then does not mean "no share in
    # view" (the camera must not take it for a sheet taken away)
    complete: bool = True
    # the steps that ran, in order ("direct" first): what the bench counts per step
    steps: tuple[str, ...] = ()

    @property
    def found(self) -> bool:
        return bool(self.accepted)

    @property
    def quads(self) -> list[Quad]:
        """Outlines of every code read (accepted first), frame pixels, for the GUI to draw."""
        return [a.quad for a in self.accepted] + [r.quad for r in self.rejected]

    @property
    def texts(self) -> list[str]:
        return [a.text for a in self.accepted]


class FrameScanner:
    """Reads share QR codes from frames. Safe to reuse; not to share between threads.

    ``thorough=False`` keeps only the cheap whole-frame pass (for preview rates on very slow
    machines); the default runs the recovery stages when the cheap pass reads no share.
    ``shares_only=False`` also accepts codes that are not shares (``breakglass scan``).
    """

    def __init__(
        self,
        decoder: Decoder | None = None,
        *,
        thorough: bool = True,
        shares_only: bool = True,
        max_regions: int = 3,
    ) -> None:
        _one_opencv_thread()
        if decoder is None:
            decoder = ZxingDecoder() if zxing_available() else ArucoDecoder()
        self.decoder = decoder
        # on a crop the code is large and dark on light: skip the inverted and shrunk passes
        self.crop_decoder: Decoder = (
            ZxingDecoder(try_invert=False, try_downscale=False)
            if isinstance(decoder, ZxingDecoder)
            else decoder
        )
        # zxing-cpp's global-histogram binarizer: one threshold for the whole image, which
        # reads codes whose modules the local one breaks up (crumpled paper, coarse JPEG
        # blocks, busy backgrounds inside the code's neighbourhood)
        self.global_decoder: Decoder | None = None
        self.crop_global_decoder: Decoder | None = None
        if isinstance(decoder, ZxingDecoder) and decoder.binarizer == "local":
            self.global_decoder = ZxingDecoder(binarizer="global")
            self.crop_global_decoder = ZxingDecoder(
                binarizer="global", try_invert=False, try_downscale=False
            )
        self.thorough = thorough
        self.shares_only = shares_only
        self.max_regions = max_regions
        self._resume = 0  # the budgeted scan's next recovery step
        self._cost: dict[str, float] = {}  # each step's recent cost, ms
        self._budgeted = False  # the scan under way has a budget (the camera)
        # recovery steps the budgeted scan has run since it last read a share: once they
        # make a whole rotation, the scene in view has been searched through
        self._dry_steps = 0
        # where the last search found a faint square: () none, None not searched (this scene)
        self._faint: tuple[Quad, ...] | None = None

    # -- the ceremony's QrDecoder port -----------------------------------------------------
    def decode(self, frame: Frame) -> list[str]:
        """The payloads read from ``frame`` (the ``ceremony.ports.QrDecoder`` port)."""
        return self.scan(frame).texts

    # -- the pipeline ------------------------------------------------------------------------
    def scan(self, frame: Frame, *, budget_ms: float | None = None) -> ScanResult:
        """Read ``frame``: the cheap pass, then (``thorough``) the recovery steps until one reads
        a share. Codes that are not shares (kept with ``shares_only=False``) do not end the
        search; they are returned after the shares.

        With ``budget_ms`` (the camera) the cheap pass always runs, then recovery steps run only
        while the frame's time (this thread's CPU time, so a busy machine does not starve the
        steps) stays within the budget; the next frame resumes where this one
        stopped, so a run of frames of the same scene gets every step while each frame stays
        within its budget. Without it (``breakglass scan``, a loaded photo) every step runs.
        """
        start = time.perf_counter()
        cpu = time.thread_time()
        grey = np.ascontiguousarray(to_grey(np.asarray(frame)))
        rejected: list[Rejected] = []
        seen: set[str] = set()
        self._budgeted = budget_ms is not None
        steps = self._steps(grey)
        others: list[Accepted] = []  # codes that are not shares (``shares_only=False``)
        ran: list[str] = []

        def result(found: list[Accepted], stage: str) -> ScanResult:
            ran.append(stage)
            shares = [a for a in found if a.item is not None]
            others.extend(a for a in found if a.item is None)
            if not shares:
                return ScanResult([], rejected, "", 0.0)
            return ScanResult(shares + others, rejected, stage, _ms(start), steps=tuple(ran))

        direct = next(steps)
        done = result(self._judge(direct[1](), seen, rejected), direct[0])
        if done.found:
            self._faint = None  # a sheet read: the next one is held elsewhere
            self._dry_steps = 0
            return done
        plan = list(steps) if self.thorough else []
        if budget_ms is None:
            order = list(range(len(plan)))
        else:  # resume where the last frame stopped, then wrap round
            first = self._resume % len(plan) if plan else 0
            order = [(first + k) % len(plan) for k in range(len(plan))]
        tried = 0
        for index in order:
            name, run = plan[index]
            if budget_ms is not None:
                spent = _cpu_ms(cpu)
                guess = self._cost.get(name, _FIRST_GUESS_MS)
                # one step per frame at least while half the budget is left, or a step that
                # is dearer than the budget would stop the rotation for good
                if spent + guess > budget_ms and (tried or spent > budget_ms / 2):
                    break
            began = time.thread_time()
            done = result(self._judge(run(), seen, rejected), name)
            took = _cpu_ms(began)
            self._cost[name] = next_guess(self._cost.get(name), took)
            tried += 1
            if done.found:
                self._resume = 0  # the next scene starts from the likeliest step again
                self._faint = None
                self._dry_steps = 0
                return done
        complete = tried >= len(plan)
        if budget_ms is not None:
            self._resume = 0 if complete else (order[0] + tried) if plan else 0
            # frames cut short by the budget, taken together: once the steps run since the
            # last read make a whole rotation, nothing here can be read (the sheet was taken
            # away), though no single frame ran every step
            self._dry_steps += tried
            if self._dry_steps >= len(plan):
                complete = True
        # no share: the other codes read, if any (they do not stop the search for a share)
        return ScanResult(
            others, rejected, "direct" if others else "", _ms(start), complete, tuple(ran)
        )

    def reset(self) -> None:
        """Forget where the budgeted scan stopped (a new camera, a new scene)."""
        self._resume = 0
        self._faint = None
        self._dry_steps = 0

    def _judge(
        self, detections: list[Detection], seen: set[str], rejected: list[Rejected]
    ) -> list[Accepted]:
        accepted: list[Accepted] = []
        for det in detections:
            if det.text in seen:
                continue
            seen.add(det.text)
            try:
                item = parse_text(det.text)
            except (ShareError, ValueError) as exc:
                reason = getattr(exc, "reason", "not a Breakglass share")
                if self.shares_only:
                    rejected.append(Rejected(det.quad, reason))
                else:
                    accepted.append(Accepted(det, None, reason))
                continue
            accepted.append(Accepted(det, item))
        return accepted

    def _steps(self, grey: Frame) -> Iterator[tuple[str, Callable[[], list[Detection]]]]:
        """The direct pass first, then each recovery step as a named call not yet made (so a
        budgeted scan pays only for the steps it runs). Regions are found after the direct
        pass, which also reports where it saw codes it could not read. A region where the
        direct pass already read a code (one that is not a share, or the search would have
        ended) is not searched again: the code there has been read. Unbudgeted, once a code
        was read, the region finder is not consulted at all, and a region whose first two
        reads saw no code at all gets no costlier retries (see the module's notes)."""
        budgeted = self._budgeted
        misses: list[Quad] = []
        read: list[Quad] = []

        def direct() -> list[Detection]:
            found, missed = self._read(grey)
            misses.extend(missed)
            read.extend(d.quad for d in found)
            return found

        yield "direct", direct
        if not self.thorough:
            return
        # once the direct pass has read a code (one that is not a share), only places away
        # from it are searched: no whole-frame retries, no faint squares
        if self.global_decoder is not None and not read:
            yield "direct-global", functools.partial(self._read_with, self.global_decoder, grey)
        if read and not budgeted:
            regions: list[Quad] = []
        else:
            regions = [r.quad for r in code_regions(grey, limit=self.max_regions, faint=0)]
        misses[:] = [q for q in misses if not _covered(q, read)]
        regions = [q for q in regions if not _covered(q, read)]
        # a place where the decoder saw a code but could not read it comes first
        for rank, quad in enumerate(misses + regions):
            cropped = _LazyCrop(grey, quad, give_up=not budgeted)
            variants: list[tuple[str, Callable[[Frame], Frame]]] = [
                ("crop-sharpened", sharpen),
                ("crop-smoothed-sharpened", _smooth_then_sharpen),
            ]
            if read:  # a code was read elsewhere: one quick look at each other place
                variants = variants[:1]
            elif rank == 0:  # the likeliest place gets the costlier tries too
                variants += [
                    ("crop-contrast", lambda c: sharpen(stretch_contrast(c))),
                    ("crop-sharpened-strong", lambda c: sharpen(c, sigma=5.0, amount=2.5)),
                ]
            for name, enhance in variants:
                yield name, functools.partial(self._read_crop, cropped, enhance)
            if self.crop_global_decoder is not None and not read:
                for name, enhance in (("crop-global", _same), ("crop-global-smoothed", _smooth)):
                    yield (
                        name,
                        functools.partial(
                            self._read_crop, cropped, enhance, self.crop_global_decoder
                        ),
                    )
        for quad in misses:
            yield "rectified", functools.partial(self._read_rectified, grey, quad, False)
            yield "rectified-sharpened", functools.partial(self._read_rectified, grey, quad, True)
        if not read:
            # the faintest chance last, as four steps (each within a frame's budget): the
            # square is looked for (a search of the whole frame), then read sharpened, then
            # with the global binarizer plain and smoothed
            faint = _LazyFaint(grey, [*misses, *regions], self)
            yield "find-faint", faint.find
            yield "crop-faint", functools.partial(self._read_faint, faint, sharpen, None)
            if self.crop_global_decoder is not None:
                for name, enhance in (
                    ("crop-faint-global", _same),
                    ("crop-faint-global-smoothed", _smooth),
                ):
                    yield (
                        name,
                        functools.partial(
                            self._read_faint, faint, enhance, self.crop_global_decoder
                        ),
                    )

    def _read_faint(
        self,
        faint: _LazyFaint,
        enhance: Callable[[Frame], Frame],
        decoder: Decoder | None,
    ) -> list[Detection]:
        """A square that only shows once edges are judged against their surroundings (see
        :func:`enhance.code_regions`), not one of the places known; found the first time one
        of the faint steps runs."""
        cropped = faint.get()
        if cropped is None:
            return []
        return self._read_crop(cropped, enhance, decoder)

    def _read_crop(
        self,
        cropped: _LazyCrop,
        enhance: Callable[[Frame], Frame],
        decoder: Decoder | None = None,
    ) -> list[Detection]:
        if cropped.empty:
            return []
        crop, scale, origin = cropped.get()
        if crop.size == 0:
            return []
        if decoder is None:
            found, missed = self._read(enhance(crop), crop=True)
        else:
            found = decoder.decode(enhance(crop))
            missed = []
        cropped.looked(bool(found or missed))
        return [d.scaled(1.0 / scale, origin) for d in found]

    def _read_with(self, decoder: Decoder, image: Frame) -> list[Detection]:
        return decoder.decode(image)

    def _read_rectified(self, grey: Frame, quad: Quad, sharpened: bool) -> list[Detection]:
        square, back = rectify(grey, quad)
        found, _ = self._read(sharpen(square) if sharpened else square, crop=True)
        return [d.mapped(back) for d in found]

    def _read(self, image: Frame, *, crop: bool = False) -> tuple[list[Detection], list[Quad]]:
        decoder = self.crop_decoder if crop else self.decoder
        reader = getattr(decoder, "decode_with_misses", None)
        if reader is not None:
            found, misses = reader(image)
            return list(found), list(misses)
        return decoder.decode(image), []


def next_guess(old: float | None, took: float) -> float:
    """A recovery step's expected cost after a run that took ``took`` ms. Its cost varies with
    the crop it gets (1 to 12 ms for the same step on the bench's hard frames): the guess
    follows a dearer run at once and a cheaper one slowly, so a frame does not bet its budget
    on the cheap case."""
    return took if old is None else max(took, 0.85 * old + 0.15 * took)


_FIRST_GUESS_MS = 4.0  # a recovery step's cost before one has been timed (1280x720, 2 cores)


#: Reads of a region that see no code at all (not even one they cannot read) before an
#: unbudgeted scan gives the region up.
_EMPTY_AFTER = 2


class _LazyFaint:
    """The faint square's crop (or None when there is none). ``find`` (a step of its own)
    looks for it in this frame; the reads that follow in later frames of a budgeted scan use
    where the last search found it (the sheet is held still), so no read step pays for a search
    of the whole frame; without a search yet, the first read looks for it."""

    def __init__(self, grey: Frame, known: list[Quad], scanner: FrameScanner) -> None:
        self._grey = grey
        self._known = known
        self._scanner = scanner
        self._looked = False
        self._crop: _LazyCrop | None = None

    def find(self) -> list[Detection]:
        """Look for the square (it reads nothing)."""
        self._looked = True
        faint = [
            r.quad
            for r in code_regions(self._grey, limit=0, faint=2)
            if not _covered(r.quad, self._known)
        ]
        self._scanner._faint = (faint[0],) if faint else ()
        self._crop = _LazyCrop(self._grey, faint[0]) if faint else None
        return []

    def get(self) -> _LazyCrop | None:
        if not self._looked:
            remembered = self._scanner._faint
            if remembered is None:
                self.find()
            else:
                self._looked = True
                self._crop = _LazyCrop(self._grey, remembered[0]) if remembered else None
        return self._crop


class _LazyCrop:
    """A region's crop, cut and scaled once, on first use. With ``give_up``, it counts the reads
    that saw nothing there, and is :attr:`empty` after :data:`_EMPTY_AFTER` of them in a row
    with nothing seen in any."""

    def __init__(self, grey: Frame, quad: Quad, *, give_up: bool = False) -> None:
        self._grey = grey
        self._quad = quad
        self._done: tuple[Frame, float, tuple[float, float]] | None = None
        self._give_up = give_up
        self._blank = 0
        self._seen = False

    @property
    def empty(self) -> bool:
        return self._give_up and not self._seen and self._blank >= _EMPTY_AFTER

    def looked(self, saw_code: bool) -> None:
        self._seen = self._seen or saw_code
        self._blank += not saw_code

    def get(self) -> tuple[Frame, float, tuple[float, float]]:
        if self._done is None:
            self._done = crop_region(self._grey, self._quad)
        return self._done


def _covered(quad: Quad, codes: list[Quad]) -> bool:
    """Whether ``quad``'s centre lies inside one of ``codes`` (a code already read)."""
    cx = sum(x for x, _ in quad) / len(quad)
    cy = sum(y for _, y in quad) / len(quad)
    for code in codes:
        contour = np.asarray(code, np.float32).reshape(-1, 1, 2)
        if len(code) >= 3 and cv2.pointPolygonTest(contour, (cx, cy), False) >= 0:
            return True
    return False


def _same(crop: Frame) -> Frame:
    return crop


def _smooth(crop: Frame) -> Frame:
    """Smooth sensor noise, JPEG blocks and paper texture (for a global threshold)."""
    return np.asarray(cv2.GaussianBlur(crop, (0, 0), 1.5), np.uint8)


def _smooth_then_sharpen(crop: Frame) -> Frame:
    """Smooth sensor noise and JPEG blocks first, so sharpening does not amplify them."""
    return sharpen(np.asarray(cv2.GaussianBlur(crop, (0, 0), 1.5), np.uint8), 3.0, 2.0)


def _ms(start: float) -> float:
    return (time.perf_counter() - start) * 1000.0


def _cpu_ms(start: float) -> float:
    """This thread's CPU time since ``start`` (``time.thread_time``): what the budget counts,
    so that other programs busy on the same cores make a frame slower, not shorter."""
    return (time.thread_time() - start) * 1000.0


def _one_opencv_thread() -> None:
    """Run OpenCV's own work on the calling thread (process-wide; see the module's notes)."""
    if cv2.getNumThreads() != 1:
        cv2.setNumThreads(1)
