"""A set card carries a set from one installation to a clean one: two homes, through the CLI."""

from __future__ import annotations

import json
import re
from pathlib import Path

from tests.material import share_pieces_in
from tests.unit.test_cli_core import combine_args, run


def _split(tmp: Path, home: Path, out: str, secret: bytes, *extra: str) -> Path:
    (tmp / f"{out}.secret").write_bytes(secret)
    r = run(
        "split",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--label",
        "DB master",
        "--custodian",
        "Ana Ruiz:on-call",
        "--custodian",
        "Bo Chen:manager",
        "--custodian",
        "Cy Diallo:security",
        "--secret-file",
        str(tmp / f"{out}.secret"),
        "--out",
        str(tmp / out),
        *extra,
        home=home,
    )
    assert r.returncode == 0, r.stderr
    return tmp / out


def _signer(export_stdout: bytes) -> str:
    """The signer fingerprint 'sets export' prints (as the runbook prints it)."""
    found = re.search(r"signed by (SHA256:[0-9a-f-]+)", export_stdout.decode())
    assert found, export_stdout
    return found.group(1)


def _fp(share_dir: Path) -> str:
    return str(json.loads((share_dir / "set.json").read_text())["fingerprint"])


def test_card_makes_a_clean_installation_know_the_set(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "A", tmp_path / "B"
    shares = _split(tmp_path, home_a, "set1", b"db-master-1")
    files = [str(shares / "share-1.txt"), str(shares / "share-3.txt")]
    # B knows nothing: the set is refused by name, nothing revealed
    r = run("combine", *combine_args(tmp_path), *files, home=home_b)
    assert r.returncode != 0 and r.stdout == b""
    card = tmp_path / "set1.card"
    r = run("sets", "export", _fp(shares), "--out", str(card), home=home_a)
    assert r.returncode == 0, r.stderr
    text = card.read_text()
    assert _share_material(shares, (shares / "share-2.txt").read_text())  # control: finds it
    # public: no share material
    assert "db-master-1" not in text and not _share_material(shares, text)
    signer_fp = _signer(r.stdout)
    r = run("sets", "import", str(card), "--signer", signer_fp, home=home_b)
    assert r.returncode == 0, r.stderr
    signer = run("audit", "pubkey", home=home_a).stdout.decode()
    assert "signed by SHA256:" in r.stdout.decode() and "now known here" in r.stdout.decode()
    assert signer.strip()  # the key whose fingerprint the operator compares
    r = run("combine", *combine_args(tmp_path), *files, home=home_b)
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"db-master-1"
    # the same card again is stale (a replay), and nothing changes
    r = run("sets", "import", str(card), "--signer", signer_fp, home=home_b)
    assert r.returncode != 0 and "stale or replayed" in r.stderr.decode()


def test_a_newer_card_retires_the_old_set_in_the_clean_installation(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "A", tmp_path / "B"
    old = _split(tmp_path, home_a, "old", b"db-master-1")
    r = run("sets", "export", _fp(old), "--out", str(tmp_path / "old.card"), home=home_a)
    assert r.returncode == 0, r.stderr
    signer_fp = _signer(r.stdout)
    r = run("sets", "import", str(tmp_path / "old.card"), "--signer", signer_fp, home=home_b)
    assert r.returncode == 0, r.stderr
    r = run("sets", "retire", _fp(old), "--by", "Dee Host", "--reason", "rotated", home=home_a)
    assert r.returncode == 0, r.stderr
    new = _split(tmp_path, home_a, "new", b"db-master-2")
    r = run("sets", "export", _fp(new), "--out", str(tmp_path / "new.card"), home=home_a)
    assert r.returncode == 0, r.stderr
    r = run("sets", "import", str(tmp_path / "new.card"), "--signer", signer_fp, home=home_b)
    assert r.returncode == 0, r.stderr
    assert f"retired here per the card: set {_fp(old)}" in r.stdout.decode()
    files = [str(old / "share-1.txt"), str(old / "share-2.txt")]
    r = run("combine", *combine_args(tmp_path), *files, home=home_b)
    assert r.returncode != 0 and r.stdout == b"" and b"retired" in r.stderr
    # the old card cannot bring the retired set back
    r = run("sets", "import", str(tmp_path / "old.card"), "--signer", signer_fp, home=home_b)
    assert r.returncode != 0 and r.stdout == b""


def test_a_tampered_card_is_refused_and_changes_nothing(tmp_path: Path) -> None:
    home_a, home_b = tmp_path / "A", tmp_path / "B"
    shares = _split(tmp_path, home_a, "set1", b"db-master-1")
    card = tmp_path / "set1.card"
    assert run("sets", "export", _fp(shares), "--out", str(card), home=home_a).returncode == 0
    doc = json.loads(card.read_text())
    doc["card"]["label"] = "DB master (prod)"
    (tmp_path / "bad.card").write_text(json.dumps(doc))
    r = run(
        "sets", "import", str(tmp_path / "bad.card"), "--trust-signer-on-first-use", home=home_b
    )
    assert r.returncode != 0 and b"does not verify" in r.stderr
    r = run("sets", "list", home=home_b)
    assert _fp(shares).encode() not in r.stdout
    # export never overwrites a file, the card's QR image included
    before = card.read_bytes()
    r = run("sets", "export", _fp(shares), "--out", str(card), home=home_a)
    assert r.returncode != 0 and card.read_bytes() == before
    png = tmp_path / "keep.png"
    png.write_bytes(b"not yours")
    r = run(
        "sets",
        "export",
        _fp(shares),
        "--out",
        str(tmp_path / "new.card"),
        "--qr",
        str(png),
        home=home_a,
    )
    assert r.returncode != 0 and b"already exists" in r.stderr
    assert png.read_bytes() == b"not yours"


def _share_material(shares: Path, text: str) -> list[str]:
    """Pieces of the split's share files (their QR texts) found in ``text``."""
    qr_texts = [(shares / f"share-{k}.txt").read_text().strip() for k in (1, 2, 3)]
    return share_pieces_in(text, qr_texts)
