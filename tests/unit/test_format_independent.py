"""An implementation of resources/spec/FORMAT.md written from the document alone.

It imports nothing from breakglass_gui's core: only hashlib, shamir_mnemonic (a SLIP-39
implementation) and cryptography's AES-GCM. It recovers the published vectors and shares
made by the real `breakglass split`, using the words that `breakglass inspect` prints.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import subprocess
import sys
from pathlib import Path

import pytest
import shamir_mnemonic
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from shamir_mnemonic.share import Share as Slip39Share
from shamir_mnemonic.wordlist import WORDLIST

SPEC = Path(__file__).resolve().parents[2] / "resources" / "spec"
DIGITS_FOR = [0, 3, 5, 8, 10, 13, 15, 17]
B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def sha(*parts: bytes) -> bytes:
    return hashlib.sha256(b"".join(parts)).digest()


def digits_to_bytes(digits: str) -> bytes:
    out = b""
    while digits:
        n = 17 if len(digits) >= 17 else len(digits)
        r = DIGITS_FOR.index(n)
        out += int(digits[:n]).to_bytes(r, "big")
        digits = digits[n:]
    return out


def text_to_record(texts: list[str]) -> bytes:
    assert all(t.startswith("BG2") for t in texts)
    raws = [digits_to_bytes(t[3:]) for t in texts]
    if raws[0][0] == 1:
        return raws[0]
    assert all(r[0] == 2 for r in raws)
    pieces = sorted(raws, key=lambda r: r[10])
    for r in pieces:
        assert sha(b"BG2 part", r[1:12], r[16:])[:4] == r[12:16]
    return b"".join(r[16:] for r in pieces)


def typed_to_record(transcription: str) -> bytes:
    lines = transcription.splitlines()
    words_at = next(i for i, ln in enumerate(lines) if ln.startswith("WORDS"))
    data_at = next(i for i, ln in enumerate(lines) if ln.startswith("DATA"))
    words = [t for ln in lines[words_at + 1 : data_at] for t in ln.split() if not t.isdigit()]
    chars = ""
    for ln in lines[data_at + 1 :]:
        number, *body = ln.split()
        data, check = "".join(body[:-1]), body[-1]
        values = [B32.index(c) for c in data]
        nn = int(number)
        c1 = (nn + sum(values)) % 32
        c2 = (3 * nn + sum((i + 1) * v for i, v in enumerate(values))) % 32
        assert check == B32[c1] + B32[c2]
        chars += data
    nbytes = len(chars) * 5 // 8
    value = 0
    for c in chars:
        value = value * 32 + B32.index(c)
    data_bytes = (value >> (len(chars) * 5 - nbytes * 8)).to_bytes(nbytes, "big")
    packed = 0
    for w in words:
        packed = packed * 1024 + WORDLIST.index(w)
    return data_bytes + (packed << 6).to_bytes(42, "big")


def split_at(n: int) -> int:
    k = 1
    while k * 2 < n:
        k *= 2
    return k


def path_len(index: int, size: int) -> int:
    if size == 1:
        return 0
    k = split_at(size)
    return 1 + (path_len(index, k) if index < k else path_len(index - k, size - k))


def root_from(leaf: bytes, index: int, size: int, path: list[bytes]) -> bytes:
    if size == 1:
        return leaf
    k = split_at(size)
    sibling = path[-1]
    rest = path[:-1]
    if index < k:
        return sha(b"\x01", root_from(leaf, index, k, rest), sibling)[:8]
    return sha(b"\x01", sibling, root_from(leaf, index - k, size - k, rest))[:8]


def read_record(rec: bytes) -> dict[str, object]:
    assert rec[0] == 1
    check, k = rec[1:5], rec[5]
    pos = 6
    fields = []
    for _ in range(2):
        n = rec[pos]
        fields.append(rec[pos + 1 : pos + 1 + n])
        pos += 1 + n
    h_start = pos
    flags = rec[pos]
    assert flags & 0xFE == 0
    pos += 3  # flags, created
    gc = (rec[pos] & 15) + 1
    groups = [((b >> 4) + 1, (b & 15) + 1) for b in rec[pos + 1 : pos + 1 + gc]]
    pos += 1 + gc
    if gc > 1:
        for _ in range(gc):
            pos += 1 + rec[pos]
    pos += 1 + rec[pos]  # label
    header = rec[h_start:pos]
    total = sum(n for _, n in groups)
    d = path_len(k - 1, total)
    path = [rec[pos + 8 * i : pos + 8 * i + 8] for i in range(d)]
    sealed = rec[pos + 8 * d : -42]
    words_packed = rec[-42:]
    value = int.from_bytes(words_packed, "big")
    assert value & 63 == 0
    words = [WORDLIST[(value >> (6 + 10 * (32 - i))) & 1023] for i in range(33)]
    leaf_input = (
        bytes([k])
        + bytes([len(fields[0])])
        + fields[0]
        + bytes([len(fields[1])])
        + fields[1]
        + words_packed
    )
    leaf = sha(b"\x00", leaf_input)[:8]
    root = root_from(leaf, k - 1, total, path)
    digest = sha(b"BG2 set", header, sha(sealed), root)
    assert digest[:4] == check, "share is not intact"
    gt = (rec[h_start + 3] >> 4) + 1
    check_slip39_header(" ".join(words), k, gt, groups)
    return {
        "digest": digest,
        "leaf": leaf,
        "k": k,
        "header": header,
        "drill": bool(flags & 1),
        "sealed": sealed,
        "words": " ".join(words),
    }


def check_slip39_header(mnemonic: str, k: int, gt: int, groups: list[tuple[int, int]]) -> None:
    """FORMAT.md section 5: the SLIP-39 header must agree with the record."""
    share = Slip39Share.from_mnemonic(mnemonic)
    g, p = 0, k - 1
    while p >= groups[g][1]:
        p -= groups[g][1]
        g += 1
    m = groups[g][0]
    assert share.extendable and share.iteration_exponent == 0
    assert (share.group_threshold, share.group_count, share.group_index) == (gt, len(groups), g)
    assert (share.member_threshold, share.index) == ((m, p) if m >= 2 else (1, 0))


def verification_words(digest: bytes, leaf: bytes) -> list[str]:
    v = int.from_bytes(sha(b"BG2 verify", digest, leaf)[:4], "big") >> 2
    return [WORDLIST[(v >> s) & 1023] for s in (20, 10, 0)]


def ctx_open(key: bytes, sealed: bytes, ad: bytes) -> bytes | None:
    """FORMAT.md section 4: CTR-decrypt, recompute the GCM tag, check the commitment."""
    body, commit = sealed[:-20], sealed[-20:]
    ctr = Cipher(algorithms.AES(key), modes.CTR(bytes(12) + b"\x00\x00\x00\x02")).decryptor()
    plain = ctr.update(body) + ctr.finalize()
    tag = AESGCM(key).encrypt(bytes(12), plain, ad)[len(body) :]
    if sha(b"BG2 commit", key, bytes(12), ad, tag)[:20] != commit:
        return None
    return AESGCM(key).decrypt(bytes(12), body + tag, ad)


def open_seal(records: list[dict[str, object]]) -> bytes | None:
    mnemonics = list(dict.fromkeys(str(r["words"]) for r in records))  # 1-of-N groups: once
    key = shamir_mnemonic.combine_mnemonics(mnemonics, b"")
    first = records[0]
    return ctx_open(key, first["sealed"], b"BG2" + first["header"])  # type: ignore[arg-type,operator]


@pytest.mark.parametrize("name", ["vector-2-of-3", "vector-groups", "vector-large", "vector-drill"])
def test_published_vectors_recover_by_the_spec_alone(name: str) -> None:
    doc = json.loads((SPEC / "vectors" / f"{name}.json").read_text())
    from_qr = {s["number"]: read_record(text_to_record(s["qr_texts"])) for s in doc["shares"]}
    from_typed = {
        s["number"]: read_record(typed_to_record(s["transcription"])) for s in doc["shares"]
    }
    assert from_qr == from_typed
    digest = from_qr[1]["digest"]
    assert all(r["digest"] == digest for r in from_qr.values())
    hex_digest = digest.hex().upper()  # type: ignore[attr-defined]
    assert "-".join(hex_digest[i : i + 4] for i in range(0, 64, 4)) == doc["set_digest"]
    assert "-".join(hex_digest[i : i + 4] for i in range(0, 16, 4)) == doc["set_fingerprint"]
    assert from_qr[1]["drill"] is doc["drill"]
    for s in doc["shares"]:
        rec = from_qr[s["number"]]
        assert verification_words(digest, rec["leaf"]) == s["verification_words"]  # type: ignore[arg-type]
        assert bytes.fromhex(s["record_hex"]) == text_to_record(s["qr_texts"])
    for quorum in doc["quorums_that_recover"]:
        opened = open_seal([from_qr[k] for k in quorum])
        assert opened is not None and opened.hex() == doc["credential_hex"]


def test_sub_quorum_of_vector_does_not_open() -> None:
    doc = json.loads((SPEC / "vectors" / "vector-2-of-3.json").read_text())
    one = read_record(text_to_record(doc["shares"][0]["qr_texts"]))
    with pytest.raises(shamir_mnemonic.MnemonicError):
        open_seal([one])


def test_cli_split_then_inspect_words_recover_by_the_spec(tmp_path: Path) -> None:
    secret = bytes(range(256)) * 3
    (tmp_path / "secret").write_bytes(secret)
    cli = [sys.executable, "-m", "breakglass_gui.cli.main"]
    subprocess.run(
        [
            *cli,
            "split",
            "-m",
            "3",
            "-n",
            "5",
            "--label",
            "test",
            *[f"--custodian={who}" for who in ("Ana", "Bo", "Cy", "Di", "Ed")],
            "--secret-file",
            str(tmp_path / "secret"),
            "--out",
            str(tmp_path / "out"),
        ],
        check=True,
        capture_output=True,
    )
    records = []
    for k in (5, 2, 4):
        path = tmp_path / "out" / f"share-{k}.txt"
        info = json.loads(
            subprocess.run(
                [*cli, "inspect", "--json", str(path)], check=True, capture_output=True
            ).stdout
        )
        rec = read_record(text_to_record(path.read_text().split()))
        assert rec["words"] == " ".join(info["slip39_words"])
        records.append(rec)
    # the key from plain shamir_mnemonic.combine_mnemonics on inspect's words opens the seal
    assert open_seal(records) == secret
    for pair in itertools.combinations(records, 2):
        with pytest.raises(shamir_mnemonic.MnemonicError):
            open_seal(list(pair))


def test_a_wrong_key_fails_the_commitment() -> None:
    doc = json.loads((SPEC / "vectors" / "vector-2-of-3.json").read_text())
    rec = read_record(text_to_record(doc["shares"][0]["qr_texts"]))
    assert ctx_open(bytes(32), rec["sealed"], b"BG2" + rec["header"]) is None  # type: ignore[arg-type,operator]
    key = bytes.fromhex(doc["set_key_hex"])
    assert ctx_open(key, rec["sealed"], b"BG2" + rec["header"]) == bytes.fromhex(  # type: ignore[arg-type,operator]
        doc["credential_hex"]
    )
