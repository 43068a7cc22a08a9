"""The split ceremony flow, driven headless through its step graph."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from breakglass_gui.ceremony.ports import (
    FolderSink,
    ManualClock,
    MemoryAuditSink,
    MemoryDocumentSink,
    MemoryRegistry,
    SetRecord,
)
from breakglass_gui.ceremony.split_flow import (
    ALPHABETS,
    PRESETS,
    CustodianEntry,
    SplitCeremony,
    SplitPorts,
    custodian_problems,
    custodian_risks,
    custodian_warnings,
    folder_risk,
    generate_secret,
    printable_problems,
    read_secret_file,
    secret_from_text,
)
from breakglass_gui.ceremony.wizard import WizardError, WizardStatus
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.secret import SecretBytes
from breakglass_gui.core.share import parse_text

SECRET = b"correct horse battery staple 42!"


class RecordingRenderer:
    """Stands in for breakglass_gui.paper: a tiny PDF-shaped blob naming what it holds."""

    def __init__(self) -> None:
        self.calls: list[str] = []

    def share_sheet(self, share: Any, share_set: Any, context: Mapping[str, Any]) -> bytes:
        self.calls.append(f"sheet {share.number}")
        return b"%PDF-1.4 sheet " + share.qr_texts()[0].encode()

    def ceremony_record(self, share_set: Any, context: Mapping[str, Any]) -> bytes:
        self.calls.append("record")
        anchor = str(context.get("audit_anchor") or "(box)")
        return b"%PDF-1.4 record " + share_set.fingerprint_text.encode() + b" " + anchor.encode()

    def runbook(self, share_set: Any, context: Mapping[str, Any]) -> bytes:
        self.calls.append("runbook")
        return b"%PDF-1.4 runbook"


PEOPLE = [
    CustodianEntry("Ana Ruiz", "primary on-call", "signal", "Lisbon"),
    CustodianEntry("Bo Chen", "secondary on-call", "phone", "Berlin"),
    CustodianEntry("Cy Okafor", "engineering manager", "email", "home safe"),
]


def _ceremony(replaces: SetRecord | None = None) -> tuple[SplitCeremony, SplitPorts]:
    clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    ports = SplitPorts.in_memory(RecordingRenderer(), clock, host="Dee (host)")
    return SplitCeremony(ports, replaces=replaces), ports


def _audit(ports: SplitPorts) -> MemoryAuditSink:
    audit = ports.recorder.audit
    assert isinstance(audit, MemoryAuditSink)
    return audit


def _registry(ports: SplitPorts) -> MemoryRegistry:
    registry = ports.recorder.registry
    assert isinstance(registry, MemoryRegistry)
    return registry


def _to_review(c: SplitCeremony, secret: bytes = SECRET) -> SecretBytes:
    buf = SecretBytes(secret)
    c.set_details("prod-db root", "database root on prod", "rotate after use")
    c.set_secret(buf)
    c.wizard.next()
    c.choose_preset("2-of-3")
    c.wizard.next()
    c.set_custodians(PEOPLE)
    c.wizard.next()
    return buf


def test_full_ceremony_registers_audits_and_wipes() -> None:
    c, ports = _ceremony()
    buf = _to_review(c)
    assert c.wizard.current == "review"
    assert not c.wizard.can_go_next()  # the shares are not made yet
    share_set = c.make_shares()
    assert share_set.proof is not None and not share_set.proof.sampled  # proven before paper
    rows = dict(c.review_lines())
    assert rows["Set fingerprint"] == share_set.fingerprint_text
    assert rows["Secret"].startswith(f"{len(SECRET)} bytes (hidden); strength: about ")
    assert "bits at most — an estimate" in rows["Secret"]  # loaded, not generated
    assert SECRET.decode() not in repr(rows)
    c.wizard.next()
    assert c.wizard.problems()[0].startswith("Print or save: Share sheet 1 of 3")
    sink = MemoryDocumentSink()
    saved = c.save_all(sink)
    # the ceremony record is not in this batch: it carries the anchor, made at the end
    assert len(saved) == 4 and not c.wizard.can_go_back()
    assert ports.renderer.calls == ["sheet 1", "sheet 2", "sheet 3", "runbook"]
    assert [d.id for d in c.documents] == ["share-1", "share-2", "share-3", "runbook"]
    with pytest.raises(WizardError, match="once the set is registered"):
        c.render_record()
    with pytest.raises(WizardError, match="once the set is registered"):
        c.render_document("record")
    c.wizard.next()
    assert c.wizard.current == "verify"
    assert "sheets 1, 2, 3" in c.wizard.problems()[0]
    # scan back two sheets, type the words of the third
    for number in (1, 2):
        data = sink.documents[c.document(f"share-{number}").file_name]
        qr = data.split(b" ", 2)[2].decode()
        assert c.verify_scanned_text(qr).ok
    words = " ".join(share_set.shares[2].verification_words())
    assert not c.verify_words(3, "wrong words here").ok
    matched = c.verify_words(3, words.upper())
    assert matched.ok and "matched to the record" in matched.message
    # words alone only match the sheet to the record: Finish stays blocked
    assert c.unverified() == [3]
    assert not c.wizard.can_go_next()
    assert any("Read back sheet 3" in p for p in c.wizard.problems())
    typed = c.verify_scanned_text(share_set.shares[2].transcription(), how="typed")
    assert typed.ok, typed.message
    assert c.compute_test_combine()
    c.accept_test_combine(True)
    assert not c.wizard.can_go_next()  # the host has not said the credential is set
    assert any("I have set this as the new credential" in p for p in c.wizard.problems())
    c.confirm_credential_set()
    assert _audit(ports).events[-1].kind == "credential_set_confirmed"
    assert c.wizard.can_go_next()
    summary = c.finish()
    assert c.wizard.status is WizardStatus.FINISHED
    assert buf.is_wiped
    # the record is made at Finish, then the share set (every share) is dropped: nothing of
    # it stays referenced by the ceremony while the last page is open
    assert ports.renderer.calls[-1] == "record"
    assert c.share_set is None and "share_set" not in c.state.objects
    # now the record: no signed log in memory, so no anchor (its box is left for the hand)
    assert c.record_anchor == ""
    fingerprint = share_set.fingerprint_text.encode()
    assert c.render_record() == b"%PDF-1.4 record " + fingerprint + b" (box)"
    assert ports.renderer.calls.count("record") == 1  # made once, handed out as often as asked
    assert c.record_item is not None and not c.record_item.done
    c.mark_record_emitted("printed on desk")
    assert c.record_item.emitted == ["printed on desk"]
    assert share_set.fingerprint_text in summary[0]
    rec = _registry(ports).list_sets()[0]
    assert rec.fingerprint == share_set.fingerprint_text and rec.status == "active"
    assert rec.policy == "2-of-3" and rec.created == dt.date(2026, 3, 2)
    audit = _audit(ports).events
    assert [e.kind for e in audit] == [
        "split_started",
        *["share_printed"] * 3,
        *["share_verified"] * 3,
        "credential_set_confirmed",
        "split_finished",
        "record_emitted",
    ]
    emitted = audit[-1].fields
    assert emitted == {"set": share_set.fingerprint_text, "how": "printed on desk"}  # no anchor
    assert audit[0].fields["custodians"] == [
        "Ana Ruiz, primary on-call",
        "Bo Chen, secondary on-call",
        "Cy Okafor, engineering manager",
    ]
    assert [e.fields["how"] for e in audit[4:7]] == ["scanned", "scanned", "typed"]
    assert {e.fields["medium"] for e in audit[1:4]} == {"pdf"}
    assert audit[-2].fields == {
        "set": share_set.fingerprint_text,
        "label": "prod-db root",
        "policy": "any 2 of these 3 shares",
        "shares": 3,
    }
    blob = repr(audit) + repr(rec)
    assert SECRET.decode() not in blob
    for s in share_set.shares:
        assert s.words[0] + " " + s.words[1] not in blob
        assert s.qr_texts()[0] not in blob


def test_cancel_mid_ceremony_wipes_and_records_abort() -> None:
    c, ports = _ceremony()
    buf = _to_review(c)
    c.make_shares()
    c.wizard.next()
    c.save_all(MemoryDocumentSink())
    c.cancel()
    assert buf.is_wiped and c.wizard.status is WizardStatus.CANCELLED
    *_, event = _audit(ports).events
    assert event.kind == "ceremony_aborted"
    assert event.fields["reason"].startswith("cancelled at the print and save step (set ")
    assert event.fields["reason"].endswith("4 documents already out)")  # sheets + runbook
    assert _registry(ports).list_sets() == []


def test_going_back_from_review_discards_the_shares() -> None:
    c, _ = _ceremony()
    _to_review(c)
    first = c.make_shares()
    c.wizard.back()
    assert c.share_set is None and "fingerprint" not in c.state
    c.set_custodian(3, CustodianEntry("Cy Okafor", "VP engineering"))
    c.wizard.next()
    second = c.make_shares()
    assert second.fingerprint != first.fingerprint


def test_verify_refuses_foreign_and_mismatched_sheets() -> None:
    c, _ = _ceremony()
    _to_review(c)
    c.make_shares()
    c.wizard.next()
    c.save_all(MemoryDocumentSink())
    c.wizard.next()
    other, _ = _ceremony()
    _to_review(other)
    foreign = other.make_shares().shares[0].qr_texts()[0]
    out = c.verify_scanned_text(foreign)
    assert not out.ok and "from set" in out.message
    out = c.verify_scanned_text("BG1" + "0" * 40)
    assert not out.ok and "not a readable share" in out.message
    assert c.unverified() == [1, 2, 3]
    with pytest.raises(WizardError):
        c.finish()


def test_large_secret_verifies_from_parts_in_any_order() -> None:
    c, _ = _ceremony()
    _to_review(c, secret=bytes(range(256)) * 2)
    share_set = c.make_shares()
    parts = share_set.shares[0].qr_texts()
    assert len(parts) > 1
    for text in reversed(parts[1:]):
        out = c.verify_scanned_text(text)
        assert out.ok and out.partial
    assert c.verify_scanned_text(parts[0]).ok
    assert c.verified() == {1: "scanned"}


def test_rotation_retires_the_old_set() -> None:
    old = SetRecord("AAAA-BBBB-CCCC-DDDD", "prod-db root", "2-of-3", dt.date(2025, 1, 1))
    c, ports = _ceremony(replaces=old)
    _registry(ports).add_set(old)
    assert c.state["name"] == "prod-db root"
    _to_review(c)
    share_set = c.make_shares()
    c.wizard.next()
    c.save_all(MemoryDocumentSink())
    c.wizard.next()
    for s in share_set.shares:
        assert c.verify_scanned_text(s.qr_texts()[0]).ok
    c.confirm_credential_set()
    summary = c.finish()
    registry = _registry(ports)
    assert registry.retired["AAAA-BBBB-CCCC-DDDD"].endswith(share_set.fingerprint_text)
    kinds = [e.kind for e in _audit(ports).events]
    assert kinds[-2:] == ["split_finished", "set_retired"]
    assert _audit(ports).events[-1].fields["replaced_by"] == share_set.fingerprint_text
    assert any("retired" in line for line in summary)


def test_group_policy_and_custodian_warnings() -> None:
    policy = Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)])
    same_place = [
        CustodianEntry("Ana", "VP", location="HQ"),
        CustodianEntry("Bo", "CTO", location="HQ"),
        CustodianEntry("Cy", "on-call", location="HQ"),
        CustodianEntry("Di", "on-call", location="HQ"),
        CustodianEntry("ana ", "on-call", location="Remote"),
    ]
    text = "\n".join(custodian_warnings(policy, same_place))
    assert "Ana holds shares 1, 5" in text  # a leader and an on-call: not a quorum alone
    assert "4 custodians for 5 shares" in text
    risks = custodian_risks(policy, same_place)
    # 1 leader + 2 on-call at HQ reach the quorum; the on-call role is in one group only
    assert [(r.kind, r.value, r.shares) for r in risks] == [("location", "HQ", (1, 2, 3, 4))]
    two_on_call = [PEOPLE[0], CustodianEntry("Bo", "Primary  On-call", location="x"), PEOPLE[2]]
    (role_risk,) = custodian_risks(Policy.simple(2, 3), two_on_call)
    assert role_risk.describe().startswith("Shares 1, 2 are all in one role (primary on-call)")
    fine = [
        CustodianEntry("Ana", "VP", location="A"),
        CustodianEntry("Bo", "CTO", location="B"),
        CustodianEntry("Cy", "on-call 1", location="C"),
        CustodianEntry("Di", "on-call 2", location="D"),
        CustodianEntry("Ed", "on-call 3", location="E"),
    ]
    assert custodian_warnings(policy, fine) == []
    assert custodian_risks(policy, fine) == []
    assert custodian_problems(policy, fine) == []


def test_one_person_reaching_the_quorum_blocks_until_a_reason_is_typed() -> None:
    simple = Policy.simple(2, 3)
    ana_twice = [CustodianEntry("Ana Ruiz"), CustodianEntry(" ana  ruiz"), CustodianEntry("Bo")]
    problems = custodian_problems(simple, ana_twice)
    assert any("Ana Ruiz alone holds shares 1, 2" in p for p in problems)
    assert any("type why this risk is accepted" in p for p in problems)
    assert custodian_problems(simple, ana_twice, "   ") == problems  # blank is no reason
    assert custodian_problems(simple, ana_twice, "Ana is the only admin until March") == []


def test_group_policy_person_risk_counts_groups() -> None:
    policy = Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)])
    # Ana holds one leadership share and two on-call shares: both groups, so the quorum.
    ana = [
        CustodianEntry("Ana"),
        CustodianEntry("Bo"),
        CustodianEntry("Ana"),
        CustodianEntry("Ana"),
        CustodianEntry("Cy"),
    ]
    assert [r.shares for r in custodian_risks(policy, ana)] == [(1, 3, 4)]
    # Two on-call shares alone satisfy only one of the two groups needed: no risk.
    ana[0] = CustodianEntry("Di")
    assert custodian_risks(policy, ana) == []


def test_empty_location_or_role_is_unknown_not_shared() -> None:
    simple = Policy.simple(2, 3)
    blanks = [CustodianEntry("Ana"), CustodianEntry("Bo"), CustodianEntry("Cy")]
    assert custodian_risks(simple, blanks) == []
    warnings = "\n".join(
        custodian_warnings(simple, [*blanks[:2], CustodianEntry("Cy", "x", "", "y")])
    )
    assert "No location given for shares 1, 2" in warnings


def test_every_share_needs_a_named_custodian() -> None:
    simple = Policy.simple(2, 3)
    problems = custodian_problems(simple, [PEOPLE[0], CustodianEntry(), CustodianEntry(" ")])
    assert problems == ["Name the custodian of shares 2, 3: every share needs a named person."]
    assert custodian_problems(simple, []) == [
        "Name the custodian of shares 1, 2, 3: every share needs a named person."
    ]


def test_unprintable_names_are_refused_naming_field_and_character() -> None:
    simple = Policy.simple(2, 3)
    flag = [CustodianEntry("Ana \U0001f1ea\U0001f1f8"), PEOPLE[1], PEOPLE[2]]
    (problem,) = custodian_problems(simple, flag)
    assert problem.startswith("Share 1's custodian cannot be printed:")
    assert "flag" in problem
    zwj = [PEOPLE[0], CustodianEntry("Bo", "dev \U0001f469\u200d\U0001f4bb"), PEOPLE[2]]
    (problem,) = custodian_problems(simple, zwj)
    assert problem.startswith("Share 2's role cannot be printed:")
    assert "zero-width joiner" in problem
    assert printable_problems([("x", "Ana \U0001f511 Ruiz")]) == []  # one plain emoji prints


def test_presets_carry_guidance_from_the_reference() -> None:
    assert [p.key for p in PRESETS] == ["2-of-3", "2-of-4", "3-of-5"]
    assert [p.policy.short() for p in PRESETS] == ["2-of-3", "2-of-4", "3-of-5"]
    assert "unreachable, asleep, or compromised" in PRESETS[0].guidance
    assert "silent misuse is worse" in PRESETS[2].guidance


def test_credential_step_blocks_until_name_and_secret() -> None:
    c, _ = _ceremony()
    problems = c.wizard.problems()
    assert len(problems) == 2
    c.set_details("x")
    c.set_secret(generate_secret(24, "hexadecimal"))
    assert c.wizard.can_go_next()
    c.clear_secret()
    assert not c.wizard.can_go_next()


def test_generate_secret_uses_alphabet_and_length() -> None:
    for name, chars in ALPHABETS.items():
        s = generate_secret(64, name)
        assert len(s) == 64 and set(s) <= set(chars)
    a, b = generate_secret(32, "letters and digits"), generate_secret(32, "letters and digits")
    assert a != b
    with pytest.raises(ValueError):
        generate_secret(4, "hexadecimal")


def test_read_secret_file_strips_one_newline(tmp_path: Path) -> None:
    p = tmp_path / "cred.txt"
    p.write_bytes(b"abc\r\n")
    s = read_secret_file(p)
    assert bytes(s) == b"abc" and isinstance(s, SecretBytes)
    p.write_bytes(b"\x00\x01\n\n")
    assert bytes(read_secret_file(p)) == b"\x00\x01\n"
    assert bytes(read_secret_file(p, strip_newline=False)) == b"\x00\x01\n\n"
    assert bytes(secret_from_text("pässword")) == "pässword".encode()


def test_folder_risk_names_temp_and_synced(tmp_path: Path) -> None:
    assert "temporary" in (folder_risk(tmp_path) or "")
    home = Path("/home/ana")  # not Path.home(): the tests' $HOME is a temporary folder
    assert "Dropbox" in (folder_risk(home / "Dropbox" / "keys") or "")
    assert "OneDrive" in (folder_risk(home / "OneDrive - Acme" / "x") or "")
    assert folder_risk(home / "Documents" / "Breakglass") is None


def test_folder_risk_warns_about_the_home_folder_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_home = Path("/home/ana-breakglass-test")
    monkeypatch.setattr(Path, "home", classmethod(lambda cls: fake_home))
    assert "home folder" in (folder_risk(fake_home / "Documents" / "Breakglass") or "")
    assert folder_risk(Path("/media/ana/USB-STICK/Breakglass")) is None


def test_folder_sink_writes_private_files(tmp_path: Path) -> None:
    sink = FolderSink(tmp_path / "out")
    where = sink.save("a.pdf", b"%PDF")
    assert Path(where).read_bytes() == b"%PDF"
    assert Path(where).stat().st_mode & 0o777 == 0o600
    with pytest.raises(ValueError):
        sink.save("../escape.pdf", b"x")


def test_folder_sink_never_replaces_what_it_did_not_write(tmp_path: Path) -> None:
    """Saving into a folder that holds another set's sheet leaves that sheet byte-identical and
    its mode unchanged; a symlink or a pipe in the way is not followed or opened."""
    import os
    import stat

    from breakglass_gui.platform.files import FileExistsRefusal

    out = tmp_path / "out"
    out.mkdir()
    other = out / "share-1.pdf"
    other.write_bytes(b"%PDF other set")
    other.chmod(0o640)
    target = tmp_path / "elsewhere.txt"
    target.write_bytes(b"keep me")
    (out / "share-2.pdf").symlink_to(target)
    os.mkfifo(out / "share-3.pdf")
    sink = FolderSink(out)
    for name in ("share-1.pdf", "share-2.pdf", "share-3.pdf"):
        with pytest.raises(FileExistsRefusal, match="already exists"):
            sink.save(name, b"%PDF new set")
    assert other.read_bytes() == b"%PDF other set" and stat.S_IMODE(other.stat().st_mode) == 0o640
    assert target.read_bytes() == b"keep me" and (out / "share-2.pdf").is_symlink()
    assert stat.S_ISFIFO((out / "share-3.pdf").lstat().st_mode)
    assert sorted(p.name for p in out.iterdir()) == ["share-1.pdf", "share-2.pdf", "share-3.pdf"]
    # this ceremony saving its own document again into the same folder is allowed
    mine = FolderSink(out).save("share-4.pdf", b"%PDF v1")
    assert FolderSink(out, [mine]).save("share-4.pdf", b"%PDF v2") == mine
    assert Path(mine).read_bytes() == b"%PDF v2"


def test_scanned_share_text_round_trips() -> None:
    c, _ = _ceremony()
    _to_review(c)
    s = c.make_shares().shares[1]
    parsed = parse_text(s.qr_texts()[0])
    assert parsed == s


def test_a_generated_credential_must_be_confirmed_before_printing() -> None:
    c, _ = _ceremony()
    c.set_details("prod-db root")
    secret = generate_secret(24, "hexadecimal")
    value = bytes(secret)
    c.set_secret(secret, generated=True)
    c.wizard.next()
    c.choose_preset("2-of-3")
    c.wizard.next()
    c.set_custodians(PEOPLE)
    c.wizard.next()
    c.make_shares()
    assert not c.wizard.can_go_next()
    assert "Nobody has seen the generated credential" in c.wizard.problems()[0]
    first, second = c.group_challenge()
    assert 1 <= first < second <= 6
    group = lambda n: value[(n - 1) * 4 : n * 4].decode()  # noqa: E731
    assert not c.answer_group_challenge(group(first), "zzzz")
    first, second = c.group_challenge()  # a fresh pair after a wrong answer
    assert c.answer_group_challenge(group(first), group(second))
    assert c.wizard.can_go_next()


def test_copying_a_generated_credential_confirms_it() -> None:
    c, _ = _ceremony()
    c.set_secret(generate_secret(16, "hexadecimal"), generated=True)
    assert not c.secret_confirmed
    c.mark_secret_copied()
    assert c.secret_confirmed
    c.set_secret(generate_secret(16, "hexadecimal"), generated=True)
    assert not c.secret_confirmed  # a new value needs its own confirmation


def test_delete_saved_overwrites_then_unlinks(tmp_path: Path) -> None:
    c, _ = _ceremony()
    _to_review(c)
    c.make_shares()
    c.wizard.next()
    folder = tmp_path / "stick"
    c.save_all(FolderSink(folder))
    files = c.saved_files()
    assert len(files) == 4 and all(Path(f).exists() for f in files)
    keep = Path(files[0])
    inode = keep.stat().st_ino
    import os as _os

    fd = _os.open(keep, _os.O_RDONLY)  # a reader still holding the file sees the overwrite
    try:
        assert c.delete_saved() == files
        assert not any(Path(f).exists() for f in files)
        data = _os.read(fd, 1 << 20)
        assert data and set(data) == {0}
        assert _os.fstat(fd).st_ino == inode
    finally:
        _os.close(fd)
    assert c.saved_files() == []
    assert c.state["deleted_files"] == files


def _finish_saved_to(c: SplitCeremony, folder: Path, *, delete: bool) -> list[str]:
    _to_review(c)
    share_set = c.make_shares()
    c.wizard.next()
    c.save_all(FolderSink(folder))
    if delete:
        c.delete_saved()
    c.wizard.next()
    for share in share_set.shares:
        assert c.verify_scanned_text(share.transcription(), how="typed").ok
    c.confirm_credential_set()
    return c.finish()


def test_the_end_says_which_saved_pdfs_are_still_on_disk(tmp_path: Path) -> None:
    c, _ = _ceremony()
    summary = _finish_saved_to(c, tmp_path / "stick", delete=False)
    (line,) = [s for s in summary if "still on disk" in s]
    assert line.startswith(f"4 saved PDF(s) are still on disk in {tmp_path / 'stick'}, 3 of them")
    assert "move them into the safe" in line and "does not reliably erase" in line
    assert not any("overwritten and deleted" in s for s in summary)


def test_the_end_says_the_saved_pdfs_were_deleted(tmp_path: Path) -> None:
    c, _ = _ceremony()
    summary = _finish_saved_to(c, tmp_path / "stick", delete=True)
    assert "4 saved PDF(s) were overwritten and deleted." in summary
    assert not any("still on disk" in s for s in summary)
    assert not list((tmp_path / "stick").iterdir())


def test_a_record_that_cannot_be_made_at_finish_is_said_and_the_set_stays_registered(
    tmp_path: Path,
) -> None:
    c, ports = _ceremony()

    def broken(share_set: Any, context: Mapping[str, Any]) -> bytes:
        raise OSError("font file unreadable")

    ports.renderer.ceremony_record = broken  # type: ignore[method-assign]
    summary = _finish_saved_to(c, tmp_path / "stick", delete=True)
    assert c.wizard.status is WizardStatus.FINISHED
    assert _registry(ports).list_sets(), "the set is registered although the record failed"
    assert any("could not be made (font file unreadable)" in line for line in summary)
    with pytest.raises(WizardError, match="font file unreadable"):
        c.render_record()
    assert c.share_set is None
