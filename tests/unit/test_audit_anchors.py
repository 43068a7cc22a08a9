"""Loud by construction: announced anchors catch rollback, re-signing, re-keying and deletion;
a trail that is missing, re-keyed or broken stops every ceremony; ``audit reset`` starts a new,
announced chain.

Each tampering case is what an adversary with the same OS user would do to the data directory,
and each asserts the exact kind ``audit verify --anchor`` reports, not merely a failure.
"""

from __future__ import annotations

import base64
import json
import shutil
from pathlib import Path

import pytest

from breakglass_gui.audit.keys import PRIVATE_NAME, SigningKey
from breakglass_gui.audit.log import (
    SIGN_DOMAIN,
    AnchorKind,
    Entry,
    canonical,
    check_anchor,
    genesis_hash,
    line_hash,
    parse_anchor,
    read_entries,
)
from breakglass_gui.audit.registry import Registry
from breakglass_gui.audit.service import AuditTrail, CeremonyError, TrailBrokenError
from breakglass_gui.cli.main import main
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential

Capture = pytest.CaptureFixture[bytes]
POLICY = Policy.simple(2, 3)
PEOPLE = [Custodian("Ana"), Custodian("Bo"), Custodian("Cy")]


def run(capsysbinary: Capture, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsysbinary.readouterr()
    return code, out.decode(errors="replace"), err.decode(errors="replace")


def make_set(home: Path) -> ShareSet:
    with AuditTrail(home) as t:
        cid = t.split_started(label="aws root", policy=POLICY, operator="ana")
        s = split_credential(b"root-password", policy=POLICY, label="aws root", custodians=PEOPLE)
        t.split_finished(cid, s, operator="ana")
        assert t.last_announcement is not None and t.last_announcement.kind == "split"
    return s


def break_glass(home: Path, share_set: ShareSet, incident: str = "INC-77") -> str:
    """A real use up to the announcement; returns the announced anchor text."""
    with AuditTrail(home) as t:
        cid = t.reconstruction_started(incident=incident, operator="ana", witnesses=["Bo"])
        for s in share_set.shares[:2]:
            t.share_accepted(cid, s)
        t.quorum_reached(cid, share_set.fingerprint_text, share_set.shares[:2])
        ann = t.announcement(cid)
        assert ann is not None
        t.announcement_confirmed(cid, posted=True, how="test")
        t.secret_revealed(cid, share_set.fingerprint_text)
        t.secret_wiped(cid, share_set.fingerprint_text)
        t.reconstruction_finished(cid, "revealed", share_set.fingerprint_text)
        text = ann.text()
    for line in (
        "aws root",
        share_set.fingerprint_text,
        incident,
        "Operator: ana",
        "Witnesses: Bo",
        " UTC",
    ):
        assert line in text
    anchor = text.split("Audit anchor: ")[1].split("\n")[0]
    count, head = anchor.split(":")
    assert len(head) >= 16 and int(count) > 0
    # the anchored entry is "quorum reached; announcement made", and the reveal follows it
    entries = list(read_entries(home / "audit.log"))
    anchored = entries[int(count) - 1]
    assert anchored.event == "quorum_reached" and "announcement made" in anchored.text()
    assert anchored.hash.startswith(head)
    assert entries[int(count)].event == "announcement_posted"
    assert any(e.event == "secret_revealed" and e.seq > int(count) for e in entries)
    return anchor


def verify_kind(capsysbinary: Capture, home: Path, anchor: str) -> tuple[int, str, str]:
    code, out, _err = run(
        capsysbinary, "--home", str(home), "audit", "verify", "--anchor", anchor, "--json"
    )
    data = json.loads(out)
    [finding] = data["anchors"]
    assert finding["anchor"] == anchor
    return code, finding["kind"], finding["message"]


def resign(home: Path, edit: dict[int, dict[str, object]]) -> None:
    """Rewrite entries (by seq) and re-sign the whole chain with the key on disk; update the
    registry's anchor so that a plain ``audit verify`` passes."""
    key = SigningKey.load(home / "keys" / PRIVATE_NAME)
    entries = list(read_entries(home / "audit.log"))
    prev = genesis_hash(key.public)
    lines = []
    for e in entries:
        fields = {**e.fields, **edit.get(e.seq, {})}
        body = {"seq": e.seq, "time": e.time, "event": e.event, "fields": fields, "prev": prev}
        sig = base64.b64encode(key.sign(SIGN_DOMAIN + canonical(body))).decode()
        line = canonical({**body, "sig": sig})
        lines.append(line)
        prev = line_hash(line)
    (home / "audit.log").write_bytes(b"".join(x + b"\n" for x in lines))
    reg = Registry(home / "registry.sqlite3")
    try:
        reg.conn.execute("UPDATE log_anchor SET count = ?, head = ?", (len(lines), prev))
    finally:
        reg.close()


# -- the anchor format ------------------------------------------------------------------------


def test_anchor_needs_a_count_and_16_hex_digits() -> None:
    a = parse_anchor("12:0123456789ABCDEF")
    assert (a.count, a.head) == (12, "0123456789abcdef")
    for bad in ("12:0123456789abcde", "x:0123456789abcdef", "0:0123456789abcdef", "12", ""):
        with pytest.raises(ValueError, match="COUNT:HEAD"):
            parse_anchor(bad)


def test_intact_log_matches_the_announced_anchor(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    code, kind, _ = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (0, "matches")
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "verify", "--anchor", anchor)
    assert code == 0 and f"anchor {anchor}: matches" in out


# -- each tampering case, caught with the exact kind ---------------------------------------


def test_rollback_of_the_data_directory(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    s = make_set(home)
    copy = tmp_path / "copy"
    shutil.copytree(home, copy)
    anchor = break_glass(home, s)
    shutil.rmtree(home)
    shutil.copytree(copy, home)  # put the copy back: log and registry agree again
    code, _out, _ = run(capsysbinary, "--home", str(home), "audit", "verify")
    assert code == 0, "without the announced anchor the local check cannot see a rollback"
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.ROLLED_BACK.value)
    assert msg.startswith("rolled back:") and "older copy" in msg


def test_rollback_and_continue_reads_as_rewritten(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    s = make_set(home)
    copy = tmp_path / "copy"
    shutil.copytree(home, copy)
    anchor = break_glass(home, s)
    shutil.rmtree(home)
    shutil.copytree(copy, home)
    for _ in range(6):  # carry on as if nothing happened, past the anchor's entry number
        with AuditTrail(home) as t:
            t.checkin(s.shares[0], by="Ana")
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.REWRITTEN.value)
    assert "rolled back and continued" in msg


def test_cut_tail_while_the_registry_records_more(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    log = home / "audit.log"
    lines = log.read_bytes().split(b"\n")
    count = int(anchor.split(":")[0])
    log.write_bytes(b"\n".join(lines[: count - 2]) + b"\n")
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.CUT.value)
    assert "registry still records" in msg


def test_resigning_with_the_key_on_disk(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    started = next(
        e for e in read_entries(home / "audit.log") if e.event == "reconstruction_started"
    )
    resign(home, {started.seq: {"operator": "someone else"}})
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "verify")
    assert code == 0, "re-signed with the key on disk, the local check passes: " + out
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.REWRITTEN.value)
    assert "re-signed" in msg


def test_rekeying_the_installation(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    key_file = home / "keys" / PRIVATE_NAME
    key_file.unlink()
    SigningKey.load_or_create(home / "keys")  # a new key where the old one was
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.REKEYED.value)
    assert "did not sign it" in msg


def test_deleting_the_log(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    (home / "audit.log").unlink()
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.LOG_MISSING.value)
    assert "registry still records" in msg
    # and without an anchor the registry's own record says the log is missing
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "verify")
    assert code == 1 and "the audit log is missing" in out and "no audit log yet" not in out


def test_deleting_the_whole_home(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    shutil.rmtree(home)
    code, kind, msg = verify_kind(capsysbinary, home, anchor)
    assert (code, kind) == (1, AnchorKind.LOG_MISSING.value)
    assert "log missing" in msg


def test_anchor_checked_on_another_machine_from_an_export(
    tmp_path: Path, capsysbinary: Capture
) -> None:
    home = tmp_path / "home"
    anchor = break_glass(home, make_set(home))
    key = SigningKey.load(home / "keys" / PRIVATE_NAME).public.text()
    log = home / "audit.log"
    code, out, _ = run(
        capsysbinary, "audit", "verify", str(log), "--pubkey", key, "--anchor", anchor
    )
    assert code == 0 and "matches" in out
    data = log.read_bytes()
    finding = check_anchor(data[: data.index(b"\n") + 1], None, parse_anchor(anchor))
    assert finding.kind is AnchorKind.ROLLED_BACK
    code, out, _ = run(
        capsysbinary, "audit", "verify", str(tmp_path / "gone.log"), "--pubkey", key,
        "--anchor", anchor,
    )  # fmt: skip
    assert code == 1 and "LOG-MISSING" in out


# -- continuity: refuse to start a new chain silently ---------------------------------------


def _every_ceremony_stops(home: Path, s: ShareSet, what: str) -> None:
    with AuditTrail(home) as t:
        msg = t.broken_message()
        assert msg is not None and what in msg and "audit reset --reason" in msg
        with pytest.raises(TrailBrokenError, match=what):
            t.checkin(s.shares[0], by="Ana")
        with pytest.raises(TrailBrokenError, match=what):
            t.reconstruction_started(drill=True, operator="ana")
        with pytest.raises(TrailBrokenError, match=what):
            t.split_started(label="new", policy=POLICY, operator="ana")
        with pytest.raises(TrailBrokenError, match=what):
            t.reconstruction_started(incident="INC-9", operator="ana")
        with pytest.raises(TrailBrokenError, match=what):
            t.retire_set(s.fingerprint_text, by="ana")


def test_a_log_edited_in_the_middle_stops_every_ceremony(
    tmp_path: Path, capsysbinary: Capture
) -> None:
    home = tmp_path / "home"
    s = make_set(home)
    break_glass(home, s)
    log = home / "audit.log"
    before = log.read_bytes()
    lines = before.split(b"\n")
    mid = next(i for i, x in enumerate(lines) if b'"reconstruction_started"' in x)
    assert 0 < mid < len(lines) - 3, "an entry in the middle"
    lines[mid] = lines[mid].replace(b"INC-77", b"INC-78", 1)
    log.write_bytes(b"\n".join(lines))
    edited = log.read_bytes()
    assert edited != before
    _every_ceremony_stops(home, s, "fails verification")
    assert log.read_bytes() == edited, "nothing may be appended to a broken log"
    # the CLI: check-in and split stop with the same message; read-only commands still work
    share_file = tmp_path / "share.txt"
    share_file.write_text("\n".join(s.shares[0].qr_texts()) + "\n")
    code, _, err = run(capsysbinary, "--home", str(home), "checkin", str(share_file))
    assert code != 0 and "fails verification" in err
    secret = tmp_path / "secret"
    secret.write_bytes(b"another credential")
    code, _, err = run(
        capsysbinary, "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "x",
        "--custodian", "Ana", "--custodian", "Bo", "--custodian", "Cy",
        "--secret-file", str(secret), "--out", str(tmp_path / "out"),
    )  # fmt: skip
    assert code != 0 and "fails verification" in err
    code, _, _ = run(capsysbinary, "--home", str(home), "audit", "verify")
    assert code == 1
    code, _, _ = run(capsysbinary, "--home", str(home), "inspect", str(share_file))
    assert code == 0
    assert log.read_bytes() == edited


def test_a_real_emergency_gets_through_only_by_the_recorded_override(tmp_path: Path) -> None:
    home = tmp_path / "home"
    s = make_set(home)
    log = home / "audit.log"
    data = log.read_bytes().split(b"\n")
    data[1] = data[1].replace(b'"label":"aws root"', b'"label":"aws ro0t"', 1)
    log.write_bytes(b"\n".join(data))
    with AuditTrail(home) as t:
        with pytest.raises(CeremonyError, match="at least 8"):
            t.override_broken_trail("short")
        t.override_broken_trail("INC-88 prod down, SSO out; log broken since Tuesday", by="ana")
        with pytest.raises(TrailBrokenError):
            t.reconstruction_started(drill=True, operator="ana")  # a drill is no emergency
        with pytest.raises(TrailBrokenError):
            t.checkin(s.shares[0], by="Ana")
        cid = t.reconstruction_started(incident="INC-88", operator="ana")
        assert cid > 0
    events = [e.event for e in read_entries(log)]
    assert "trail_override" in events and events[-1] == "reconstruction_started"


def test_missing_log_missing_key_and_replaced_key_each_stop(tmp_path: Path) -> None:
    home = tmp_path / "home"
    s = make_set(home)
    # the log is gone while the registry knows entries
    log = home / "audit.log"
    saved = log.read_bytes()
    log.unlink()
    _every_ceremony_stops(home, s, "the audit log is missing")
    assert not log.exists(), "no new log may be started silently"
    log.write_bytes(saved)
    # the key is gone: no new key is made silently
    key_file = home / "keys" / PRIVATE_NAME
    key_bytes = key_file.read_bytes()
    key_file.unlink()
    _every_ceremony_stops(home, s, "the audit signing key is missing")
    assert not key_file.exists()
    # the key on disk is not the one that signs the log
    SigningKey.load_or_create(home / "keys")
    _every_ceremony_stops(home, s, "the key was replaced")
    key_file.unlink()
    key_file.write_bytes(key_bytes)
    key_file.chmod(0o600)
    with AuditTrail(home) as t:
        assert t.broken_message() is None
        t.checkin(s.shares[1], by="Bo")
    # the registry is deleted while the log holds entries
    for p in home.glob("registry.sqlite3*"):
        p.unlink()
    _every_ceremony_stops(home, s, "the registry was deleted")


def test_audit_reset_starts_an_announced_chain(tmp_path: Path, capsysbinary: Capture) -> None:
    home = tmp_path / "home"
    s = make_set(home)
    with AuditTrail(home) as t:
        old_fp = t.public_key.fingerprint()
        reg = t.registry.anchor()
        assert reg is not None
    (home / "audit.log").unlink()
    code, _, err = run(capsysbinary, "--home", str(home), "audit", "reset", "--reason", "short")
    assert code != 0 and "at least 8" in err
    code, out, err = run(
        capsysbinary, "--home", str(home), "audit", "reset", "--reason",
        "laptop restored from an old image; log lost", "--by", "ana",
    )  # fmt: skip
    assert code == 0, err
    assert "BREAK-GLASS AUDIT CHAIN RESET" in err and old_fp in err
    anchor = err.split("Audit anchor: ")[1].split("\n")[0]
    [first] = list(read_entries(home / "audit.log"))
    assert first.event == "chain_reset"
    assert first.fields["old_key"] == old_fp
    assert first.fields["old_head"] == f"{reg[0]}:{reg[1]}"
    assert first.fields["reason"] == "laptop restored from an old image; log lost"
    assert first.fields["key"] != first.fields["old_key"]
    assert first.hash.startswith(anchor.split(":")[1])
    assert list(home.glob("keys/audit-signing.key.before-reset-*")), "old key kept aside"
    # the new chain verifies and ceremonies go on
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "verify", "--anchor", anchor)
    assert code == 0, out
    with AuditTrail(home) as t:
        assert t.broken_message() is None
        t.checkin(s.shares[0], by="Ana")
        assert t.verify().ok


def test_a_broken_log_is_kept_aside_by_reset(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_set(home)
    log = home / "audit.log"
    log.write_bytes(log.read_bytes() + b"garbage\n")
    with AuditTrail(home) as t:
        assert t.broken_message() is not None
        ann = t.reset_chain("garbage appended to the log by a bad script", by="ana")
        assert ann.kind == "reset" and "garbage appended" in ann.text()
        assert t.broken_message() is None
    kept = list(home.glob("audit.log.before-reset-*"))
    assert len(kept) == 1 and kept[0].read_bytes().endswith(b"garbage\n")


def test_entry_parse_roundtrip_still_canonical(tmp_path: Path) -> None:
    home = tmp_path / "home"
    make_set(home)
    for e in read_entries(home / "audit.log"):
        assert Entry.parse(e.line) == e
