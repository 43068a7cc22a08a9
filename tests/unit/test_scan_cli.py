"""``breakglass scan``: images and videos in, payloads out in input order; exit 1 if none."""

from __future__ import annotations

import datetime as dt
import json
import sys
from pathlib import Path

import cv2
import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from breakglass_gui.cli.main import main
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential
from tests.bench.scan_corpus import photo_of_text


@pytest.fixture(scope="module")
def texts() -> list[str]:
    sset = split_credential(
        b"s3cret-root-pw", policy=Policy.simple(2, 3), label="db", created=dt.date(2024, 2, 2)
    )
    return [s.qr_texts()[0] for s in sset.shares]


def _photo(tmp: Path, name: str, text: str, seed: int) -> Path:
    image, _ = photo_of_text(text, level="easy", seed=seed, frame_size=(640, 480))
    path = tmp / name
    cv2.imwrite(str(path), image)
    return path


def test_scan_images_in_input_order(
    tmp_path: Path, texts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    b = _photo(tmp_path, "b.jpg", texts[1], 1)
    a = _photo(tmp_path, "a.png", texts[0], 2)
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640), 230, np.uint8))
    assert main(["scan", str(b), str(blank), str(a)]) == 0
    out = capsys.readouterr()
    assert out.out.splitlines() == [texts[1], texts[0]]
    assert out.err == ""


def test_scan_nothing_found_exits_1(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((480, 640, 3), 230, np.uint8))
    assert main(["scan", str(blank)]) == 1
    assert capsys.readouterr().out == ""


def test_scan_video_prints_each_payload_once_in_order_seen(
    tmp_path: Path, texts: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    frames = [np.full((480, 640, 3), 128, np.uint8)]
    for n, text in enumerate([texts[2], texts[2], texts[0], texts[2]]):
        frames.append(photo_of_text(text, level="easy", seed=40 + n, frame_size=(640, 480))[0])
    video = tmp_path / "wave.avi"
    writer = cv2.VideoWriter(str(video), cv2.VideoWriter_fourcc(*"MJPG"), 5.0, (640, 480))
    for f in frames:
        writer.write(f)
    writer.release()
    assert main(["scan", str(video), "--json"]) == 0
    records = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [r["payload"] for r in records] == [texts[2], texts[0]]
    assert [r["frame"] for r in records] == [1, 3]
    for r in records:
        assert r["source"] == str(video)
        assert r["share"] is True and r["kind"] == "share"
        assert r["ms"] > 0
        assert len(r["quad"]) == 4


def test_scan_json_marks_codes_that_are_not_shares(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = _photo(tmp_path, "wifi.png", "WIFI:T:WPA;S:office;P:hunter2;;", 5)
    assert main(["scan", "--json", str(path)]) == 0
    (record,) = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert record["payload"] == "WIFI:T:WPA;S:office;P:hunter2;;"
    assert record["share"] is False
    assert "not a Breakglass share" in record["reason"]


def test_scan_bad_input_is_one_line_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    junk = tmp_path / "junk.jpg"
    junk.write_bytes(b"nope")
    for argv in (["scan", str(tmp_path / "missing.png")], ["scan", str(junk)]):
        assert main(argv) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("breakglass: error:")
    with pytest.raises(SystemExit) as exc:
        main(["scan"])
    assert exc.value.code == 2
