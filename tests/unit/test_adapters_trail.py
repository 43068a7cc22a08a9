"""The trail adapters, headless: break glass and drills recorded through ``AuditTrail``, the
retired-set lookup, the fail-closed mirror gate with its logged override, and check-ins."""

from __future__ import annotations

import datetime as dt
import json
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.mirrors import MirrorError, Settings
from breakglass_gui.audit.review import complete_review
from breakglass_gui.audit.service import AuditTrail, CeremonyError, GateClosedError
from breakglass_gui.ceremony.adapters import (
    TrailCheckin,
    TrailReconstructionRecorder,
    TrailRetiredSets,
    trail_rows,
)
from breakglass_gui.ceremony.drill import StepTimer, drill_report, record_drill
from breakglass_gui.ceremony.ports import ManualClock
from breakglass_gui.ceremony.reconstruct_flow import CHECKLIST, OfferKind, ReconstructFlow
from breakglass_gui.ceremony.wizard import WizardError
from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from tests.forgery import forge_last_share

SECRET = b"tier-zero: hunter2 but longer"
MADE = dt.date(2026, 3, 1)
PEOPLE = [
    Custodian("Ana Ruiz", "primary on-call"),
    Custodian("Ben Okafor", "secondary on-call"),
    Custodian("Chen Wu", "engineering manager"),
]


def register(trail: AuditTrail, share_set: ShareSet) -> None:
    cid = trail.split_started(
        label=share_set.header.label,
        policy=share_set.header.policy,
        custodians=[s.holder for s in share_set.shares],
        operator="Dee Host",
    )
    trail.split_finished(cid, share_set, operator="Dee Host")


@pytest.fixture
def clock() -> ManualClock:
    return ManualClock(dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC))


@pytest.fixture
def trail(tmp_path: Path, clock: ManualClock) -> Iterator[AuditTrail]:
    with AuditTrail(tmp_path / "home", clock=clock.now) as t:
        yield t


@pytest.fixture
def sets(trail: AuditTrail) -> dict[str, ShareSet]:
    made = {
        "main": split_credential(
            SECRET,
            policy=Policy.simple(2, 3),
            label="prod-db root",
            custodians=PEOPLE,
            created=MADE,
        ),
        "old": split_credential(
            b"last year",
            policy=Policy.simple(2, 3),
            label="prod-db root",
            custodians=PEOPLE,
            created=MADE,
        ),
        "foreign": split_credential(
            b"elsewhere",
            policy=Policy.simple(2, 3),
            label="billing",
            custodians=PEOPLE,
            created=MADE,
        ),
    }
    register(trail, made["old"])
    trail.retire_set(made["old"].fingerprint_text, by="Dee Host", reason="rotated")
    register(trail, made["main"])
    return made


def flow_for(
    trail: AuditTrail, clock: ManualClock, *, drill: bool
) -> tuple[ReconstructFlow, TrailReconstructionRecorder]:
    audit = TrailReconstructionRecorder(trail, drill=drill)
    flow = ReconstructFlow(audit, clock=clock, drill=drill, retired=TrailRetiredSets(trail))
    return flow, audit


def authorise(flow: ReconstructFlow, incident: str = "INC-4821") -> None:
    flow.authorise(incident, flow.config.triggers[0], "Ana Ruiz", ["Ben Okafor"])
    flow.wizard.next()


def ceremony_events(trail: AuditTrail, ceremony: int) -> list[str]:
    return [e.event for e in read_entries(trail.log_path) if e.fields.get("ceremony") == ceremony]


def rate(trail: AuditTrail, fp: str) -> int:
    rec = trail.registry.get_set(fp)
    assert rec is not None
    return trail.bypass_rate(rec.credential_id).current


def test_break_glass_is_one_real_ceremony_and_marks_the_set_rotation_due(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    main, old, foreign = sets["main"], sets["old"], sets["foreign"]
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow)
    assert audit.ceremony is not None
    refused = flow.offer_text(old.shares[0].qr_texts()[0], "camera")
    assert refused.kind is OfferKind.REFUSED
    assert refused.message == (
        f"Refused share 1 of 3 (Ana Ruiz, primary on-call) (retired set): it belongs to set "
        f"{old.fingerprint_text}, which was retired (on 2026-03-02 by Dee Host); retired "
        "portions open nothing — ask for the current set's share"
    )
    assert flow.offer_text(main.shares[0].qr_texts()[0], "camera").accepted
    assert flow.offer_text(foreign.shares[1].qr_texts()[0], "camera").kind is OfferKind.REFUSED
    assert flow.offer_text(main.shares[2].transcription(), "typed").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    flow.wizard.next()
    assert flow.wizard.current == "announce"  # its own step, before the reveal
    gate = audit.gate()  # no mirror configured: the announcement is the trace outside
    assert gate is not None and not gate.open and gate.needs_announcement
    with pytest.raises(BreakglassError):
        flow.reveal()  # not from the announce step
    with pytest.raises(GateClosedError):
        audit.revealed(main.fingerprint_text, via="screen")  # nor past the trail's own gate
    ann = flow.announcement()
    assert ann is not None and ann.incident == "INC-4821"
    flow.announcement_posted(True, "confirmed in the test")
    flow.wizard.next()
    assert flow.wizard.current == "reveal"
    flow.reveal()
    flow.wizard.next()  # Done: wiped
    for key, _label in CHECKLIST:
        flow.tick_item(key)
    flow.wizard.finish()

    cid = audit.ceremony
    assert ceremony_events(trail, cid) == [
        "reconstruction_started",
        "share_refused",
        "share_accepted",
        "share_refused",
        "share_accepted",
        "quorum_reached",
        "announcement_posted",
        "secret_revealed",
        "secret_wiped",
        *["post_use_step_done"] * len(CHECKLIST),
        "reconstruction_finished",
        "set_rotation_due",
        "review_created",
    ]
    report = trail.verify()
    assert report.ok, report.summary()
    rec = trail.registry.ceremony(cid)
    assert rec is not None and rec.kind == "reconstruction" and rec.set_fp == main.fingerprint_text
    assert rec.incident == "INC-4821"
    row = next(r for r in trail_rows(trail) if r.fingerprint == main.fingerprint_text)
    assert row.status == "rotation-due" and row.real_uses == 1
    assert audit.review_id is not None  # the review record was opened
    finished = [e for e in read_entries(trail.log_path) if e.event == "reconstruction_finished"]
    assert finished[-1].fields["outcome"] == "revealed"
    logged = trail.log_path.read_text()
    assert SECRET.decode() not in logged
    for share in main.shares:
        assert " ".join(share.words) not in logged
        assert share.qr_texts()[0] not in logged


def test_a_drill_is_recorded_as_a_drill_with_step_timings(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    main = sets["main"]
    before = rate(trail, main.fingerprint_text)
    flow, audit = flow_for(trail, clock, drill=True)
    timer = StepTimer(flow.wizard, clock)
    clock.advance(20)
    authorise(flow, "INC-9001")
    for k in (0, 1):
        clock.advance(30)
        assert flow.offer_text(main.shares[k].qr_texts()[0], "camera").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    assert flow.secret is None  # a drill on a live set: proven, never held for showing
    flow.wizard.next()
    flow.wizard.finish()
    record_drill(flow.recorder, drill_report(flow, timer))

    cid = audit.ceremony
    assert cid is not None
    rec = trail.registry.ceremony(cid)
    assert rec is not None and rec.kind == "drill"
    steps = dict(trail.registry.steps(cid))
    assert steps["trigger"] == 20 and steps["collect"] == 60
    assert rate(trail, main.fingerprint_text) == before  # a drill is never real use
    row = next(r for r in trail_rows(trail) if r.fingerprint == main.fingerprint_text)
    assert row.status == "active" and row.last_drill == dt.date(2026, 3, 2)
    assert ceremony_events(trail, cid)[-4:] == ["step_timed"] * 4  # no reveal step
    assert trail.verify().ok


def test_cancel_before_the_authorisation_is_still_on_the_record(
    trail: AuditTrail, clock: ManualClock
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    flow.wizard.cancel()
    assert audit.ceremony is not None
    assert ceremony_events(trail, audit.ceremony) == ["ceremony_aborted"]
    rec = trail.registry.ceremony(audit.ceremony)
    assert rec is not None and rec.status == "aborted"


def test_closing_after_a_reveal_still_marks_rotation_due(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    main = sets["main"]
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow)
    for k in (1, 2):
        flow.offer_text(main.shares[k].qr_texts()[0], "camera")
    flow.wizard.next()
    assert flow.run_reconstruction()
    flow.wizard.next()
    flow.announcement_posted(True, "confirmed in the test")
    flow.wizard.next()  # the reveal step
    flow.note_copied(30)  # copied, never shown: exposed all the same
    flow.close()
    assert audit.ceremony is not None
    events = ceremony_events(trail, audit.ceremony)
    assert events[-5:] == [
        "secret_wiped",
        "ceremony_aborted",
        "reconstruction_finished",
        "set_rotation_due",
        "review_created",
    ]
    rec = trail.registry.get_set(main.fingerprint_text)
    assert rec is not None and rec.status == "rotation-due"


def test_changing_the_authorisation_opens_a_new_ceremony(
    trail: AuditTrail, clock: ManualClock
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow)
    first = audit.ceremony
    flow.wizard.back()
    flow.wizard.next()  # unchanged: the same ceremony
    assert audit.ceremony == first
    flow.wizard.back()
    flow.authorise("INC-4822", flow.config.triggers[1], "Ana Ruiz", [], drill=True)
    flow.wizard.next()
    assert first is not None and audit.ceremony != first
    assert ceremony_events(trail, first)[-1] == "ceremony_aborted"
    rec = trail.registry.ceremony(audit.ceremony or 0)
    assert rec is not None and rec.kind == "drill"


def _closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def test_fail_closed_gate_and_a_logged_override(
    tmp_path: Path, clock: ManualClock, sets: dict[str, ShareSet], trail: AuditTrail
) -> None:
    main = sets["main"]
    home = trail.home
    (home / "config.json").write_text(
        json.dumps(
            {
                "mirrors": [
                    {"type": "syslog", "name": "siem", "host": "127.0.0.1", "port": _closed_port()}
                ],
                "reconstruction_policy": "fail-closed",
            }
        )
    )
    with AuditTrail(home, clock=clock.now) as mirrored:
        assert mirrored.mirrors, "the mirror configuration was not picked up"
        flow, audit = flow_for(mirrored, clock, drill=False)
        authorise(flow)
        for k in (0, 1):
            flow.offer_text(main.shares[k].qr_texts()[0], "camera")
        flow.wizard.next()
        assert flow.run_reconstruction()
        flow.wizard.next()
        assert flow.wizard.current == "announce"
        gate = audit.gate()
        assert gate is not None and not gate.open
        assert "siem" in gate.explain()
        with pytest.raises(GateClosedError):
            audit.revealed(main.fingerprint_text, via="screen")
        with pytest.raises(WizardError):
            flow.wizard.next()  # the shut gate holds the announce step
        with pytest.raises(CeremonyError):
            audit.override_gate("short")
        audit.override_gate("SIEM down during the same outage, INC-4821")
        reopened = audit.gate()
        assert reopened is not None and reopened.open and reopened.overridden
        flow.check_gate()
        flow.wizard.next()
        flow.reveal()
        cid = audit.ceremony
        assert cid is not None
        events = ceremony_events(mirrored, cid)
        assert events.index("mirror_override") < len(events) - 1
        assert events[-1] == "secret_revealed"
        override = [e for e in read_entries(mirrored.log_path) if e.event == "mirror_override"]
        assert override[0].fields["reason"] == "SIEM down during the same outage, INC-4821"
        assert override[0].fields["mirrors"] == ["siem"]


def test_checkin_checks_alone_names_unknown_and_retired_sets_and_records(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    main, old, foreign = sets["main"], sets["old"], sets["foreign"]
    clock.advance(400 * 86400)
    stale = {s.number for s in trail.stale_shares() if s.set_fp == main.fingerprint_text}
    assert stale == {1, 2, 3}
    desk = TrailCheckin(trail, by="Dee Host")

    out = desk.offer_text(main.shares[1].qr_texts()[0], "camera")
    assert out.kind == "checked-in" and out.ok
    assert out.message == (
        f"Share 2 of set {main.fingerprint_text} present and intact (Ben Okafor, secondary "
        "on-call, prod-db root). Recorded in the audit log."
    )
    again = desk.offer_text(main.shares[1].qr_texts()[0], "camera")
    assert again.repeat and again.kind == "checked-in"  # the same code still in view
    desk.no_code_seen("camera")
    assert desk.offer_text(main.shares[1].qr_texts()[0], "camera").kind == "again"
    typed = desk.offer_text(main.shares[2].transcription(), "typed")
    assert typed.kind == "checked-in"
    stale = {s.number for s in trail.stale_shares() if s.set_fp == main.fingerprint_text}
    assert stale == {1}

    retired = desk.offer_text(old.shares[0].qr_texts()[0], "camera")
    assert retired.kind == "retired-set" and not retired.ok
    assert f"this share belongs to set {old.fingerprint_text} retired on" in retired.message
    assert "by Dee Host" in retired.message
    unknown = desk.offer_text(foreign.shares[0].qr_texts()[0], "image")
    assert unknown.kind == "unknown-set"
    assert f"set {foreign.fingerprint_text} (billing) is not in this registry" in unknown.message
    text = main.shares[0].qr_texts()[0]
    broken = text[:-3] + ("0" if text[-3] != "0" else "1") + text[-2:]
    bad = desk.offer_text(broken, "typed")
    assert bad.kind == "unreadable" and "cannot be checked in" in bad.message

    entries = list(read_entries(trail.log_path))
    checkins = [e for e in entries if e.event == "checkin"]
    assert [(e.fields["share"], e.fields["result"]) for e in checkins] == [
        (2, "present and intact"),
        (3, "present and intact"),
    ]
    refused = [e for e in entries if e.event == "checkin_refused"]
    assert [e.fields["set"] for e in refused] == [old.fingerprint_text, foreign.fingerprint_text]
    assert trail.verify().ok
    logged = trail.log_path.read_text()
    for share in (*main.shares, *old.shares, *foreign.shares):
        assert share.qr_texts()[0] not in logged and " ".join(share.words) not in logged


def test_the_after_step_completes_the_one_registry_review_record(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    """What a front end shows after the wipe is the registry's record of the ceremony (opened
    then, once); answers go into it; the end refreshes it from the log, keeping the answers;
    unticked post-use steps become its follow-ups."""
    main = sets["main"]
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow)
    assert audit.review() is None  # nothing reconstructed yet: no record
    for k in (0, 1):
        assert flow.offer_text(main.shares[k].qr_texts()[0], "camera").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    flow.wizard.next()
    flow.announcement_posted(True, "confirmed in the test")
    flow.wizard.next()  # the reveal step
    flow.reveal()
    clock.advance(30)
    flow.wizard.next()  # Done: wiped; the After step
    view = audit.review()
    assert view is not None and view.stored and view.status == "draft"
    assert view.missing == ("severity", "appropriate", "reviewers")
    [(rid, cid, status, stored)] = trail.registry.reviews()
    assert (rid, cid) == (view.review_id, audit.ceremony) and dict(view.values) == stored
    assert view.text.startswith("# break-glass review record — INC-4821\n")
    assert "(still open)" in stored["window"]
    flow.tick_item("rotate")
    assert audit.review_answers({"severity": "SEV2", "reviewers": ["security"]}) == (
        rid,
        "draft",
        ["appropriate"],
    )
    again = audit.review()  # refreshed from the log: the tick is there, the answers kept
    assert again is not None and again.review_id == rid
    assert "post-use: rotate" in again.values["actions_taken"]
    assert again.values["severity"] == "SEV2" and again.values["reviewers"] == ["security"]
    flow.defer_checklist()  # the rest is done later
    flow.wizard.finish()
    [(rid2, _, status, stored)] = trail.registry.reviews()  # still one record
    assert rid2 == rid and status == "draft"
    assert stored["severity"] == "SEV2" and "(still open)" not in stored["window"]
    assert stored["audit_verified"].startswith("YES — signed log intact")
    labels = dict(CHECKLIST)
    assert stored["follow_ups"] == [
        f"post-use step open: {labels[k]}" for k in ("resplit", "redistribute", "postmortem")
    ]
    assert ceremony_events(trail, cid).count("review_created") == 1


def test_a_drill_and_an_attempt_never_reconstructed_have_no_review_from_the_after_step(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    main = sets["main"]
    flow, audit = flow_for(trail, clock, drill=True)
    authorise(flow, "quarterly drill")
    for k in (0, 1):
        flow.offer_text(main.shares[k].qr_texts()[0], "camera")
    flow.wizard.next()
    assert flow.run_reconstruction()
    assert audit.review() is None and audit.review_answers({"severity": "SEV1"}) is None
    flow.close()
    assert trail.registry.reviews() == []


def test_refused_attempts_in_one_ceremony_share_one_record_naming_set_and_credential(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    """A real ceremony that ends without the credential after shares were refused is worth a
    blameless look: it gets one review record (never one per refusal), which names the set
    and credential the shares were refused for; it is not a use."""
    main, old, foreign = sets["main"], sets["old"], sets["foreign"]
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow)
    for k, source in ((0, "camera"), (1, "camera"), (0, "typed")):  # retired, again and again
        offer = flow.offer_text(old.shares[k].qr_texts()[0], source)
        assert offer.kind is OfferKind.REFUSED
    assert flow.offer_text(foreign.shares[0].qr_texts()[0], "file").kind is OfferKind.REFUSED
    assert audit.review() is None  # nothing reconstructed: nothing to show on an After page
    flow.close()  # the window closed: the attempt ends

    cid = audit.ceremony
    assert cid is not None
    [(_rid, rcid, status, record)] = trail.registry.reviews()
    assert rcid == cid and status == "draft"
    assert record["credential"] == "prod-db root"
    assert record["set"] == f"{old.fingerprint_text} (2-of-3)"
    assert record["incident"] == "INC-4821" and record["shares_used"] == []
    assert len(record["shares_refused"]) == 4
    assert "unknown" not in record["bypass_rate"]
    kinds = ceremony_events(trail, cid)
    assert kinds.count("share_refused") == 4 and kinds.count("review_created") == 1
    assert kinds[-2:] == ["ceremony_aborted", "review_created"]
    # an attempt is not a use: the bypass rate of the credential does not move
    assert rate(trail, main.fingerprint_text) == 0
    assert trail.registry.get_set(main.fingerprint_text) is not None
    row = next(r for r in trail_rows(trail) if r.fingerprint == main.fingerprint_text)
    assert row.status == "active" and row.real_uses == 0


def test_repeated_failed_reconstructions_in_one_ceremony_share_one_record(
    trail: AuditTrail, clock: ManualClock
) -> None:
    """A tampered set (every share passes alone; two do not combine): the quorum is refused
    at Reconstruct, tried again from Collect, refused again; one record names the set."""

    def made(secret: bytes) -> ShareSet:
        return split_credential(
            secret, policy=Policy.simple(2, 3), label="vault unseal", custodians=PEOPLE
        )

    forged = forge_last_share(made(b"one").shares, made(b"two").shares)
    register(trail, ShareSet(forged[0].header, forged[0].set_digest, forged))
    fp = forged[0].fingerprint_text
    flow, _audit = flow_for(trail, clock, drill=False)
    authorise(flow)
    flow.collector.offer_share(forged[0], "camera")
    flow.collector.offer_share(forged[2], "camera")
    for _ in range(2):
        flow.wizard.next()
        assert not flow.run_reconstruction()
        assert flow.wizard.back() == "collect"
    flow.close()

    [(_rid, _cid, _status, record)] = trail.registry.reviews()
    assert record["credential"] == "vault unseal" and record["set"] == f"{fp} (2-of-3)"
    refused = [r for r in record["shares_refused"] if r.startswith("the presented quorum")]
    assert len(refused) == 2
    entries = [e for e in read_entries(trail.log_path) if e.event == "share_refused"]
    assert [e.fields["set"] for e in entries] == [fp, fp]  # the log names the set too


def test_a_drill_or_unreadable_input_alone_opens_no_record(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    old = sets["old"]
    flow, _ = flow_for(trail, clock, drill=True)
    authorise(flow, "quarterly drill")
    assert flow.offer_text(old.shares[0].qr_texts()[0], "camera").kind is OfferKind.REFUSED
    flow.close()
    flow, _ = flow_for(trail, clock, drill=False)
    authorise(flow, "INC-4900")
    flow.refuse_unread("notes.txt", "not a Breakglass share")  # a stray file: no share at all
    flow.close()
    assert trail.registry.reviews() == []


def _refused_attempt(
    trail: AuditTrail, clock: ManualClock, incident: str, share_set: ShareSet, k: int
) -> int:
    """A real attempt under ``incident`` whose one share (``k``) is refused; the window is
    then closed. Returns its ceremony."""
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow, incident)
    assert flow.offer_text(share_set.shares[k].qr_texts()[0], "camera").kind is OfferKind.REFUSED
    flow.close()
    assert audit.ceremony is not None
    return audit.ceremony


def test_one_incident_on_one_credential_is_one_review_record(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    """Refused attempts under one incident, each its own ceremony, share the incident's draft
    record; the use that follows under that incident joins it too (its After page shows that
    record). Another incident, another credential (a set not rotated from this one, shares of
    no set here) or a record already completed: a record of its own."""
    old, foreign = sets["old"], sets["foreign"]
    made = [
        split_credential(v, policy=Policy.simple(2, 3), label="vault", custodians=PEOPLE)
        for v in (b"vault v1", b"vault v2")
    ]
    v1, v2 = made
    register(trail, v1)
    split = trail.split_started(
        label="vault", policy=v2.header.policy, replaces=v1.fingerprint_text
    )
    trail.split_finished(split, v2, replaces=v1.fingerprint_text)  # v1 retired, one credential
    first = _refused_attempt(trail, clock, "INC-4821", v1, 0)
    clock.advance(60)
    second = _refused_attempt(trail, clock, "INC-4821", v1, 1)
    [(rid, rcid, status, record)] = trail.registry.reviews()
    assert (rcid, status) == (first, "draft")
    assert trail.registry.review_ceremonies(rid) == [first, second]
    assert record["credential"] == "vault"
    assert record["set"] == f"{v1.fingerprint_text} (2-of-3)"
    assert len(record["attempts"]) == 2
    assert all("ended without the credential" in a for a in record["attempts"])
    assert [r.split(":")[0] for r in record["shares_refused"]] == [
        f"ceremony {first}",
        f"ceremony {second}",
    ]

    # the use that follows under the same incident: its After page shows the same record
    clock.advance(60)
    flow, audit = flow_for(trail, clock, drill=False)
    authorise(flow, "INC-4821")
    for k in (0, 1):
        assert flow.offer_text(v2.shares[k].qr_texts()[0], "camera").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    flow.wizard.next()
    flow.announcement_posted(True, "confirmed in the test")
    flow.wizard.next()  # the reveal step
    flow.reveal()
    flow.wizard.next()
    view = audit.review()
    assert view is not None and view.review_id == rid
    assert view.text.startswith("# break-glass review record — INC-4821\n")
    flow.defer_checklist()
    flow.wizard.finish()
    third = audit.ceremony
    assert third is not None
    [(rid2, _c, status, record)] = trail.registry.reviews()
    assert rid2 == rid and status == "draft"
    assert trail.registry.review_ceremonies(rid) == [first, second, third]
    assert len(record["shares_used"]) == 2 and len(record["shares_refused"]) == 2
    assert record["attempts"][2].startswith(f"ceremony {third}, ")
    assert "the credential was recovered (revealed)" in record["attempts"][2]
    assert record["set"] == f"{v1.fingerprint_text} (2-of-3); {v2.fingerprint_text} (2-of-3)"
    assert any(
        a.startswith(f"ceremony {third}: credential revealed") for a in record["actions_taken"]
    )
    assert record["follow_ups"]  # the unticked post-use steps
    assert "announced anchor" in record["audit_verified"]
    assert rate(trail, v2.fingerprint_text) == 1  # the refused attempts are not uses
    events = [e for e in read_entries(trail.log_path) if e.event.startswith("review_")]
    assert [(e.event, e.fields["ceremony"]) for e in events] == [
        ("review_created", first),
        ("review_joined", second),
        ("review_joined", third),
    ]
    assert trail.verify().ok

    # another incident; another credential (old: not rotated into vault); shares of no
    # credential here: each under its own record
    other = _refused_attempt(trail, clock, "INC-5000", v1, 2)
    cousin = _refused_attempt(trail, clock, "INC-4821", old, 0)
    stray = _refused_attempt(trail, clock, "INC-4821", foreign, 0)
    reviews = trail.registry.reviews()
    assert [(r[1], r[3]["incident"], r[3]["credential"]) for r in reviews] == [
        (first, "INC-4821", "vault"),
        (other, "INC-5000", "vault"),
        (cousin, "INC-4821", "prod-db root"),
        (stray, "INC-4821", ""),
    ]
    assert foreign.fingerprint_text in reviews[3][3]["set"]

    # once the record is completed, a new attempt under the incident is a new event to review
    assert complete_review(
        trail, rid, {"severity": "SEV2", "appropriate": "YES", "reviewers": ["security"]}
    ) == ("completed", [])
    late = _refused_attempt(trail, clock, "INC-4821", v1, 0)
    assert trail.registry.review_of_ceremony(late) not in (None, rid)
    assert trail.registry.review_ceremonies(rid) == [first, second, third]


# -- the announcement's own step, before the reveal --------------------------------------------


def reconstructed(flow: ReconstructFlow, share_set: ShareSet, incident: str = "INC-4821") -> None:
    authorise(flow, incident)
    for k in (0, 1):
        assert flow.offer_text(share_set.shares[k].qr_texts()[0], "camera").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    flow.wizard.next()


def answers(trail: AuditTrail, ceremony: int | None) -> list[tuple[bool, str]]:
    return [
        (e.fields["posted"], e.fields["how"])
        for e in read_entries(trail.log_path)
        if e.event == "announcement_posted" and e.fields.get("ceremony") == ceremony
    ]


def test_a_real_use_announces_on_its_own_step_and_only_posted_opens_the_reveal(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    assert flow.wizard.current == "announce"
    assert flow.wizard.step.title == "Announce"
    # the anchor is the fsynced "quorum reached; announcement made" entry
    ann = flow.announcement()
    assert ann is not None and ann.incident == "INC-4821"
    [quorum] = [e for e in read_entries(trail.log_path) if e.event == "quorum_reached"]
    assert ann.anchor == f"{quorum.seq}:{quorum.hash[: len(ann.anchor.split(':')[1])]}"
    # not answered: what to do next, in words; no way on, no reveal from this step
    assert flow.wizard.problems() == ["Post this to the incident channel, then press Posted."]
    with pytest.raises(WizardError):
        flow.wizard.next()
    with pytest.raises(BreakglassError, match="announce"):
        flow.reveal()
    # "Not posted": logged, and still no way on
    flow.announcement_posted(False, "operator said it was not posted")
    assert answers(trail, audit.ceremony) == [(False, "operator said it was not posted")]
    assert "override" in flow.wizard.problems()[0].lower()
    with pytest.raises(WizardError):
        flow.wizard.next()
    # "Posted": logged; the way on opens
    flow.announcement_posted(True, "confirmed posted in the app")
    assert flow.wizard.problems() == []
    flow.wizard.next()
    assert flow.wizard.current == "reveal"
    # back to the announcement and on again: nothing announced or logged twice
    assert flow.wizard.can_go_back()
    flow.wizard.back()
    assert flow.wizard.current == "announce" and flow.secret is not None
    flow.announcement_posted(True, "confirmed posted in the app")  # the same answer again
    flow.wizard.next()
    assert answers(trail, audit.ceremony) == [
        (False, "operator said it was not posted"),
        (True, "confirmed posted in the app"),
    ]
    flow.reveal()
    kinds = ceremony_events(trail, audit.ceremony or 0)
    assert kinds.count("quorum_reached") == 1
    assert kinds[kinds.index("quorum_reached") :] == [
        "quorum_reached",
        "announcement_posted",
        "announcement_posted",
        "secret_revealed",
    ]
    # going back from the reveal hides the credential
    flow.wizard.back()
    assert flow.revealed_until is None and flow.wizard.current == "announce"


def test_posted_straight_away_is_logged_exactly_once_through_back_and_next(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    flow.announcement_posted(True, "confirmed posted in the app")
    for _ in range(3):
        flow.wizard.next()
        assert flow.wizard.current == "reveal"
        flow.wizard.back()
    flow.wizard.next()
    flow.reveal()
    assert answers(trail, audit.ceremony) == [(True, "confirmed posted in the app")]


def test_not_posted_goes_on_only_by_the_typed_override(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    flow.announcement_posted(False, "operator said it was not posted")
    with pytest.raises(CeremonyError):
        flow.override_gate("short")
    assert flow.wizard.problems()
    flow.override_gate("Slack is down in the same outage, INC-4821")
    assert flow.wizard.problems() == []
    flow.wizard.next()
    flow.reveal()
    kinds = ceremony_events(trail, audit.ceremony or 0)
    assert kinds[-3:] == ["announcement_posted", "mirror_override", "secret_revealed"]
    assert answers(trail, audit.ceremony) == [(False, "operator said it was not posted")]


def test_a_drill_has_no_announce_step(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    """A drill is not a use: nothing goes to the incident channel (a rehearsal posting there
    would be noise), the gate is open, and a drill set's credential goes straight to the
    reveal; a drill on a live set goes straight to its end, as before."""
    rehearsal = split_credential(
        b"throwaway", policy=Policy.simple(2, 3), label="drill set", custodians=PEOPLE, drill=True
    )
    register(trail, rehearsal)
    flow, audit = flow_for(trail, clock, drill=True)
    reconstructed(flow, rehearsal, "rehearse the SSO outage")
    assert flow.announcement() is None
    assert flow.wizard.current == "reveal"
    flow.reveal()
    assert answers(trail, audit.ceremony) == []
    live, _ = flow_for(trail, clock, drill=True)
    reconstructed(live, sets["main"], "rehearse on the live set")
    assert live.wizard.current == "after"


class UpMirror:
    """A mirror that is always up; counts the gate's probes."""

    name = "up"

    def __init__(self) -> None:
        self.probes = 0

    def probe(self) -> None:
        self.probes += 1

    def send(self, entry: Any, text: str) -> None:
        pass


def test_with_a_working_mirror_the_step_shows_but_needs_no_posted(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    mirror = UpMirror()
    trail.settings = Settings([{"type": "file", "path": "unused"}], "fail-closed")
    trail.mirrors = [mirror]
    flow, audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    assert flow.wizard.current == "announce" and flow.announcement() is not None
    probes = mirror.probes
    assert probes >= 1, "the gate was checked on entering the step"
    assert flow.wizard.problems() == []
    assert mirror.probes == probes, "asking what blocks does not probe the mirrors again"
    flow.wizard.next()  # no answer given, none required: nothing claimed either way
    assert answers(trail, audit.ceremony) == []
    flow.wizard.back()
    flow.wizard.next()
    flow.reveal()
    assert mirror.probes > probes, "the reveal checked the gate again"
    flow.wizard.next()
    flow.defer_checklist()
    flow.wizard.finish()
    assert answers(trail, audit.ceremony) == []
    view = audit.review()
    assert view is not None and view.values["gate_bypassed"] == "none"


def test_an_override_without_an_answer_is_logged_as_not_posted(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    flow.override_gate("Slack is down in the same outage, INC-4821")
    flow.wizard.next()
    assert answers(trail, audit.ceremony) == [
        (False, "not answered; went on by the typed override")
    ]


def test_a_mirror_down_at_the_announce_step_needs_the_typed_override(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    class DownMirror(UpMirror):
        name = "siem"

        def probe(self) -> None:
            super().probe()
            raise MirrorError("connection refused")

    trail.settings = Settings([{"type": "file", "path": "unused"}], "fail-closed")
    trail.mirrors = [DownMirror()]
    flow, _audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    assert flow.wizard.current == "announce"
    [problem] = flow.wizard.problems()
    assert "siem" in problem and "override" in problem
    flow.announcement_posted(True, "confirmed posted in the app")  # posting is not enough
    assert flow.wizard.problems()
    flow.override_gate("SIEM down during the same outage, INC-4821")
    assert flow.wizard.problems() == []
    flow.wizard.next()
    flow.reveal()


def test_stopping_at_the_announce_step_without_an_answer_is_logged_as_not_posted(
    trail: AuditTrail, clock: ManualClock, sets: dict[str, ShareSet]
) -> None:
    flow, audit = flow_for(trail, clock, drill=False)
    reconstructed(flow, sets["main"])
    flow.close()
    assert answers(trail, audit.ceremony) == [
        (False, "not answered; the ceremony was stopped at the announce step")
    ]
    kinds = ceremony_events(trail, audit.ceremony or 0)
    assert "secret_revealed" not in kinds
    assert kinds.index("announcement_posted") < kinds.index("ceremony_aborted")
