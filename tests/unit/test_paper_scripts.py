"""Paper for every script: names in CJK, Arabic, Hebrew, Cyrillic, Greek, Devanagari and emoji.

What a person holding the paper needs, checked on the rendered page:

* left-to-right scripts that need no shaping: the PDF's text layer holds the exact string;
* Arabic, Hebrew and Devanagari (and the others, as a check that no glyph is a box): the
  rendered page contains a reference rendering of the string, made independently of the
  paper code — python-bidi for the direction, HarfBuzz (``uharfbuzz``) for shaping, the
  font's own outlines filled by OpenCV — found by template matching; an unshaped,
  left-to-right rendering of the same string does *not* match (the check can fail);
* a 60-character name wraps inside its cell of the ceremony record (character boxes stay
  between the row's rules and overlap no other text);
* every sheet still decodes at 150 dpi.
"""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

import cv2
import numpy as np
import pypdfium2 as pdfium
import pytest
import uharfbuzz as hb
import zxingcpp
from bidi import get_base_level
from reportlab.pdfgen.canvas import Canvas

from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from breakglass_gui.paper import (
    RunbookInputs,
    RunbookSettings,
    SetInfo,
    SheetOptions,
    ceremony_record_pdf,
    runbook_pdf,
    share_sheet_pdf,
)
from breakglass_gui.paper.fonts import STANDARD, fonts_for, unprintable
from breakglass_gui.paper.script import UnprintableText, draw_block, layout_line

NAMES = {
    "cjk": "李小龍",
    "arabic": "أمينة الحسيني",
    "hebrew": "שרה לוי",
    "cyrillic": "Анна Петрова",
    "greek": "Γιώργος Παπαδόπουλος",
    "devanagari": "देवी प्रसाद",
    "emoji": "Ana 🔑 Ruiz",
    "long": "Maximilian Alexander Joachim von Hohenzollern-Sigmaringen Jr",
}
ROLES = {
    "cjk": "运维",
    "arabic": "مديرة الأمن",
    "hebrew": "מהנדסת",
    "cyrillic": "СРЕ",
    "greek": "Ασφάλεια",
    "devanagari": "प्रबंधक",
    "emoji": "on-call",
    "long": "CTO",
}
LABEL = "生产 prod-root Ключ"
UNSHAPED = ("cjk", "cyrillic", "greek", "emoji", "long")
SHAPED = ("arabic", "hebrew", "devanagari")
DPI = 200

pytestmark = pytest.mark.skipif(
    fonts_for(["李"]) == STANDARD or any(unprintable(n) for n in NAMES.values()),
    reason="the TrueType fonts .ci/setup installs are missing",
)


def test_the_long_name_is_sixty_characters() -> None:
    assert len(NAMES["long"]) == 60


@pytest.fixture(scope="module")
def world_set() -> ShareSet:
    return split_credential(
        b"correct horse battery staple",
        policy=Policy.simple(3, len(NAMES)),
        label=LABEL,
        custodians=[Custodian(NAMES[k], ROLES[k]) for k in NAMES],
        created=dt.date(2025, 1, 2),
    )


@pytest.fixture(scope="module")
def documents(world_set: ShareSet) -> dict[str, Any]:
    info = SetInfo.from_share_set(world_set)
    settings = RunbookSettings(incident_channel="#инцидент")
    return {
        "sheets": {s.custodian: share_sheet_pdf(s) for s in world_set.shares},
        "record": ceremony_record_pdf(world_set),
        "runbook": runbook_pdf(RunbookInputs(info, settings)),
    }


# -- an independent reference rendering --------------------------------------------------------


class _Pen:
    """Collects a glyph's outline as polygons (fontTools pen protocol, as uharfbuzz calls it)."""

    def __init__(self, ox: float, oy: float, scale: float) -> None:
        self.ox, self.oy, self.s = ox, oy, scale
        self.polys: list[np.ndarray] = []
        self.cur: list[tuple[float, float]] = []
        self.last = (0.0, 0.0)

    def _p(self, x: float, y: float) -> tuple[float, float]:
        return (self.ox + x * self.s, self.oy - y * self.s)

    def moveTo(self, p: tuple[float, float]) -> None:
        self.cur = [self._p(*p)]
        self.last = p

    def lineTo(self, p: tuple[float, float]) -> None:
        self.cur.append(self._p(*p))
        self.last = p

    def qCurveTo(self, *pts: tuple[float, float]) -> None:
        start, ctrl, end = self.last, pts[:-1], pts[-1]
        for i, c in enumerate(ctrl):
            nxt = (
                end
                if i == len(ctrl) - 1
                else ((c[0] + ctrl[i + 1][0]) / 2, (c[1] + ctrl[i + 1][1]) / 2)
            )
            for t in np.linspace(0, 1, 9)[1:]:
                x = (1 - t) ** 2 * start[0] + 2 * (1 - t) * t * c[0] + t * t * nxt[0]
                y = (1 - t) ** 2 * start[1] + 2 * (1 - t) * t * c[1] + t * t * nxt[1]
                self.cur.append(self._p(x, y))
            start = nxt
        self.last = end

    def curveTo(self, c1: Any, c2: Any, e: Any) -> None:
        a = self.last
        for t in np.linspace(0, 1, 9)[1:]:
            x = (
                (1 - t) ** 3 * a[0]
                + 3 * (1 - t) ** 2 * t * c1[0]
                + 3 * (1 - t) * t * t * c2[0]
                + t**3 * e[0]
            )
            y = (
                (1 - t) ** 3 * a[1]
                + 3 * (1 - t) ** 2 * t * c1[1]
                + 3 * (1 - t) * t * t * c2[1]
                + t**3 * e[1]
            )
            self.cur.append(self._p(x, y))
        self.last = e

    def closePath(self) -> None:
        if len(self.cur) > 2:
            self.polys.append(np.array(self.cur))
        self.cur = []

    endPath = closePath


def reference_rendering(text: str, font_path: str, size_pt: float, dpi: int = DPI) -> np.ndarray:
    """``text`` shaped by HarfBuzz in the direction python-bidi gives it, filled by OpenCV.

    Grey image, black ink on white, like a rendered page.
    """
    face = hb.Face(hb.Blob.from_file_path(font_path))
    font = hb.Font(face)
    upem = face.upem
    font.scale = (upem, upem)
    buf = hb.Buffer()
    buf.add_str(text)
    buf.guess_segment_properties()
    buf.direction = "rtl" if get_base_level(text) == 1 else "ltr"
    hb.shape(font, buf, {})
    s = size_pt / upem * dpi / 72
    height = int(size_pt * dpi / 72 * 2)
    width = int(sum(p.x_advance for p in buf.glyph_positions) * s + height)
    polys: list[np.ndarray] = []
    x = height / 2
    for info, pos in zip(buf.glyph_infos, buf.glyph_positions, strict=True):
        pen = _Pen(x + pos.x_offset * s, height * 0.7 - pos.y_offset * s, s)
        font.draw_glyph_with_pen(info.codepoint, pen)
        polys += pen.polys
        x += pos.x_advance * s
    img = np.zeros((height, width), np.uint8)
    cv2.fillPoly(img, [np.round(p * 16).astype(np.int32) for p in polys], 255, cv2.LINE_AA, 4)
    ys, xs = np.nonzero(img)
    pad = 2  # the ink and a hair around it: a table rule next to the text is not in the way
    img = img[
        max(0, ys.min() - pad) : ys.max() + pad + 1, max(0, xs.min() - pad) : xs.max() + pad + 1
    ]
    return 255 - img


def page_images(pdf: bytes, dpi: int = DPI) -> list[np.ndarray]:
    doc = pdfium.PdfDocument(pdf)
    return [doc[i].render(scale=dpi / 72, grayscale=True).to_numpy() for i in range(len(doc))]


def best_match(pages: list[np.ndarray], template: np.ndarray) -> float:
    inv = (255 - template).astype(np.float32)
    return max(
        float(cv2.matchTemplate((255 - p).astype(np.float32), inv, cv2.TM_CCOEFF_NORMED).max())
        for p in pages
    )


def font_path_for(text: str) -> str:
    (seg, *_) = layout_line(text, fonts_for([text]).chain("regular"), 10)
    return seg.font.path


def naive_rendering(text: str, size: float) -> list[np.ndarray]:
    """The bug this replaced: the string drawn as it is stored, left to right, unshaped."""
    fonts = fonts_for([text])
    (seg, *_) = layout_line(text, fonts.chain("regular"), size)
    buf = io.BytesIO()
    c = Canvas(buf)
    c.setFont(seg.font.name, size)
    c.drawString(50, 700, text)
    c.save()
    return page_images(buf.getvalue())


MATCH = 0.8  # a correct rendering scores ~0.87-0.9; a wrong order or unshaped one < 0.7


def text_layer(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    return "".join("".join(doc[i].get_textpage().get_text_range().split()) for i in range(len(doc)))


# -- the documents ------------------------------------------------------------------------------


@pytest.mark.parametrize("doc", ["record", "runbook", "sheet"])
def test_every_script_prints_legibly(doc: str, documents: dict[str, Any]) -> None:
    size = 10.0 if doc == "sheet" else 8.8
    for key, name in NAMES.items():
        pdf = documents["sheets"][name] if doc == "sheet" else documents[doc]
        pages = page_images(pdf)[:1] if doc == "sheet" else page_images(pdf)
        if key == "emoji":
            # reportlab writes a 4-digit ToUnicode entry, so the text layer cannot hold a
            # character beyond U+FFFF; the glyph itself is checked on the page
            layer = text_layer(pdf)
            assert "Ana" in layer and "Ruiz" in layer
            key_glyph = "\U0001f511"
            score = best_match(
                pages, reference_rendering(key_glyph, font_path_for(key_glyph), size)
            )
            assert score > MATCH, (doc, key, score)
            continue
        if key == "long":  # wrapped in its cell: each piece is on the page
            for piece in name.replace("-", " ").split():
                assert piece in text_layer(pdf), (doc, piece)
            continue
        if key in UNSHAPED:
            assert "".join(name.split()) in text_layer(pdf), (doc, key)
            assert "".join(ROLES[key].split()) in text_layer(pdf), (doc, key)
        for text in (name, ROLES[key]):
            score = best_match(pages, reference_rendering(text, font_path_for(text), size))
            if key in SHAPED:  # the whole string: its word order is what is checked
                assert score > MATCH, (doc, key, text, score)
                continue
            # a left-to-right name may wrap in a narrow cell: then each word is on the page
            for word in text.split() if score <= MATCH else ():
                score = best_match(pages, reference_rendering(word, font_path_for(word), size))
                assert score > MATCH, (doc, key, word, score)


@pytest.mark.parametrize("key", SHAPED)
def test_the_reference_check_refuses_unshaped_left_to_right_text(key: str) -> None:
    """The same check on the old rendering (stored order, no shaping) fails: it can fail."""
    name = NAMES[key]
    reference = reference_rendering(name, font_path_for(name), 10)
    assert best_match(naive_rendering(name, 10), reference) < MATCH - 0.1
    ours = io.BytesIO()
    c = Canvas(ours)
    draw_block(c, name, fonts_for([name]), x=50, top=700, width=300, size=10)
    c.save()
    assert best_match(page_images(ours.getvalue()), reference) > MATCH


def test_the_label_prints_in_three_scripts(documents: dict[str, Any]) -> None:
    for pdf in (documents["record"], documents["runbook"], *documents["sheets"].values()):
        assert "".join(LABEL.split()) in text_layer(pdf)


def test_fonts_are_embedded_and_ascii_stays_base14(documents: dict[str, Any]) -> None:
    pdf = documents["record"]
    assert pdf.count(b"/FontFile2") >= 2  # DejaVu and the CJK font, embedded as TrueType
    plain = ceremony_record_pdf(
        split_credential(
            b"x" * 16,
            policy=Policy.simple(2, 2),
            label="db",
            custodians=[Custodian("Ana"), Custodian("Bo")],
            created=dt.date(2025, 1, 2),
        )
    )
    assert b"/FontFile2" not in plain


def test_the_sixty_character_name_stays_inside_its_cell(documents: dict[str, Any]) -> None:
    pdf = documents["record"]
    doc = pdfium.PdfDocument(pdf)
    page = doc[0]
    tp = page.get_textpage()
    text = tp.get_text_range()
    height = page.get_height()
    scale = 150 / 72
    image = page.render(scale=scale, grayscale=True).to_numpy()
    # the table's horizontal rules: rows of the image that are dark across most of the table
    dark = (image < 100).sum(axis=1)
    rules = [y for y in range(len(dark)) if dark[y] > image.shape[1] * 0.6]
    assert len(rules) > len(NAMES), "the custodian table's rules were not found"
    words = NAMES["long"].replace("-", " ").split()  # it may wrap at its hyphen
    boxes = []
    for word in words:
        start = text.find(word)
        assert start >= 0, word
        for i in range(start, start + len(word)):
            left, bottom, right, top = tp.get_charbox(i)
            boxes.append(
                (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
            )
    top_y = min(b[1] for b in boxes)
    bottom_y = max(b[3] for b in boxes)
    above = max(y for y in rules if y <= top_y)
    below = min(y for y in rules if y >= bottom_y)
    # every character of the name lies between two consecutive rules: one cell
    assert not [y for y in rules if above < y < below], "the name crosses a row rule"
    # ... and no other text of the page overlaps it
    others = []
    name_range = range(text.find(words[0]), text.find(words[-1]) + len(words[-1]))
    for i in range(tp.count_chars()):
        if i in name_range or not text[i].strip():
            continue
        left, bottom, right, top = tp.get_charbox(i)
        others.append(
            (left * scale, (height - top) * scale, right * scale, (height - bottom) * scale)
        )
    for a in boxes:
        for b in others:
            overlap_x = min(a[2], b[2]) - max(a[0], b[0])
            overlap_y = min(a[3], b[3]) - max(a[1], b[1])
            assert not (overlap_x > 0.5 and overlap_y > 0.5), (a, b)


def test_every_sheet_still_decodes_at_150_dpi(
    world_set: ShareSet, documents: dict[str, Any]
) -> None:
    for share in world_set.shares:
        pdf = documents["sheets"][share.custodian]
        doc = pdfium.PdfDocument(pdf)
        texts = []
        for i in range(len(doc)):
            image = doc[i].render(scale=150 / 72, grayscale=True).to_pil()
            texts += [
                r.text for r in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
            ]
        assert sorted(texts) == sorted(share.qr_texts()), share.number


def test_unprintable_text_is_refused_not_boxed() -> None:
    fonts = fonts_for(["李"])
    buf = io.BytesIO()
    c = Canvas(buf)
    with pytest.raises(UnprintableText, match="flag"):
        draw_block(c, "Ana \U0001f1ea\U0001f1f8", fonts, x=0, top=100, width=300, size=10)
    with pytest.raises(UnprintableText, match="U\\+0378"):
        draw_block(c, "x\u0378", fonts, x=0, top=100, width=300, size=10)
    with pytest.raises(UnprintableText):
        share_sheet_pdf(
            split_credential(
                b"x" * 16,
                policy=Policy.simple(2, 2),
                label="db \U0001f1ea\U0001f1f8",
                custodians=[Custodian("Ana"), Custodian("Bo")],
                created=dt.date(2025, 1, 2),
            ).shares[0],
            SheetOptions(),
        )


def test_the_data_guide_rules_clear_the_glyphs(world_set: ShareSet) -> None:
    """The grey rule every fifth DATA line runs between two lines, not through one."""
    pdf = share_sheet_pdf(world_set.shares[0])
    image = page_images(pdf, 300)[0]
    page = pdfium.PdfDocument(pdf)[0]
    text = page.get_textpage()
    data_at = text.get_text_range().find("DATA (")
    assert data_at >= 0
    _, _, _, top = text.get_charbox(data_at)
    start = int((page.get_height() - top) * 300 / 72) + 20  # below the DATA heading
    grey = (image > 150) & (image < 235)

    def longest_run(row: np.ndarray) -> tuple[int, int]:
        best, run, end = 0, 0, 0
        for x, on in enumerate(row):
            run = run + 1 if on else 0
            if run > best:
                best, end = run, x
        return best, end

    rules = []
    for y in range(start, image.shape[0]):
        length, end = longest_run(grey[y])
        if length > 250:  # a drawn line, not the grey edge pixels of glyphs
            rules.append((y, end - length + 1, end))
    assert rules, "no guide rule found"
    for y, x0, x1 in rules:
        band = image[y - 2 : y + 3, x0 : x1 + 1]
        assert int(band.min()) > 110, f"a glyph touches the guide rule at row {y}"


def test_runbook_pages_are_not_near_empty_and_blanks_are_lines() -> None:
    s = split_credential(
        b"x" * 16,
        policy=Policy.simple(2, 3),
        label="db",
        custodians=[Custodian("Ana"), Custodian("Bo"), Custodian("Cy")],
        created=dt.date(2025, 1, 2),
    )
    pdf = runbook_pdf(RunbookInputs(SetInfo.from_share_set(s)))
    doc = pdfium.PdfDocument(pdf)
    lengths = [len(doc[i].get_textpage().get_text_range()) for i in range(len(doc))]
    assert min(lengths) > 0.25 * max(lengths), lengths
    text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    for placeholder in ("not given", "on-call directory", "(the incident channel)"):
        assert placeholder not in text


def test_without_any_preferred_font_fontconfig_chooses(monkeypatch: pytest.MonkeyPatch) -> None:
    """None of the preferred files installed: fontconfig's sans-serif order, TrueType only."""
    import shutil

    from breakglass_gui.paper import fonts

    if shutil.which("fc-match") is None:
        pytest.skip("no fontconfig")
    monkeypatch.setattr(fonts, "_locate", lambda name: None)
    for cached in (fonts._chains, fonts._unicode_fonts):
        cached.cache_clear()
    try:
        found = fonts.fonts_for(["Анна 李"])
        assert found.embedded
        names = [r.path for r in found.chain("regular")]
        assert names and all(n.endswith((".ttf", ".ttc")) for n in names)
        assert fonts.unprintable("Анна 李小龍", found) == []
    finally:
        for cached in (fonts._chains, fonts._unicode_fonts):
            cached.cache_clear()
