"""Seeded generator of simulated photographs of printed share sheets, with ground truth.

A sample is a camera frame (BGR ``uint8``) showing a printed page that carries one QR code of a
real share (``split_credential`` payloads, whole shares or parts, QR versions 5 to 18), and the
exact text that QR code holds. Three difficulty levels model what a webcam or phone does to a
creased page held up at 3 a.m.: perspective tilt (up to ~32 deg), any in-plane rotation, small
far codes (down to ~1.8 px per module), defocus and motion blur, uneven light and shadows, low
contrast, sensor noise and JPEG artefacts.

The same seed gives the same frames and the same payloads: the share sets are made with the
randomness of ``split_credential`` replaced by a seeded generator (bench only).

Usage::

    from tests.bench.scan_corpus import generate
    for sample in generate(seed=7, per_level=120): ...
    python -m tests.bench.scan_corpus --out /tmp/corpus --per-level 4   # write PNGs to look at
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import math
import random
import types
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import cv2
import numpy as np
import numpy.typing as npt
import qrcode
import qrcode.exceptions
import qrcode.util
from qrcode.constants import ERROR_CORRECT_H, ERROR_CORRECT_L, ERROR_CORRECT_M, ERROR_CORRECT_Q

from breakglass_gui.core import sealing
from breakglass_gui.core import slip39 as core_slip39
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.secret import SecretBytes

LEVELS = ("easy", "medium", "hard")
FRAME_SIZES = ((1280, 720), (1280, 720), (1280, 720), (640, 480), (1920, 1080))
ECC = {"L": ERROR_CORRECT_L, "M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q, "H": ERROR_CORRECT_H}
VERSIONS = range(5, 19)

Image = npt.NDArray[np.uint8]
FloatImage = npt.NDArray[np.float32]


# -- ground truth: real share payloads ------------------------------------------------------------


@dataclass(frozen=True)
class Payload:
    text: str = field(repr=False)
    ecc: str
    version: int
    kind: str  # "share" or "part"
    secret_bytes: int


@contextlib.contextmanager
def _seeded_shares(seed: int) -> Iterator[None]:
    """Make ``split_credential`` deterministic for the bench (keys and SLIP-39 randomness)."""
    import shamir_mnemonic.shamir as sm

    rng = random.Random(seed)

    def rand(n: int) -> bytes:
        return bytes(rng.getrandbits(8) for _ in range(n))

    def key(length: int = 32) -> SecretBytes:
        return SecretBytes(rand(length))

    # breakglass_gui.core.slip39 draws its identifier and share randomness from ``secrets``:
    # without this the payloads (and so every frame) changed from one run to the next, and two
    # runs of the bench read different frames
    saved = (sealing.random_key, sm.RANDOM_BYTES, core_slip39.secrets)
    sealing.random_key = key  # type: ignore[assignment]
    sm.RANDOM_BYTES = rand
    core_slip39.secrets = types.SimpleNamespace(token_bytes=rand)  # type: ignore[assignment]
    try:
        yield
    finally:
        sealing.random_key, sm.RANDOM_BYTES, core_slip39.secrets = saved  # type: ignore[assignment]


def qr_version(text: str, ecc: str) -> int:
    q = qrcode.QRCode(error_correction=ECC[ecc], border=0)
    q.add_data(text)
    q.make(fit=True)
    return int(q.version)


def payload_table(seed: int) -> dict[int, list[Payload]]:
    """Real share payloads of many sizes, by the QR version each needs at each ECC level."""
    people = [
        Custodian("Ana Ruiz", "on-call"),
        Custodian("Bartholomew Okonkwo-Lindqvist", "security lead"),
        Custodian("Cy", ""),
    ]
    labels = ["", "db-root", "prod-kms-unseal-key / eu-west-1 break-glass"]
    policies = [Policy.simple(2, 3), Policy.simple(3, 5)]
    table: dict[int, list[Payload]] = {v: [] for v in VERSIONS}
    rng = random.Random(seed)
    with _seeded_shares(seed):
        for i, size in enumerate((1, 8, 16, 32, 48, 64, 100, 150, 220, 300, 400, 700, 4096)):
            policy = policies[i % 2]
            names = people[: i % 4] if i % 4 < 3 else []
            secret = bytes(rng.getrandbits(8) for _ in range(size))
            sset = split_credential(
                secret,
                policy=policy,
                label=labels[i % 3],
                custodians=names,
                created=dt.date(2024, 1, 1) + dt.timedelta(days=i),
            )
            share = sset.shares[i % len(sset.shares)]
            texts = share.qr_texts()
            kind = "share" if len(texts) == 1 else "part"
            for text in texts[:2]:
                for ecc in ECC:
                    v = qr_version(text, ecc)
                    if v in table:
                        table[v].append(Payload(text, ecc, v, kind, size))
    return table


def pick_payload(table: dict[int, list[Payload]], version: int, rng: random.Random) -> Payload:
    """A payload printed at ``version`` (a smaller one forced up to it if none needs exactly it)."""
    if table[version]:
        return rng.choice(table[version])
    smaller = [p for v in VERSIONS if v < version for p in table[v]]
    base = rng.choice(smaller)
    return Payload(base.text, base.ecc, version, base.kind, base.secret_bytes)


def qr_modules(payload: Payload) -> npt.NDArray[np.bool_]:
    q = qrcode.QRCode(version=payload.version, error_correction=ECC[payload.ecc], border=0)
    q.add_data(payload.text)
    q.make(fit=False)
    return np.array(q.get_matrix(), dtype=bool)


# -- the printed page -----------------------------------------------------------------------------


@dataclass
class Sheet:
    """A page image (float32, 1 = paper, 0 = ink) and where its QR code sits on it."""

    page: FloatImage
    qr_corners: npt.NDArray[np.float64]  # 4x2, page pixels: TL, TR, BR, BL
    module_px: float  # page pixels per module


def render_sheet(payload: Payload, rng: random.Random, px_per_module: int) -> Sheet:
    """An A4-ish share sheet drawn with OpenCV: header text, the QR code, lines of text."""
    modules = qr_modules(payload)
    n = modules.shape[0]
    qr_px = n * px_per_module
    width = int(qr_px * rng.uniform(1.9, 2.4))
    height = int(width * 1.414)
    page = np.full((height, width), 255, np.uint8)
    scale = width / 1000.0
    thick = max(1, round(2 * scale))
    y = int(80 * scale)
    for text, size in (("BREAK-GLASS SHARE", 1.3), ("SHARE 2 OF 3 - SET 7F3A-19C2-88D0-4E1B", 0.8)):
        cv2.putText(
            page, text, (int(60 * scale), y), cv2.FONT_HERSHEY_SIMPLEX, size * scale, 0, thick
        )
        y += int(55 * scale)
    x0 = (width - qr_px) // 2
    y0 = y + int(30 * scale)
    big = np.kron(modules, np.ones((px_per_module, px_per_module), dtype=bool))
    page[y0 : y0 + qr_px, x0 : x0 + qr_px][big] = 0
    y = y0 + qr_px + int(60 * scale)
    words = ["custodian", "keep", "sealed", "envelope", "quorum", "drill", "runbook", "review"]
    while y < height - 40 * scale:
        line = " ".join(rng.choice(words) for _ in range(rng.randint(4, 8)))
        cv2.putText(
            page,
            line,
            (int(60 * scale), y),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.7 * scale,
            60,
            max(1, round(1.5 * scale)),
        )
        y += int(38 * scale)
    cv2.rectangle(page, (8, 8), (width - 9, height - 9), 150, max(1, thick // 2))
    corners = np.array(
        [[x0, y0], [x0 + qr_px, y0], [x0 + qr_px, y0 + qr_px], [x0, y0 + qr_px]], np.float64
    )
    return Sheet(page.astype(np.float32) / 255.0, corners, float(px_per_module))


# -- the camera -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Distortion:
    frame_size: tuple[int, int]
    module_px: float  # frame pixels per module at the code's centre
    tilt_deg: float
    tilt_axis_deg: float
    roll_deg: float
    defocus: float  # Gaussian sigma, frame pixels
    motion: float  # motion blur length, frame pixels
    motion_angle: float
    paper: float  # paper brightness 0..1
    ink: float  # ink brightness 0..1
    gradient: float  # strength of uneven light
    shadow: float  # 0 = none, else darkening factor of a soft shadow
    crease: bool
    noise: float  # sigma, in 0..255 levels
    jpeg: int
    fov_deg: float = 65.0  # horizontal field of view: wider = stronger perspective
    glare: float = 0.0  # 0 = none, else peak brightness added by a specular highlight
    crumple: float = 0.0  # 0 = flat, else page displacement in modules (crumpled paper)


RANGES: dict[str, dict[str, tuple[float, float]]] = {
    "easy": {
        "module_px": (4.0, 8.0),
        "tilt": (0.0, 10.0),
        "defocus_rel": (0.0, 0.18),
        "motion_rel": (0.0, 0.0),
        "contrast": (0.6, 0.85),
        "gradient": (0.0, 0.2),
        "noise": (1.0, 3.0),
        "jpeg": (80, 95),
    },
    "medium": {
        "module_px": (2.4, 4.5),
        "tilt": (5.0, 22.0),
        "defocus_rel": (0.2, 0.42),
        "motion_rel": (0.5, 1.3),
        "contrast": (0.3, 0.7),
        "gradient": (0.15, 0.5),
        "noise": (2.0, 7.0),
        "jpeg": (50, 85),
    },
    "hard": {
        "module_px": (2.0, 3.6),
        "tilt": (15.0, 32.0),
        "defocus_rel": (0.28, 0.55),
        "motion_rel": (0.8, 1.6),
        "contrast": (0.2, 0.5),
        "gradient": (0.3, 0.65),
        "noise": (4.0, 10.0),
        "jpeg": (35, 70),
    },
}


# The wide generator: what a laptop webcam does that the three levels above do not (640x480 to
# 1920x1080, JPEG quality down to 30, wide-angle lenses close up, glare, crumpled paper).
WIDE_LEVELS = ("wide-easy", "wide-medium", "wide-hard")
WIDE_FRAME_SIZES = ((640, 480), (800, 600), (1024, 768), (1280, 720), (1920, 1080))
WIDE_VERSIONS = range(6, 19)
WIDE_ECC = ("M", "Q")
RANGES.update(
    {
        "wide-easy": {
            **RANGES["easy"],
            "module_px": (3.0, 7.0),
            "tilt": (0.0, 20.0),
            "jpeg": (60, 92),
            "fov": (55.0, 75.0),
            "glare": (0.0, 0.4),
            "crumple": (0.0, 0.15),
        },
        "wide-medium": {
            **RANGES["medium"],
            "module_px": (2.2, 4.5),
            "tilt": (10.0, 35.0),
            "jpeg": (40, 85),
            "fov": (60.0, 90.0),
            "glare": (0.2, 0.7),
            "crumple": (0.1, 0.35),
        },
        "wide-hard": {
            **RANGES["hard"],
            "module_px": (1.8, 3.6),
            "tilt": (20.0, 45.0),
            "jpeg": (30, 70),
            "fov": (70.0, 100.0),
            "glare": (0.4, 1.0),
            "crumple": (0.2, 0.6),
        },
    }
)


def sample_distortion(level: str, rng: random.Random, frame_size: tuple[int, int]) -> Distortion:
    r = RANGES[level]

    def u(key: str) -> float:
        lo, hi = r[key]
        return rng.uniform(lo, hi)

    module_px = u("module_px")
    use_motion = level != "easy" and rng.random() < 0.4
    contrast = u("contrast")
    paper = rng.uniform(0.55 + contrast * 0.4, 0.98)
    ink = max(0.02, paper - contrast)
    shadow_p = {"easy": 0.0, "medium": 0.3, "hard": 0.5}[level.removeprefix("wide-")]
    extra: dict[str, float] = {}
    if level.startswith("wide-"):
        extra["fov_deg"] = u("fov")
        extra["glare"] = u("glare") if rng.random() < 0.5 else 0.0
        extra["crumple"] = u("crumple") if rng.random() < 0.6 else 0.0
    return Distortion(
        frame_size=frame_size,
        module_px=module_px,
        tilt_deg=u("tilt"),
        tilt_axis_deg=rng.uniform(0, 360),
        roll_deg=rng.uniform(0, 360),
        defocus=0.0 if use_motion else u("defocus_rel") * module_px,
        motion=u("motion_rel") * module_px if use_motion else 0.0,
        motion_angle=rng.uniform(0, 180),
        paper=paper,
        ink=ink,
        gradient=u("gradient"),
        shadow=rng.uniform(0.45, 0.8) if rng.random() < shadow_p else 0.0,
        crease=level != "easy" and rng.random() < 0.4,
        noise=u("noise"),
        jpeg=int(u("jpeg")),
        **extra,
    )


def _rotation(tilt: float, axis: float, roll: float) -> npt.NDArray[np.float64]:
    t, a, z = (math.radians(v) for v in (tilt, axis, roll))
    ux, uy = math.cos(a), math.sin(a)
    # Rodrigues: rotate by t about the in-plane axis (ux, uy, 0)
    k = np.array([[0, 0, uy], [0, 0, -ux], [-uy, ux, 0]], np.float64)
    tilt_m = np.eye(3) + math.sin(t) * k + (1 - math.cos(t)) * (k @ k)
    roll_m = np.array(
        [[math.cos(z), -math.sin(z), 0], [math.sin(z), math.cos(z), 0], [0, 0, 1]], np.float64
    )
    return np.asarray(tilt_m @ roll_m, np.float64)


def _project(
    points: npt.NDArray[np.float64], rot: npt.NDArray[np.float64], dist: float, focal: float
) -> npt.NDArray[np.float64]:
    p3 = np.c_[points, np.zeros(len(points))] @ rot.T
    p3[:, 2] += dist
    return np.asarray(focal * p3[:, :2] / p3[:, 2:3], np.float64)


def _crumple(page: FloatImage, amount_px: float, rng: np.random.Generator) -> FloatImage:
    """Crumpled paper: a smooth random displacement of ``amount_px`` page pixels, with the
    shading of the creases it makes (light from one side)."""
    ph, pw = page.shape
    cells = (int(rng.integers(3, 7)), int(rng.integers(3, 7)))
    height = rng.standard_normal(cells).astype(np.float32)
    height = cv2.resize(height, (pw, ph), interpolation=cv2.INTER_CUBIC)
    gy, gx = np.gradient(height)
    norm = float(max(np.abs(gx).max(), np.abs(gy).max(), 1e-6))
    gx, gy = gx / norm, gy / norm
    xx, yy = np.meshgrid(np.arange(pw, dtype=np.float32), np.arange(ph, dtype=np.float32))
    warped = cv2.remap(
        page,
        xx + np.float32(amount_px) * height * gx,
        yy + np.float32(amount_px) * height * gy,
        cv2.INTER_LINEAR,
        borderMode=cv2.BORDER_REPLICATE,
    )
    shade = 1.0 + 0.12 * min(1.0, amount_px / 4) * (gx * 0.8 + gy * 0.6)
    return np.asarray(np.clip(warped * shade, 0, 1.1), np.float32)


def _background(w: int, h: int, rng: np.random.Generator) -> FloatImage:
    small = rng.random((max(2, h // 80), max(2, w // 80), 3)).astype(np.float32)
    grey = small.mean(axis=2, keepdims=True)
    small = grey + 0.3 * (small - grey)  # a desk, not a rainbow
    base = rng.uniform(0.15, 0.55) + rng.uniform(-0.05, 0.05, 3).astype(np.float32)
    bg = cv2.resize(small, (w, h), interpolation=cv2.INTER_CUBIC)
    out = base + 0.35 * (bg - 0.5) + 0.03 * rng.standard_normal((h, w, 3), dtype=np.float32)
    return np.asarray(np.clip(out, 0, 1), np.float32)


def photograph(sheet: Sheet, d: Distortion, seed: int) -> tuple[Image, npt.NDArray[np.float64]]:
    """A simulated camera frame of ``sheet`` under ``d`` (supersampled 2x), and the code's corners
    in frame pixels (TL, TR, BR, BL of the printed code)."""
    rng = np.random.default_rng(seed)
    w, h = d.frame_size
    ss = 2
    W, H = w * ss, h * ss
    focal = W / (2 * math.tan(math.radians(d.fov_deg) / 2))
    rot = _rotation(d.tilt_deg, d.tilt_axis_deg, d.roll_deg)
    centre = sheet.qr_corners.mean(axis=0)
    # page pixels -> mm-free model units: one module = 1 unit
    qr_local = (sheet.qr_corners - centre) / sheet.module_px
    module_px = d.module_px
    for _ in range(20):
        dist = focal / (module_px * ss)
        quad = _project(qr_local, rot, dist, focal)
        span = quad.max(axis=0) - quad.min(axis=0)
        if span[0] < 0.85 * W and span[1] < 0.85 * H:
            break
        module_px *= 0.9
    lo = -quad.min(axis=0) + 0.04 * np.array([W, H])
    hi = np.array([W, H]) - quad.max(axis=0) - 0.04 * np.array([W, H])
    offset = np.array(
        [rng.uniform(lo[0], max(lo[0], hi[0])), rng.uniform(lo[1], max(lo[1], hi[1]))]
    )
    ph, pw = sheet.page.shape
    page_corners = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], np.float64)
    page_local = (page_corners - centre) / sheet.module_px
    dst = _project(page_local, rot, dist, focal) + offset
    matrix = cv2.getPerspectiveTransform(page_corners.astype(np.float32), dst.astype(np.float32))

    page = sheet.page
    if d.crease:
        # a fold line across the page: a darker band with a bright edge
        y = rng.uniform(0.2, 0.8) * ph
        slope = rng.uniform(-0.15, 0.15)
        yy = np.arange(ph, dtype=np.float32)[:, None]
        xx = np.arange(pw, dtype=np.float32)[None, :]
        dline = (yy - y - slope * (xx - pw / 2)) / (0.004 * ph)
        page = page * (1 - 0.25 * np.exp(-(dline**2))) + 0.06 * np.exp(-((dline - 2) ** 2))
        page = np.asarray(page, np.float32)
    if d.crumple:
        page = _crumple(page, sheet.module_px * d.crumple, rng)
    lum_page = np.asarray(d.ink + (d.paper - d.ink) * np.clip(page, 0, 1), np.float32)
    warped = cv2.warpPerspective(lum_page, matrix, (W, H), flags=cv2.INTER_LINEAR)
    mask = cv2.warpPerspective(
        np.ones_like(page), matrix, (W, H), flags=cv2.INTER_LINEAR, borderValue=0.0
    )
    bg = _background(w, h, rng)
    bg_grey = np.asarray(bg.mean(axis=2), np.float32)
    grey = warped * mask + cv2.resize(bg_grey, (W, H)) * (1 - mask)

    # uneven light: a linear ramp, a vignette, maybe a soft shadow edge (smooth: low resolution)
    lw, lh = W // 8, H // 8
    yy = (np.arange(lh, dtype=np.float32)[:, None] + 0.5) * 8
    xx = (np.arange(lw, dtype=np.float32)[None, :] + 0.5) * 8
    ang = rng.uniform(0, 2 * math.pi)
    ramp = ((xx / W - 0.5) * math.cos(ang) + (yy / H - 0.5) * math.sin(ang)) * 2
    light = 1.0 + d.gradient * 0.5 * ramp
    vig = ((xx / W - 0.5) ** 2 + (yy / H - 0.5) ** 2) * 2
    light = light * (1.0 - 0.35 * d.gradient * vig)
    if d.shadow:
        cx, cy = offset + rng.normal(0, 0.1, 2) * np.array([W, H])
        sa = rng.uniform(0, 2 * math.pi)
        side = (xx - cx) * math.cos(sa) + (yy - cy) * math.sin(sa)
        soft = 1 / (1 + np.exp(-side / (0.02 * W)))
        light = light * (1 - (1 - d.shadow) * soft)
    grey = grey * cv2.resize(np.asarray(light, np.float32), (W, H), interpolation=cv2.INTER_LINEAR)
    if d.glare:
        # a specular highlight (a lamp on glossy paper or a sleeve) near the code: saturates
        qc = quad.mean(axis=0) + offset + rng.normal(0, 0.25, 2) * span
        radius = rng.uniform(0.08, 0.3) * float(max(span))
        gy = np.arange(H, dtype=np.float32)[:, None] - np.float32(qc[1])
        gx = np.arange(W, dtype=np.float32)[None, :] - np.float32(qc[0])
        stretch = rng.uniform(1.0, 2.5)
        spot = np.exp(-((gx / stretch) ** 2 + (gy * stretch / 2) ** 2) / np.float32(radius**2))
        grey = np.minimum(grey + np.float32(d.glare) * spot, 1.0)

    if d.defocus > 0.05:
        grey = cv2.GaussianBlur(grey, (0, 0), d.defocus * ss)
    if d.motion > 0.5:
        length = max(3, round(d.motion * ss) | 1)
        kernel = np.zeros((length, length), np.float32)
        kernel[length // 2, :] = 1.0
        rotm = cv2.getRotationMatrix2D((length / 2 - 0.5, length / 2 - 0.5), d.motion_angle, 1.0)
        kernel = cv2.warpAffine(kernel, rotm, (length, length))
        kernel /= kernel.sum()
        grey = cv2.filter2D(grey, -1, kernel)
    # the lens's own softness, then the sensor samples at frame resolution
    grey = cv2.GaussianBlur(grey, (0, 0), 0.5 * ss)
    grey = cv2.resize(grey, (w, h), interpolation=cv2.INTER_AREA)
    small_mask = cv2.resize(mask, (w, h), interpolation=cv2.INTER_AREA)[:, :, None]
    tint = np.array([0.96, 1.0, 1.02], np.float32) * rng.uniform(0.97, 1.03, 3).astype(np.float32)
    bg_tint = bg / np.maximum(bg_grey[:, :, None], 1e-3)
    colour = tint[None, None, :] * small_mask + bg_tint * (1 - small_mask)
    img = grey[:, :, None] * colour * 255
    img = img + np.float32(d.noise) * rng.standard_normal(img.shape, dtype=np.float32)
    frame = np.clip(img, 0, 255).astype(np.uint8)
    ok, buf = cv2.imencode(".jpg", frame, [cv2.IMWRITE_JPEG_QUALITY, d.jpeg])
    assert ok
    qr_quad = (quad + offset) / ss
    return np.asarray(cv2.imdecode(buf, cv2.IMREAD_COLOR), np.uint8), qr_quad


# -- the corpus -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Sample:
    index: int
    level: str
    image: Image = field(repr=False)
    truth: str = field(repr=False)
    quad: npt.NDArray[np.float64] = field(repr=False)
    version: int
    ecc: str
    kind: str
    distortion: Distortion
    source: str = "opencv-sheet"

    @property
    def size(self) -> tuple[int, int]:
        return (int(self.image.shape[1]), int(self.image.shape[0]))


def generate(
    seed: int = 7,
    per_level: int = 120,
    levels: Sequence[str] = LEVELS,
    frame_sizes: Sequence[tuple[int, int]] = FRAME_SIZES,
) -> Iterator[Sample]:
    """``per_level`` samples at each level, QR versions cycling through 5..18."""
    table = payload_table(seed)
    index = 0
    for li, level in enumerate(levels):
        rng = random.Random(seed * 1000 + li)
        for i in range(per_level):
            version = VERSIONS[i % len(VERSIONS)]
            payload = pick_payload(table, version, rng)
            size = frame_sizes[i % len(frame_sizes)]
            d = sample_distortion(level, rng, size)
            sheet = render_sheet(payload, rng, px_per_module=max(3, math.ceil(d.module_px * 2)))
            image, quad = photograph(sheet, d, seed=rng.getrandbits(32))
            yield Sample(
                index, level, image, payload.text, quad, version, payload.ecc, payload.kind, d
            )
            index += 1


ALNUM = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ $%*+-./:"


def _alnum_version(length: int, ecc: str) -> int:
    """The smallest version that holds ``length`` alphanumeric characters (41: none does)."""
    q = qrcode.QRCode(error_correction=ECC[ecc], border=0)
    q.add_data(qrcode.util.QRData(b"A" * length, mode=qrcode.util.MODE_ALPHA_NUM))
    try:
        return int(q.best_fit())
    except (ValueError, qrcode.exceptions.DataOverflowError):
        return 41


def alnum_payload(version: int, ecc: str, rng: random.Random) -> Payload:
    """A random alphanumeric-mode text that needs exactly ``version`` at ``ecc``."""
    lo, hi = 1, 4300
    while lo < hi:  # the longest text that fits ``version``
        mid = (lo + hi + 1) // 2
        if _alnum_version(mid, ecc) <= version:
            lo = mid
        else:
            hi = mid - 1
    longest = lo
    lo, hi = 1, longest
    while lo < hi:  # the shortest text that needs ``version``
        mid = (lo + hi) // 2
        if _alnum_version(mid, ecc) >= version:
            hi = mid
        else:
            lo = mid + 1
    text = "".join(rng.choice(ALNUM) for _ in range(rng.randint(lo, longest)))
    return Payload(text, ecc, version, "alnum", 0)


def generate_wide(
    seed: int = 7, per_level: int = 60, levels: Sequence[str] = WIDE_LEVELS
) -> Iterator[Sample]:
    """The wide generator: frames of 640x480 to 1920x1080, QR versions 6 to 18 at error
    correction M and Q, share texts and alphanumeric payloads, JPEG quality 30 to 92, tilt up to
    45 degrees through wide-angle lenses, glare and crumpled paper (see ``RANGES``)."""
    table = payload_table(seed)
    index = 20_000
    for li, level in enumerate(levels):
        rng = random.Random(seed * 31 + li)
        for i in range(per_level):
            version = WIDE_VERSIONS[i % len(WIDE_VERSIONS)]
            ecc = WIDE_ECC[(i // len(WIDE_VERSIONS)) % 2]
            shares = [p for p in table[version] if p.ecc == ecc]
            # every other frame a real share text, else an alphanumeric payload
            payload = rng.choice(shares) if i % 2 and shares else alnum_payload(version, ecc, rng)
            size = WIDE_FRAME_SIZES[(i // 2) % len(WIDE_FRAME_SIZES)]
            d = sample_distortion(level, rng, size)
            sheet = render_sheet(payload, rng, px_per_module=max(3, math.ceil(d.module_px * 2)))
            image, quad = photograph(sheet, d, seed=rng.getrandbits(32))
            yield Sample(
                index, level, image, payload.text, quad, version, ecc, payload.kind, d, "wide"
            )
            index += 1


def photograph_page(
    page: FloatImage, qr_corners: npt.NDArray[np.float64], modules: int, d: Distortion, seed: int
) -> Image:
    """Photograph any page image (e.g. a rasterised share-sheet PDF) whose QR corners are known."""
    side = float(np.linalg.norm(qr_corners[1] - qr_corners[0]))
    return photograph(Sheet(page, qr_corners, side / modules), d, seed)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True)
    parser.add_argument("--per-level", type=int, default=4)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    for s in generate(args.seed, args.per_level):
        name = f"{s.index:03d}-{s.level}-v{s.version}{s.ecc}.jpg"
        cv2.imwrite(str(args.out / name), s.image)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())


# -- helpers for tests and for photographs of real share-sheet PDFs --------------------------------


def photo_of_text(
    text: str,
    *,
    level: str = "easy",
    seed: int = 1,
    frame_size: tuple[int, int] = (1280, 720),
    ecc: str = "M",
) -> tuple[Image, npt.NDArray[np.float64]]:
    """A simulated photograph of a sheet carrying ``text`` in one QR code, and its corners."""
    rng = random.Random(seed)
    payload = Payload(text, ecc, qr_version(text, ecc), "any", 0)
    d = sample_distortion(level, rng, frame_size)
    sheet = render_sheet(payload, rng, px_per_module=max(3, math.ceil(d.module_px * 2)))
    return photograph(sheet, d, seed=rng.getrandbits(32))


@dataclass(frozen=True)
class PdfCode:
    text: str = field(repr=False)
    corners: npt.NDArray[np.float64]  # TL, TR, BR, BL on the rasterised page
    modules: int


def rasterise_pdf(pdf: bytes, dpi: int = 200) -> tuple[FloatImage, list[PdfCode]]:
    """Page 1 of a PDF as a float page image (1 = paper), and the QR codes printed on it (read
    from the clean raster with zxing-cpp, which gives their corners and versions)."""
    import pypdfium2 as pdfium
    import zxingcpp

    doc = pdfium.PdfDocument(pdf)
    try:
        bitmap = doc[0].render(scale=dpi / 72, grayscale=True)
        raster = np.array(bitmap.to_numpy(), dtype=np.uint8)
    finally:
        doc.close()
    if raster.ndim == 3:
        raster = raster[:, :, 0]
    codes = []
    for r in zxingcpp.read_barcodes(raster, formats=zxingcpp.BarcodeFormat.QRCode):
        p = r.position
        corners = np.array(
            [[q.x, q.y] for q in (p.top_left, p.top_right, p.bottom_right, p.bottom_left)],
            np.float64,
        )
        modules = 17 + 4 * qr_version_from_text(r.text)
        codes.append(PdfCode(r.text, corners, modules))
    return raster.astype(np.float32) / 255.0, codes


def qr_version_from_text(text: str) -> int:
    """The version the paper module prints ``text`` at (its own encoder, ECC M)."""
    from breakglass_gui.paper.qr import make_qr

    return int(make_qr(text).version)
