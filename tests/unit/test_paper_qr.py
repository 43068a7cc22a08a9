"""The paper module's fast QR encoder makes standard codes: module for module what ``qrcode``
makes for the same segments and mask, scored by the standard's penalty rules, and read back
exactly by every peer decoder installed (zxing-cpp, OpenCV, zbar)."""

from __future__ import annotations

import random

import cv2
import numpy as np
import pytest
import qrcode
import qrcode.exceptions
import zxingcpp
from qrcode.util import MODE_8BIT_BYTE, QRData

from breakglass_gui.paper.qr import QUIET_ZONE, _segments, make_qr, penalty, qr_matrix

RNG = random.Random(20240601)
SHARE_LIKE = ["BG1" + "".join(RNG.choice("0123456789") for _ in range(n)) for n in (5, 77, 679)]
BYTES_LIKE = ["".join(RNG.choice("abcXYZ019 -/é") for _ in range(n)) for n in (1, 40, 300, 1200)]


def _reference(segments: list[QRData], ec: int, mask: int | None) -> tuple[int, np.ndarray]:
    q = qrcode.QRCode(error_correction=ec, border=0, mask_pattern=mask)
    for seg in segments:
        q.add_data(seg)
    q.make(fit=True)
    return int(q.version), np.array(q.get_matrix(), dtype=bool)


@pytest.mark.parametrize("text", SHARE_LIKE + BYTES_LIKE)
@pytest.mark.parametrize("ec", [0, 1, 2, 3])  # qrcode's M, L, H, Q
def test_matrix_is_qrcodes_module_for_module_for_every_mask(text: str, ec: int) -> None:
    segments = _segments(text)
    try:
        _reference(segments, ec, 0)
    except (qrcode.exceptions.DataOverflowError, ValueError):  # qrcode says either
        with pytest.raises(qrcode.exceptions.DataOverflowError):
            qr_matrix(segments, ec)
        return
    for mask in range(8):
        version, ours = qr_matrix(segments, ec, mask=mask)
        ref_version, ref = _reference(segments, ec, mask)
        assert version == ref_version
        assert ours.shape == ref.shape
        assert (ours == ref).all(), f"mask {mask}: {(ours != ref).sum()} modules differ"
    # and with the mask chosen by penalty: the very code qrcode prints
    _, ours = qr_matrix(segments, ec)
    assert (ours == _reference(segments, ec, None)[1]).all()


def test_large_versions_match_too() -> None:
    text = "".join(RNG.choice("abcdefgh") for _ in range(2300))  # version 40 at L
    segments = [QRData(text.encode(), mode=MODE_8BIT_BYTE)]
    version, ours = qr_matrix(segments, qrcode.constants.ERROR_CORRECT_L, mask=5)
    assert version >= 35
    assert (ours == _reference(segments, qrcode.constants.ERROR_CORRECT_L, 5)[1]).all()


@pytest.mark.parametrize("seed", range(40))
def test_make_qr_prints_what_qrcode_prints(seed: int) -> None:
    rng = random.Random(seed)
    n = rng.randint(1, 700)
    text = "BG1" + "".join(rng.choice("0123456789") for _ in range(n))
    if seed % 2:
        text = "".join(rng.choice("abcdefXYZ 0123456789:/") for _ in range(n))
    ours = make_qr(text)
    version, ref = _reference(_segments(text), qrcode.constants.ERROR_CORRECT_M, None)
    assert ours.version == version
    assert (np.array(ours.matrix, bool) == ref).all()


def test_penalty_is_qrcodes_lost_point() -> None:
    from qrcode.util import lost_point

    rng = np.random.default_rng(3)
    for n in (21, 25, 45, 65):
        for density in (0.2, 0.5, 0.8):
            m = rng.random((n, n)) < density
            assert penalty(m) == lost_point(m.tolist())


def test_penalty_rules_on_known_matrices() -> None:
    light = np.zeros((21, 21), bool)
    # N1: 21 rows + 21 columns of one 21-run: 42 * (3 + 16); N2: 20 * 20 blocks * 3;
    # N3: none; N4: 0 % dark is 50 % off: 10 * 10
    assert penalty(light) == 42 * 19 + 1200 + 100
    checker = (np.indices((21, 21)).sum(axis=0) % 2).astype(bool)
    # no runs, no blocks, no finder-like pattern; 220 of 441 dark: 49.9 %, N4 = 0
    assert penalty(checker) == 0
    row = np.zeros((21, 21), bool)
    row[::2] = checker[::2]  # alternate rows checkered, the others light
    pattern = np.array([1, 0, 1, 1, 1, 0, 1, 0, 0, 0, 0], bool)
    finder = checker.copy()
    finder[10, :11] = pattern
    assert penalty(finder) - penalty(checker) >= 40


def _image(matrix: tuple[tuple[bool, ...], ...] | np.ndarray, px: int = 4) -> np.ndarray:
    m = np.asarray(matrix, dtype=bool)
    m = np.pad(m, QUIET_ZONE, constant_values=False)
    img = np.where(m, 0, 255).astype(np.uint8)
    return np.kron(img, np.ones((px, px), np.uint8))


def _peers() -> dict[str, object]:
    peers: dict[str, object] = {"zxing-cpp": zxingcpp, "opencv": cv2.QRCodeDetector()}
    try:
        from pyzbar import pyzbar

        pyzbar.decode(np.full((10, 10), 255, np.uint8))
        peers["zbar"] = pyzbar
    except (ImportError, OSError):
        pass
    return peers


def _read(name: str, peer: object, img: np.ndarray) -> list[str]:
    if name == "zxing-cpp":
        return [
            r.text
            for r in zxingcpp.read_barcodes(
                img, formats=zxingcpp.BarcodeFormat.QRCode, text_mode=zxingcpp.TextMode.Plain
            )
        ]
    if name == "opencv":
        text, _, _ = peer.detectAndDecode(img)  # type: ignore[attr-defined]
        return [text] if text else []
    return [r.data.decode("utf-8") for r in peer.decode(img)]  # type: ignore[attr-defined]


# ASCII only: without an ECI marker zbar guesses the charset of non-ASCII bytes (Shift JIS)
ASCII_LIKE = ["".join(RNG.choice("abcXYZ019 -/:") for _ in range(n)) for n in (1, 40, 300, 900)]


@pytest.mark.parametrize("text", [*SHARE_LIKE, *ASCII_LIKE, "BG1" + "7" * 1000])
def test_every_code_decodes_with_every_peer_decoder(text: str) -> None:
    code = make_qr(text)
    img = _image(code.matrix)
    peers = _peers()
    assert {"zxing-cpp", "opencv"} <= set(peers)
    for name, peer in peers.items():
        if name == "opencv" and code.version > 20:
            continue  # OpenCV's reader gives up on very dense codes, whoever made them
        assert text in _read(name, peer, img), f"{name} did not read a version-{code.version} code"


def test_share_texts_stay_within_version_12() -> None:
    assert make_qr(SHARE_LIKE[2]).version <= 12
