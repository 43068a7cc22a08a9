"""The signed, hash-chained audit log: tamper suite, torn tails, keys, canonical form."""

from __future__ import annotations

import base64
import datetime as dt
import json
import os
import random
import stat
from pathlib import Path

import pytest

from breakglass_gui.audit.events import EventFieldError
from breakglass_gui.audit.keys import SigningKey, load_public_key
from breakglass_gui.audit.log import (
    SIGN_DOMAIN,
    Anchor,
    AuditLog,
    LogVerifier,
    VerifyCache,
    canonical,
    line_hash,
    split_lines,
    verify_bytes,
    verify_file,
)

ENTRIES = 210
TORN = b'{"event":"secret_wiped","fields":{"cer'


class StepClock:
    def __init__(self) -> None:
        self.t = dt.datetime(2026, 6, 22, 3, 14, 9, tzinfo=dt.UTC)

    def __call__(self) -> dt.datetime:
        self.t += dt.timedelta(seconds=1)
        return self.t


def _event(i: int) -> tuple[str, dict[str, object]]:
    kinds: list[tuple[str, dict[str, object]]] = [
        ("post_use_step_done", {"ceremony": i, "step": f"rotate credential {i}"}),
        ("share_refused", {"ceremony": i, "share_desc": f"share {i % 5 + 1} of 5", "reason": "x"}),
        ("step_timed", {"ceremony": i, "step": "collect shares", "seconds": i / 7}),
        ("reconstruction_started", {"ceremony": i, "drill": i % 2 == 0, "witnesses": ["Cy"]}),
    ]
    return kinds[i % len(kinds)]


@pytest.fixture(scope="module")
def signed_log(tmp_path_factory: pytest.TempPathFactory) -> tuple[bytes, SigningKey, Anchor]:
    home = tmp_path_factory.mktemp("log")
    key = SigningKey.load_or_create(home / "keys")
    log = AuditLog(home / "audit.log", key, StepClock())
    last = None
    for i in range(ENTRIES - 1):  # + the automatic log_created entry
        name, fields = _event(i)
        last = log.append(name, fields)
    assert last is not None and last.seq == ENTRIES
    data = (home / "audit.log").read_bytes()
    return data, key, Anchor(last.seq, last.hash, "the registry")


def _join(lines: list[bytes]) -> bytes:
    return b"".join(line + b"\n" for line in lines)


def test_intact_log_verifies(signed_log: tuple[bytes, SigningKey, Anchor]) -> None:
    data, key, anchor = signed_log
    report = verify_bytes(data, key.public, [anchor])
    assert report.ok, report.problems
    assert report.entries == ENTRIES == report.valid
    assert report.anchors_checked == ["the registry"]
    assert report.torn_bytes == 0


def test_every_single_entry_edit_is_detected(signed_log: tuple[bytes, SigningKey, Anchor]) -> None:
    data, key, anchor = signed_log
    lines, _ = split_lines(data)
    cache = VerifyCache()
    for i, line in enumerate(lines):
        obj = json.loads(line)
        obj["time"] = obj["time"].replace("2026", "2025")  # a plausible, canonical edit
        edited = [*lines[:i], canonical(obj), *lines[i + 1 :]]
        report = verify_bytes(_join(edited), key.public, [anchor], cache=cache, stop_at_first=True)
        assert not report.ok
        first = report.first_problem
        assert first is not None and first.line == i + 1, (i, report.problems)
        assert first.kind == "signature"
        assert report.valid == i


def test_every_field_edit_kind_is_detected(signed_log: tuple[bytes, SigningKey, Anchor]) -> None:
    data, key, anchor = signed_log
    lines, _ = split_lines(data)
    i = len(lines) - 1  # the last entry: only its signature and the anchor protect it
    obj = json.loads(lines[i])
    for name in ("seq", "event", "fields", "prev", "sig", "time"):
        changed = json.loads(lines[i])
        if name == "seq":
            changed["seq"] += 1
        elif name == "event":
            changed["event"] = "secret_wiped"
        elif name == "fields":
            changed["fields"] = {**obj["fields"], "ceremony": 999}
        elif name == "prev":
            changed["prev"] = "0" * 64
        elif name == "sig":
            changed["sig"] = base64.b64encode(bytes(64)).decode()
        else:
            changed["time"] = "2030-01-01T00:00:00.000Z"
        report = verify_bytes(_join([*lines[:i], canonical(changed)]), key.public, [anchor])
        assert not report.ok, name
    # a byte-level edit that breaks the JSON, and a re-encoding with spaces
    broken = lines[i].replace(b'"seq"', b'"seq" ', 1)
    assert not verify_bytes(_join([*lines[:i], broken]), key.public, [anchor]).ok
    spaced = json.dumps(obj, sort_keys=True).encode()
    report = verify_bytes(_join([*lines[:i], spaced]), key.public)
    assert report.problems[0].kind == "malformed"


def test_every_single_entry_deletion_is_detected(
    signed_log: tuple[bytes, SigningKey, Anchor],
) -> None:
    data, key, anchor = signed_log
    lines, _ = split_lines(data)
    cache = VerifyCache()
    for i in range(len(lines)):
        report = verify_bytes(
            _join(lines[:i] + lines[i + 1 :]), key.public, [anchor], cache=cache, stop_at_first=True
        )
        assert not report.ok, i
        first = report.first_problem
        assert first is not None
        if i < len(lines) - 1:
            assert first.line == i + 1 and f"entry {i + 1} missing" in first.message
        else:
            assert first.kind == "truncated"


def test_every_single_entry_insertion_is_detected(
    signed_log: tuple[bytes, SigningKey, Anchor],
) -> None:
    """A replayed genuine entry, or a forged one with the right seq and prev, anywhere."""
    data, key, anchor = signed_log
    lines, _ = split_lines(data)
    forger = SigningKey.load_or_create(Path(os.environ.get("TMPDIR", "/tmp")) / "bg-forger-keys")
    cache = VerifyCache()
    for pos in range(len(lines) + 1):
        replay = lines[(pos + 7) % len(lines)]
        report = verify_bytes(
            _join([*lines[:pos], replay, *lines[pos:]]),
            key.public,
            [anchor],
            cache=cache,
            stop_at_first=True,
        )
        assert not report.ok and report.problems[0].line == pos + 1, pos
        prev = line_hash(lines[pos - 1]) if pos else json.loads(lines[0])["prev"]
        body = {
            "seq": pos + 1,
            "time": "2026-06-22T03:20:00.000Z",
            "event": "secret_wiped",
            "fields": {"ceremony": 1},
            "prev": prev,
        }
        sig = base64.b64encode(forger.sign(SIGN_DOMAIN + canonical(body))).decode()
        forged = canonical({**body, "sig": sig})
        report = verify_bytes(
            _join([*lines[:pos], forged, *lines[pos:]]),
            key.public,
            [anchor],
            cache=cache,
            stop_at_first=True,
        )
        assert not report.ok
        assert report.problems[0].line == pos + 1 and report.problems[0].kind == "signature"


def test_every_swap_is_detected(signed_log: tuple[bytes, SigningKey, Anchor]) -> None:
    data, key, anchor = signed_log
    lines, _ = split_lines(data)
    cache = VerifyCache()
    rng = random.Random(5)
    pairs = [(i, i + 1) for i in range(len(lines) - 1)]
    pairs += [tuple(sorted(rng.sample(range(len(lines)), 2))) for _ in range(200)]  # type: ignore[misc]
    for i, j in pairs:
        swapped = list(lines)
        swapped[i], swapped[j] = swapped[j], swapped[i]
        report = verify_bytes(_join(swapped), key.public, [anchor], cache=cache, stop_at_first=True)
        assert not report.ok and report.problems[0].line == i + 1, (i, j)


def test_truncation_at_every_length_is_detected(
    signed_log: tuple[bytes, SigningKey, Anchor],
) -> None:
    """Every byte length from 0 to size-1: the anchor (count + head) exposes the cut."""
    data, key, anchor = signed_log
    lines, _ = split_lines(data)
    verifier = LogVerifier(key.public, [anchor], cache=VerifyCache())
    checked = 0
    for k, line in enumerate(lines):
        # the file cut inside line k (or right before it): lines[:k] whole, then a torn part
        whole = line + b"\n"
        for cut in range(len(whole)):
            report = verifier.finish(torn=whole[:cut])
            assert not report.ok, (k, cut)
            assert report.problems[0].kind == "truncated"
            assert report.torn_bytes == cut
            checked += 1
        verifier.feed(line)
    assert checked == len(data)
    assert verifier.finish().ok
    # the same verdicts through the file path, for a sample of lengths
    rng = random.Random(11)
    for length in [0, 1, len(data) - 1, *rng.sample(range(len(data)), 60)]:
        assert not verify_bytes(data[:length], key.public, [anchor]).ok, length


def test_without_anchor_a_cut_at_a_line_end_is_invisible_but_a_torn_line_is_reported(
    signed_log: tuple[bytes, SigningKey, Anchor],
) -> None:
    """What the key alone can prove: why the registry and the mirrors keep anchors."""
    data, key, _ = signed_log
    lines, _ = split_lines(data)
    cut = _join(lines[:100])
    assert verify_bytes(cut, key.public).ok
    torn = verify_bytes(cut + lines[100][:40], key.public)
    assert torn.ok and torn.torn_bytes == 40 and "torn" in torn.summary()


def test_wrong_key_fails_at_the_first_entry(
    signed_log: tuple[bytes, SigningKey, Anchor], tmp_path: Path
) -> None:
    data, _, _ = signed_log
    other = SigningKey.load_or_create(tmp_path / "k")
    report = verify_bytes(data, other.public)
    assert not report.ok and report.problems[0].line == 1


def test_verification_on_another_machine_needs_only_the_log_and_public_key_text(
    signed_log: tuple[bytes, SigningKey, Anchor], tmp_path: Path
) -> None:
    data, key, anchor = signed_log
    copy = tmp_path / "elsewhere" / "audit.log"
    copy.parent.mkdir()
    copy.write_bytes(data)
    text = key.public.text()
    assert text.startswith("ed25519:") and "\n" not in text
    assert verify_file(copy, load_public_key(text), [anchor]).ok
    pem = tmp_path / "pub.pem"
    pem.write_text(key.public.pem())
    assert verify_file(copy, load_public_key(str(pem)), [anchor]).ok


def test_key_file_is_private_and_refused_when_open(tmp_path: Path) -> None:
    key = SigningKey.load_or_create(tmp_path / "keys")
    path = tmp_path / "keys" / "audit-signing.key"
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert SigningKey.load_or_create(tmp_path / "keys").public.raw == key.public.raw
    os.chmod(path, 0o644)
    with pytest.raises(Exception, match="readable by others"):
        SigningKey.load(path)
    assert "PRIVATE" not in repr(key)


def test_torn_last_line_is_reported_then_set_aside_by_the_next_writer(tmp_path: Path) -> None:
    key = SigningKey.load_or_create(tmp_path / "keys")
    path = tmp_path / "audit.log"
    log = AuditLog(path, key, StepClock())
    for i in range(5):
        log.append("post_use_step_done", {"ceremony": 1, "step": f"step {i}"})
    whole = path.read_bytes()
    with open(path, "ab") as f:
        f.write(TORN)  # what a killed writer leaves
    report = verify_file(path, key.public, [Anchor(6, line_hash(split_lines(whole)[0][-1]), "r")])
    assert report.ok and report.torn_bytes == len(TORN) and report.entries == 6
    entry = log.append("post_use_step_done", {"ceremony": 1, "step": "after the crash"})
    assert entry.seq == 8
    lines, torn = split_lines(path.read_bytes())
    assert torn == b""
    repaired = json.loads(lines[6])
    assert repaired["event"] == "log_repaired"
    assert repaired["fields"] == {"torn_bytes": len(TORN), "after_seq": 6}
    assert verify_file(path, key.public).ok
    assert (tmp_path / "audit.log.torn-after-6").read_bytes().startswith(b'{"event":"secret_w')


def test_unknown_events_and_fields_are_refused_loudly(tmp_path: Path) -> None:
    key = SigningKey.load_or_create(tmp_path / "keys")
    log = AuditLog(tmp_path / "audit.log", key)
    with pytest.raises(EventFieldError, match="unknown audit event"):
        log.append("secret_dumped", {})
    with pytest.raises(EventFieldError, match="not on the allow-list: secret"):
        log.append("secret_revealed", {"ceremony": 1, "set": "A", "via": "x", "secret": "pw"})
    with pytest.raises(EventFieldError, match="expected int"):
        log.append("secret_wiped", {"ceremony": "1"})
    with pytest.raises(EventFieldError, match="missing field"):
        log.append("secret_revealed", {"ceremony": 1})
    assert not (tmp_path / "audit.log").exists() or (tmp_path / "audit.log").read_bytes() == b""
