"""The split flow over the real adapters: paper PDFs, the signed audit log and the registry."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from breakglass_gui.audit.log import parse_anchor, read_entries
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.ceremony.adapters import PaperRenderer, TrailSplitRecorder, trail_rows
from breakglass_gui.ceremony.ports import FolderSink, ManualClock
from breakglass_gui.ceremony.split_flow import CustodianEntry, SplitCeremony, SplitPorts
from breakglass_gui.ceremony.wizard import WizardError
from breakglass_gui.core.secret import SecretBytes

SECRET = b"tier-zero: p@ss-W0rd-for-db-root"


def _run(home: Path, out: Path, replaces: str | None = None) -> tuple[SplitCeremony, AuditTrail]:
    clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    trail = AuditTrail(home, clock=clock.now)
    ports = SplitPorts(TrailSplitRecorder(trail), PaperRenderer(), clock, host="Dee")
    record = None
    if replaces:
        (row,) = [r for r in trail_rows(trail) if r.fingerprint == replaces]
        from breakglass_gui.ceremony.ports import SetRecord

        record = SetRecord(row.fingerprint, row.label, row.policy, row.created)
    c = SplitCeremony(ports, replaces=record)
    c.set_details("prod-db root", "db root", "")
    c.set_secret(SecretBytes(SECRET))
    c.wizard.next()
    c.choose_preset("2-of-3")
    c.wizard.next()
    c.set_custodians(
        [
            CustodianEntry("Ana", "primary on-call", "signal", "Lisbon"),
            CustodianEntry("Bo", "secondary on-call", "phone", "Berlin"),
            CustodianEntry("Cy", "manager", "email", "Paris"),
        ]
    )
    c.wizard.next()
    share_set = c.make_shares()
    c.wizard.next()
    c.save_all(FolderSink(out))
    c.wizard.next()
    for s in share_set.shares:
        assert c.verify_scanned_text(s.qr_texts()[0]).ok
    c.confirm_credential_set()
    c.finish()
    return c, trail


def test_split_writes_pdfs_registry_and_a_verifiable_log(tmp_path: Path) -> None:
    c, trail = _run(tmp_path / "home", tmp_path / "out")
    # the record is made now, after the registration: the end says it carries the anchor
    ann = trail.last_announcement
    assert ann is not None and ann.kind == "split"
    [line] = [x for x in c.summary if x.startswith("Audit anchor of this split: ")]
    assert f"Audit anchor of this split: {ann.anchor}. " in line
    assert "ceremony record printed now carries the same anchor" in line
    assert "box" not in line  # nothing to copy by hand
    assert trail.split_anchor(ann.set_fp) == ann.anchor
    assert trail.check_anchor(parse_anchor(ann.anchor, "the split's anchor")).ok
    assert c.record_anchor == ann.anchor
    pdfs = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert len(pdfs) == 4  # 3 sheets and the runbook; the record is made after Finish
    doc = pdfium.PdfDocument(c.render_record())
    text = " ".join(
        " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc))).split()
    )
    assert f"Audit anchor {ann.anchor} (announced when the set was registered" in text
    for p in (tmp_path / "out").iterdir():
        assert p.read_bytes().startswith(b"%PDF")
    (row,) = trail_rows(trail)
    assert row.label == "prod-db root" and row.status == "active" and row.shares == 3
    assert [p.contact for p in trail.registry.custodians(row.fingerprint)] == [
        "signal",
        "phone",
        "email",
    ]
    report = trail.verify()
    assert report.ok, report.summary()
    log = (tmp_path / "home" / "audit.log").read_text()
    events = [json.loads(line)["event"] for line in log.splitlines()]
    assert events[-1] == "split_finished" and "split_started" in events
    assert events.count("share_printed") == 3 and events.count("share_verified") == 3
    assert SECRET.decode() not in log
    # rotation: a second ceremony replaces the first set and retires it
    _c2, trail2 = _run(tmp_path / "home", tmp_path / "out2", replaces=row.fingerprint)
    statuses = {r.fingerprint: r.status for r in trail_rows(trail2)}
    assert statuses[row.fingerprint] == "retired"
    assert list(statuses.values()).count("active") == 1


def test_abort_before_anything_is_on_the_record(tmp_path: Path) -> None:
    clock = ManualClock()
    trail = AuditTrail(tmp_path, clock=clock.now)
    c = SplitCeremony(SplitPorts(TrailSplitRecorder(trail), PaperRenderer(), clock))
    c.set_secret(SecretBytes(b"x" * 12))
    c.cancel()
    (ceremony,) = trail.registry.ceremonies("split")
    assert ceremony.status == "aborted"
    assert ceremony.outcome == "cancelled at the credential step"


def test_the_log_says_which_saved_pdfs_were_kept_where(tmp_path: Path) -> None:
    _c, trail = _run(tmp_path / "home", tmp_path / "out")
    kept = sorted(str(p) for p in (tmp_path / "out").iterdir())
    (entry,) = [e for e in read_entries(trail.log_path) if e.event == "saved_pdfs"]
    assert sorted(entry.fields["kept"]) == kept and entry.fields["deleted"] == []
    assert trail.verify().ok
    text = trail.log_path.read_text()
    assert SECRET.decode() not in text


def test_the_split_announcement_and_its_answer_go_through_the_ceremony(tmp_path: Path) -> None:
    """One rule for every front end: the GUI's announcement is the trail's (what the CLI
    prints), and "posted?" is logged through the ceremony, either way, for this ceremony."""
    c, trail = _run(tmp_path / "home", tmp_path / "out")
    ann = c.announcement()
    assert ann is not None and ann is trail.last_announcement and ann.kind == "split"
    c.announcement_posted(False, "operator said it was not posted")
    c.announcement_posted(True, "confirmed posted in the app")
    entries = list(read_entries(trail.log_path))
    [made] = [e for e in entries if e.event == "split_finished"]
    answers = [e for e in entries if e.event == "announcement_posted"]
    assert [(a.fields["posted"], a.fields["ceremony"]) for a in answers] == [
        (False, made.fields["ceremony"]),
        (True, made.fields["ceremony"]),
    ]
    assert trail.verify().ok


def test_no_answer_is_logged_for_a_split_that_announced_nothing(tmp_path: Path) -> None:
    clock = ManualClock(dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC))
    trail = AuditTrail(tmp_path / "home", clock=clock.now)
    c = SplitCeremony(SplitPorts(TrailSplitRecorder(trail), PaperRenderer(), clock, host="Dee"))
    assert c.announcement() is None
    with pytest.raises(WizardError, match="no announcement"):
        c.announcement_posted(True, "clicked too early")
    assert not [e for e in read_entries(trail.log_path) if e.event == "announcement_posted"]


def test_a_rotation_anchors_the_old_sets_retirement_so_undoing_it_is_caught(
    tmp_path: Path,
) -> None:
    first, trail = _run(tmp_path / "home", tmp_path / "out1")
    old_fp = str(first.state["fingerprint"])
    assert first.share_set is None  # dropped at Finish
    trail.close()
    c, trail = _run(tmp_path / "home", tmp_path / "out2", replaces=old_fp)
    new_fp = str(c.state["fingerprint"])
    ann = c.announcement()
    assert ann is not None and ann.kind == "split" and ann is trail.last_announcement
    assert ("Replaces", f"{old_fp} (retired)") in ann.details
    entries = list(read_entries(trail.log_path))
    [retired] = [e for e in entries if e.event == "set_retired"]
    [made] = [e for e in entries if e.event == "split_finished" and e.fields.get("replaces")]
    assert retired.fields["replaced_by"] == new_fp and retired.seq > made.seq
    # the anchor is the retirement, written after the new set: the split's last entry
    assert ann.anchor == f"{retired.seq}:{retired.hash[:20]}"
    assert trail.split_anchor(new_fp) == ann.anchor  # what `record` prints
    assert trail.split_anchor(old_fp) != ann.anchor  # the first split's own
    anchor = parse_anchor(ann.anchor)
    assert trail.check_anchor(anchor).ok
    # the log cut back to the new set's entry (the old set "un-retired"), the registry's
    # count put back too: the announced anchor no longer matches
    data = trail.log_path.read_bytes()
    keep = b"".join(e.line + b"\n" for e in entries if e.seq <= made.seq)
    assert data.startswith(keep) and len(keep) < len(data)
    trail.log_path.write_bytes(keep)
    assert trail.check_anchor(anchor).kind.value in {"rolled-back", "cut"}
