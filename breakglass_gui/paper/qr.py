"""Vector QR codes, encoded fast enough for large secrets.

Share texts are "BG2" followed by digits; encoding them as an alphanumeric segment and a
numeric segment (3 digits in 10 bits) keeps the biggest single record at version 12 with
error correction M. Modules are drawn as one filled path of row runs (no hairline seams
when rasterised), with the full 4-module quiet zone left white.

The matrix is exactly the one ``qrcode`` builds for the same segments, mask choice included
(a unit test compares them module for module), made faster: the segments' bits are packed in
one integer instead of bit by bit, each version's layout (function patterns, format
information of each mask, the order data modules are filled in) is built once and cached,
Reed-Solomon codewords of all blocks are computed at once with numpy, and the eight masks are
applied and scored with numpy (ISO/IEC 18004 penalty rules N1-N4, as ``qrcode`` applies them)
instead of eight passes of pure-Python placement and scoring.
"""

from __future__ import annotations

import bisect
import functools
from dataclasses import dataclass

import numpy as np
import numpy.typing as npt
import qrcode
from qrcode import base, util
from qrcode.util import MODE_8BIT_BYTE, MODE_ALPHA_NUM, MODE_NUMBER, QRData
from reportlab.pdfgen.canvas import Canvas

from .document import mm

__all__ = ["MAX_MODULE", "MIN_MODULE", "QUIET_ZONE", "QrCode", "make_qr", "qr_matrix"]

QUIET_ZONE = 4
MAX_MODULE = 1.0 * mm  # a 720p webcam at 25-40 cm reads 1 mm modules comfortably
MIN_MODULE = 0.6 * mm  # never print smaller than this

Matrix = npt.NDArray[np.bool_]


@dataclass(frozen=True)
class QrCode:
    version: int
    matrix: tuple[tuple[bool, ...], ...]  # dark modules, without the quiet zone

    @property
    def modules(self) -> int:
        """Width in modules including the quiet zone on both sides."""
        return len(self.matrix) + 2 * QUIET_ZONE

    def module_size(self, room: float) -> float:
        """Module size (points) that fits ``room``, capped at 1 mm; raises below 0.6 mm."""
        size = min(MAX_MODULE, room / self.modules)
        if size < MIN_MODULE - 1e-9:
            raise ValueError(
                f"a version-{self.version} QR code needs {self.modules * MIN_MODULE / mm:.0f} mm; "
                f"only {room / mm:.0f} mm available"
            )
        return size

    def draw(self, c: Canvas, x: float, y: float, module: float) -> float:
        """Draw with the lower-left corner of the quiet zone at (x, y); return the width.

        The runs are written as PDF path operators in module units under one scaling
        transform: small integers, so the page stream is short and quick to write."""
        side = self.modules * module
        c.saveState()
        c.setFillColorRGB(1, 1, 1)
        c.rect(x, y, side, side, stroke=0, fill=1)
        c.setFillColorRGB(0, 0, 0)
        # origin at the code's top-left module corner, one unit per module, y pointing down
        c.translate(x + QUIET_ZONE * module, y + side - QUIET_ZONE * module)
        c.scale(module, -module)
        dark = np.zeros((len(self.matrix), len(self.matrix) + 2), np.int8)
        dark[:, 1:-1] = np.array(self.matrix, bool)
        edges = np.diff(dark, axis=1)
        rows, starts = np.nonzero(edges == 1)  # row-major: runs pair up with their ends
        ends = np.nonzero(edges == -1)[1]
        ops = [
            f"{s} {r} {e - s} 1 re"
            for r, s, e in zip(rows.tolist(), starts.tolist(), ends.tolist(), strict=True)
        ]
        if ops:
            ops.append("f")
            c.addLiteral("\n".join(ops))
        c.restoreState()
        return side


def _segments(text: str) -> list[QRData]:
    if text[:3].isalnum() and text[:3].isupper() and text[3:].isdigit():
        return [
            QRData(text[:3].encode(), mode=MODE_ALPHA_NUM),
            QRData(text[3:].encode(), mode=MODE_NUMBER),
        ]
    return [QRData(text.encode(), mode=MODE_8BIT_BYTE)]


def make_qr(text: str) -> QrCode:
    """The QR code of a share text (or any text), error correction M."""
    version, matrix = qr_matrix(_segments(text), qrcode.constants.ERROR_CORRECT_M)
    return QrCode(version, tuple(map(tuple, matrix.tolist())))


def qr_matrix(
    segments: list[QRData], error_correction: int, *, mask: int | None = None
) -> tuple[int, Matrix]:
    """The smallest version that holds ``segments`` and its module matrix (no quiet zone),
    with the mask of least penalty (or ``mask``)."""
    version = _best_version(segments, error_correction)
    codewords = _codewords(version, error_correction, segments)
    layout = _layout(version, error_correction)
    bits = np.unpackbits(np.frombuffer(bytes(codewords), np.uint8)).astype(bool)
    raw = np.zeros((layout.size, layout.size), bool)
    count = min(len(bits), len(layout.order))
    raw.flat[layout.order[:count]] = bits[:count]
    if mask is not None:
        return version, layout.function[mask] | (layout.data & (raw ^ layout.masks[mask]))
    data = layout.data & (raw ^ layout.mask_stack)
    # scored as qrcode scores them (format and version information left light), so the mask,
    # and with it the whole code, is the one qrcode would print: the first of least penalty
    best = int(np.argmin(penalties(layout.blank | data)))
    return version, layout.function[best] | data[best]


def _best_version(segments: list[QRData], error_correction: int) -> int:
    """The smallest version whose capacity holds ``segments`` (``QRCode.best_fit``)."""
    start = 1
    while True:
        bits = 0
        for seg in segments:
            bits += 4 + util.length_in_bits(seg.mode, start) + _data_bits(seg)
        version = bisect.bisect_left(util.BIT_LIMIT_TABLE[error_correction], bits, start)
        if version == 41:
            raise qrcode.exceptions.DataOverflowError()
        if util.mode_sizes_for_version(version) is util.mode_sizes_for_version(start):
            return version
        start = version


def _data_bits(seg: QRData) -> int:
    n = len(seg)
    if seg.mode == MODE_NUMBER:
        return 10 * (n // 3) + (0, 4, 7)[n % 3]
    if seg.mode == MODE_ALPHA_NUM:
        return 11 * (n // 2) + 6 * (n % 2)
    return 8 * n


# -- data codewords ------------------------------------------------------------------------------


class _Bits:
    """A bit buffer packed in one integer (``qrcode.util.BitBuffer`` writes bit by bit)."""

    def __init__(self) -> None:
        self.value = 0
        self.length = 0

    def put(self, num: int, length: int) -> None:
        self.value = (self.value << length) | (num & ((1 << length) - 1))
        self.length += length

    def put_bit(self, bit: bool) -> None:
        self.put(int(bit), 1)

    def __len__(self) -> int:
        return self.length


def _codewords(version: int, error_correction: int, segments: list[QRData]) -> list[int]:
    """Data and error-correction codewords, interleaved (as ``qrcode.util.create_data``)."""
    bits = _Bits()
    for seg in segments:
        bits.put(seg.mode, 4)
        bits.put(len(seg), util.length_in_bits(seg.mode, version))
        seg.write(bits)
    rs_blocks = base.rs_blocks(version, error_correction)
    limit = sum(block.data_count * 8 for block in rs_blocks)
    if len(bits) > limit:
        raise qrcode.exceptions.DataOverflowError(
            f"Code length overflow. Data size ({len(bits)}) > size available ({limit})"
        )
    bits.put(0, min(limit - len(bits), 4))  # terminator
    if len(bits) % 8:
        bits.put(0, 8 - len(bits) % 8)
    data = bits.value.to_bytes(len(bits) // 8, "big")
    pad = bytes([util.PAD0, util.PAD1]) * (limit // 16 + 1)
    data += pad[: limit // 8 - len(data)]
    return _interleave(data, rs_blocks)


# GF(256) with the QR polynomial x^8 + x^4 + x^3 + x^2 + 1
_EXP = np.zeros(512, np.int32)
_LOG = np.zeros(256, np.int32)
_x = 1
for _i in range(255):
    _EXP[_i] = _x
    _LOG[_x] = _i
    _x <<= 1
    if _x & 0x100:
        _x ^= 0x11D
_EXP[255:510] = _EXP[:255]


@functools.lru_cache(maxsize=32)
def _generator_logs(ec_count: int) -> npt.NDArray[np.int32]:
    """Logs of the coefficients (after the leading 1) of the Reed-Solomon generator."""
    gen = [1]
    for i in range(ec_count):  # multiply by (x - a^i)
        nxt = [*gen, 0]
        for j, coef in enumerate(gen):
            if coef:
                nxt[j + 1] ^= int(_EXP[_LOG[coef] + i])
        gen = nxt
    return np.asarray(_LOG[np.array(gen[1:])], np.int32)


def _interleave(data: bytes, rs_blocks: list[base.RSBlock]) -> list[int]:
    """Split ``data`` into the version's blocks, add each block's Reed-Solomon codewords (all
    blocks at once: leading zeros do not change a remainder), and interleave them."""
    counts = [b.data_count for b in rs_blocks]
    ec_count = rs_blocks[0].total_count - rs_blocks[0].data_count
    width = max(counts)
    msg = np.zeros((len(counts), width), np.int32)
    blocks: list[bytes] = []
    offset = 0
    for k, count in enumerate(counts):
        block = data[offset : offset + count]
        blocks.append(block)
        msg[k, width - count :] = np.frombuffer(block, np.uint8)
        offset += count
    gen = _generator_logs(ec_count)
    ec = np.zeros((len(counts), ec_count), np.int32)
    for col in range(width):
        factor = msg[:, col] ^ ec[:, 0]
        ec[:, :-1] = ec[:, 1:]
        ec[:, -1] = 0
        product = _EXP[gen[None, :] + _LOG[factor][:, None]]
        ec ^= np.where(factor[:, None] != 0, product, 0)
    out = [blk[i] for i in range(width) for blk in blocks if i < len(blk)]
    out += ec.T.ravel().tolist()
    return out


# -- the layout of a version, and the masks -------------------------------------------------------


@dataclass(frozen=True)
class _Layout:
    size: int
    function: tuple[Matrix, ...]  # dark function modules with each mask's format information
    data: Matrix  # where data modules go
    order: npt.NDArray[np.intp]  # flat indices of data modules, in placement order
    masks: tuple[Matrix, ...]  # each mask pattern over the whole matrix
    blank: Matrix  # the function patterns with format and version information left light
    mask_stack: Matrix  # ``masks`` as one 8 x n x n array


@functools.lru_cache(maxsize=64)
def _layout(version: int, error_correction: int) -> _Layout:
    n = version * 4 + 17
    function = []
    data: Matrix | None = None
    blank: Matrix | None = None
    for m in range(9):
        q = qrcode.QRCode(version=version, error_correction=error_correction, border=0)
        q.data_cache = []  # placement is ours: only the function patterns are wanted
        q.map_data = lambda _data, _mask: None
        q.makeImpl(m == 8, m % 8)  # masks 0-7, then the "test" layout qrcode scores masks on
        cells = q.modules
        matrix = np.array([[bool(v) for v in row] for row in cells], bool)
        if m == 8:
            blank = matrix
            continue
        if data is None:
            data = np.array([[v is None for v in row] for row in cells], bool)
        function.append(matrix)
    assert data is not None and blank is not None
    order: list[int] = []
    col = n - 1
    upward = True
    while col > 0:
        if col == 6:  # the vertical timing pattern: skip its column
            col -= 1
        rows = range(n - 1, -1, -1) if upward else range(n)
        for r in rows:
            for c in (col, col - 1):
                if data[r, c]:
                    order.append(r * n + c)
        upward = not upward
        col -= 2
    i, j = np.indices((n, n))
    masks = tuple(np.asarray(_MASKS[m](i, j), bool) for m in range(8))
    return _Layout(
        n,
        tuple(function),
        data,
        np.array(order, np.intp),
        masks,
        blank,
        np.stack(masks),
    )


_MASKS = (
    lambda i, j: (i + j) % 2 == 0,
    lambda i, j: i % 2 == 0,
    lambda i, j: j % 3 == 0,
    lambda i, j: (i + j) % 3 == 0,
    lambda i, j: (i // 2 + j // 3) % 2 == 0,
    lambda i, j: (i * j) % 2 + (i * j) % 3 == 0,
    lambda i, j: ((i * j) % 2 + (i * j) % 3) % 2 == 0,
    lambda i, j: ((i * j) % 3 + (i + j) % 2) % 2 == 0,
)

_FINDER_LIKE = np.array([0b10111010000, 0b00001011101], np.int32)  # 1:1:3:1:1 + 4 light


_WEIGHTS = (1 << np.arange(10, -1, -1)).astype(np.int32)


def penalty(matrix: Matrix) -> int:
    """The mask penalty of ISO/IEC 18004 (rules N1 to N4) of one module matrix."""
    return int(penalties(matrix[None])[0])


def penalties(stack: Matrix) -> npt.NDArray[np.int64]:
    """The mask penalty (ISO/IEC 18004 rules N1 to N4) of each matrix of a ``k x n x n`` stack."""
    k, n, _ = stack.shape
    score = np.zeros(k, np.int64)
    for lines in (stack, stack.transpose(0, 2, 1)):
        # N1: runs of five or more modules of one colour in a row or column: 3 + (run - 5)
        framed = np.full((k, n, n + 1), 2, np.int8)
        framed[:, :, :n] = lines
        flat = framed.ravel()
        starts = np.r_[0, np.flatnonzero(flat[1:] != flat[:-1]) + 1]
        runs = np.diff(np.r_[starts, flat.size])
        counted = (flat[starts] != 2) & (runs >= 5)
        owner = starts // (n * (n + 1))
        score += np.bincount(owner[counted], weights=runs[counted] - 2, minlength=k).astype(
            np.int64
        )
        # N3: 1:1:3:1:1 finder-like patterns with four light modules on one side: 40 each
        if n >= 11:
            packed = np.zeros((k, n, n - 10), np.int32)
            for i in range(11):
                packed |= lines[:, :, i : n - 10 + i].astype(np.int32) * int(_WEIGHTS[i])
            found = (packed == _FINDER_LIKE[0]) | (packed == _FINDER_LIKE[1])
            score += 40 * found.sum(axis=(1, 2))
    # N2: 2x2 blocks of one colour: 3 each
    top, bottom = stack[:, :-1], stack[:, 1:]
    same = (top[:, :, :-1] == top[:, :, 1:]) & (top[:, :, :-1] == bottom[:, :, :-1])
    same &= top[:, :, :-1] == bottom[:, :, 1:]
    score += 3 * same.sum(axis=(1, 2))
    # N4: 10 for every 5 % the share of dark modules is away from 50 %
    dark = stack.sum(axis=(1, 2)) / (n * n)  # as qrcode computes it, to the last bit
    score += 10 * (np.abs(dark * 100 - 50) / 5).astype(np.int64)
    return score
