"""AuditTrail: lifecycle (rotation, retirement, check-ins), drills, bypass rate, review records."""

from __future__ import annotations

import datetime as dt
import os
import stat
import subprocess
from pathlib import Path

import pytest

from breakglass_gui.audit.events import EventFieldError
from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.review import (
    ReviewError,
    complete_review,
    get_review,
    to_yaml,
)
from breakglass_gui.audit.review_pdf import render_review_pdf
from breakglass_gui.audit.service import AuditTrail, CeremonyError, RetiredShareError
from breakglass_gui.audit.yaml_emit import dump
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.platform.dirs import HOME_ENV, resolve_home

try:
    from test_audit_support import SECRET, assert_no_leak, full_ceremony
except ImportError:  # pragma: no cover
    from .test_audit_support import SECRET, assert_no_leak, full_ceremony


class Clock:
    def __init__(self, start: dt.datetime) -> None:
        self.now = start

    def __call__(self) -> dt.datetime:
        return self.now

    def days(self, n: float) -> None:
        self.now += dt.timedelta(days=n)


NOW = dt.datetime(2026, 6, 22, 3, 14, 9, tzinfo=dt.UTC)


def test_full_ceremonies_leave_no_secret_or_share_material(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "home") as trail:
        run = full_ceremony(trail)
        assert trail.verify().ok
    blobs = {p.name: p.read_bytes() for p in (tmp_path / "home").iterdir() if p.is_file()}
    assert "audit.log" in blobs and "registry.sqlite3" in blobs
    assert_no_leak(blobs, [SECRET, b"rotated " + SECRET], [run.first, run.second])


def test_home_precedence_and_private_dirs(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(HOME_ENV, str(tmp_path / "env"))
    assert resolve_home() == tmp_path / "env"
    assert resolve_home(str(tmp_path / "opt")) == tmp_path / "opt"
    monkeypatch.delenv(HOME_ENV)
    assert resolve_home().name == "breakglass"
    with AuditTrail(tmp_path / "new" / "home") as trail:
        assert stat.S_IMODE(trail.home.stat().st_mode) == 0o700
        assert stat.S_IMODE((trail.home / "keys").stat().st_mode) == 0o700


def test_events_reject_share_material_and_unlisted_fields(tmp_path: Path) -> None:
    s = split_credential(SECRET, policy=Policy.simple(2, 3), label="x")
    with AuditTrail(tmp_path / "h") as trail:
        cid = trail.reconstruction_started(drill=True)
        for smuggled in (s.shares[0].qr_texts()[0], " ".join(s.shares[0].words)):
            with pytest.raises(EventFieldError, match="share material"):
                trail.share_refused(cid, "share 1", smuggled)
            with pytest.raises(EventFieldError, match="share material"):
                trail.post_use_step_done(cid, "note", note=smuggled)
        with pytest.raises(EventFieldError, match="allow-list"):
            trail.record("secret_revealed", {"ceremony": cid, "set": "x", "via": "x", "pw": "1"})
        assert SECRET not in trail.log_path.read_bytes()


def test_real_use_needs_incident_and_operator_and_marks_rotation_due(tmp_path: Path) -> None:
    policy = Policy.simple(2, 3)
    s = split_credential(SECRET, policy=policy, label="db")
    with AuditTrail(tmp_path / "h") as trail:
        cid = trail.split_started(label="db", policy=policy)
        trail.split_finished(cid, s)
        with pytest.raises(CeremonyError, match="incident"):
            trail.reconstruction_started(operator="ana")
        with pytest.raises(CeremonyError, match="incident"):
            trail.reconstruction_started(incident="INC-1", operator="  ")
        fp = s.fingerprint_text
        drill = trail.reconstruction_started(drill=True)
        trail.quorum_reached(drill, fp, s.shares[:2])
        trail.secret_revealed(drill, fp)
        assert trail.reconstruction_finished(drill) is None  # no review for a drill
        assert trail.registry.get_set(fp).status == "active"  # type: ignore[union-attr]
        real = trail.reconstruction_started(incident="INC-1", operator="ana")
        trail.quorum_reached(real, fp, s.shares[:2])
        trail.announcement_confirmed(real, posted=True, how="test")
        trail.secret_revealed(real, fp)
        assert trail.reconstruction_finished(real) == 1
        rec = trail.registry.get_set(fp)
        assert rec is not None and rec.status == "rotation-due" and rec.rotation_due_at
        events = [e.event for e in read_entries(trail.log_path)]
        assert events.count("set_rotation_due") == 1


def test_replacing_split_retires_and_retired_shares_are_refused(tmp_path: Path) -> None:
    clock = Clock(NOW)
    policy = Policy.simple(2, 3)
    old = split_credential(SECRET, policy=policy, label="db", custodians=[Custodian("Ana")])
    new = split_credential(SECRET + b"2", policy=policy, label="db")
    with AuditTrail(tmp_path / "h", clock=clock) as trail:
        c1 = trail.split_started(label="db", policy=policy)
        trail.split_finished(c1, old)
        with pytest.raises(CeremonyError, match="not in this registry"):
            trail.split_started(label="db", policy=policy, replaces="0000-0000-0000-0000")
        clock.days(3)
        c2 = trail.split_started(label="db", policy=policy, replaces=old.fingerprint_text)
        trail.split_finished(c2, new, replaces=old.fingerprint_text, operator="Bo")
        rec = trail.registry.get_set(old.fingerprint_text)
        assert (
            rec is not None and rec.status == "retired" and rec.replaced_by == new.fingerprint_text
        )
        assert trail.registry.get_set(new.fingerprint_text).credential_id == rec.credential_id  # type: ignore[union-attr]
        expected = (
            f"share 1 of 3 (Ana): this share belongs to set {old.fingerprint_text} retired on "
            f"2026-06-25T03:14:09Z by Bo (replaced by set {new.fingerprint_text})"
        )
        with pytest.raises(RetiredShareError) as info:
            trail.checkin(old.shares[0])
        assert str(info.value) == expected
        with pytest.raises(RetiredShareError):
            trail.check_share(old.shares[0])
        trail.check_share(new.shares[0])
        with pytest.raises(CeremonyError, match="already retired"):
            trail.retire_set(old.fingerprint_text, by="Cy")
        last = list(read_entries(trail.log_path))[-1]
        assert last.event == "checkin_refused" and "retired on" in last.fields["reason"]


def test_checkins_and_shares_not_seen_for_a_year(tmp_path: Path) -> None:
    clock = Clock(NOW - dt.timedelta(days=800))
    policy = Policy.simple(2, 3)
    people = [Custodian("Ana"), Custodian("Bo"), Custodian("Cy")]
    s = split_credential(
        SECRET, policy=policy, label="db", custodians=people, created=clock().date()
    )
    with AuditTrail(tmp_path / "h", clock=clock) as trail:
        trail.split_finished(trail.split_started(label="db", policy=policy), s)
        clock.days(400)
        entry = trail.checkin(s.shares[0], by="Ana")
        assert (
            entry.text()
            == f"check-in: share 1 of set {s.fingerprint_text} present and intact (Ana)"
        )
        clock.days(390)
        trail.checkin(s.shares[1])
        clock.days(10)
        stale = {(x.number, x.days, x.last_checkin is None) for x in trail.stale_shares(365)}
        assert stale == {(1, 400, False), (3, 800, True)}
        report = trail.report()
        assert {x["number"] for x in report["stale_shares"]} == {1, 3}
        assert trail.stale_shares(1000) == []


def test_bypass_rate_counts_real_uses_not_drills(tmp_path: Path) -> None:
    clock = Clock(NOW - dt.timedelta(days=200))
    policy = Policy.simple(2, 3)
    s = split_credential(SECRET, policy=policy, label="db")
    with AuditTrail(tmp_path / "h", clock=clock) as trail:
        trail.split_finished(trail.split_started(label="db", policy=policy), s)
        fp = s.fingerprint_text
        credential = trail.registry.get_set(fp).credential_id  # type: ignore[union-attr]
        # days before NOW: 190 (outside), 150 and 100 (previous window), 30, 10, 1 (current)
        for ago, drill in [(190, False), (150, False), (100, False), (60, True), (30, False),
                           (10, False), (5, True), (1, False)]:  # fmt: skip
            clock.now = NOW - dt.timedelta(days=ago)
            cid = trail.reconstruction_started(
                incident=None if drill else f"INC-{ago}", operator="ana", drill=drill, set_fp=fp
            )
            trail.reconstruction_finished(cid, "completed" if drill else "revealed", fp)
            # an attempt that never recovered the credential is not a use, however it ended
            for end in ("failed", "aborted"):
                cid = trail.reconstruction_started(
                    incident=f"INC-{ago}", operator="ana", drill=False, set_fp=fp
                )
                if end == "failed":
                    trail.reconstruction_finished(cid, "failed", fp)
                else:
                    trail.ceremony_aborted(cid, "window closed")
        clock.now = NOW
        # one still on screen past the quorum counts already (the After page shows it)
        cid = trail.reconstruction_started(incident="INC-0", operator="ana", set_fp=fp)
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous) == (3, 2)
        trail.quorum_reached(cid, fp, list(s.shares[:2]))
        rate = trail.bypass_rate(credential)
        assert (rate.current, rate.previous) == (4, 2)
        trail.reconstruction_finished(cid, "reconstructed, never shown", fp)  # still a use
        rate = trail.bypass_rate(credential)
        assert rate.text() == "4 / 90 d, was 2 / 90 d" and rate.rising
        drill = trail.registry.last_drill(credential)
        assert drill is not None and drill.started_at.startswith("2026-06-17")


def test_drill_step_timings_are_kept(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "h") as trail:
        run = full_ceremony(trail)
        assert trail.registry.steps(run.drill) == [("collect shares", 42.5)]
        report = trail.report()
        (cred,) = report["credentials"]
        assert cred["last_drill_steps"] == [{"step": "collect shares", "seconds": 42.5}]
        assert cred["bypass_rate"] == "1 / 90 d, was 0 / 90 d"


def test_review_record_prefilled_completed_and_exported(tmp_path: Path) -> None:
    with AuditTrail(tmp_path / "h") as trail:
        run = full_ceremony(trail)
        assert run.review is not None
        status, rec = get_review(trail, run.review)
        assert status == "completed"
        assert rec["incident"] == "INC-4821" and rec["broke_glass"] == "byashin"
        assert rec["witnesses"] == ["Cy"] and rec["why_glass"] == "SSO down 15 min"
        assert rec["set"] == f"{run.first.fingerprint_text} (2-of-3)"
        assert rec["shares_used"] == [
            "share 1 of 3 (Ana Ruiz, on-call)",
            "share 2 of 3 (Bo Chen, secondary)",
        ]
        assert rec["shares_refused"][0].startswith("share 1 of 3")
        assert any(a.startswith("credential revealed (screen)") for a in rec["actions_taken"])
        assert "post-use: rotate the credential (new password set in AWS)" in rec["actions_taken"]
        assert rec["gate_bypassed"] == "none"
        assert rec["audit_verified"].startswith("YES — signed log intact")
        assert rec["bypass_rate"] == "1 / 90 d, was 0 / 90 d"
        assert rec["reviewers"] == ["on-call manager", "security"]
        assert "→" in rec["window"]
        events = [e.event for e in read_entries(trail.log_path)]
        assert events.count("review_created") == 1 and events.count("review_completed") == 1
        with pytest.raises(ReviewError, match="filled from the log"):
            complete_review(trail, run.review, {"incident": "INC-1"})

        text = to_yaml(rec)
        assert text.startswith("# break-glass review record — INC-4821\nincident: INC-4821\n")
        assert "reviewers:\n  - on-call manager\n  - security\n" in text
        assert 'audit_verified: "YES — signed log intact' in text
        pdf = tmp_path / "review.pdf"
        render_review_pdf(rec, status, pdf)
        assert pdf.read_bytes().startswith(b"%PDF")
        render_review_pdf(rec, status, tmp_path / "again.pdf")
        assert pdf.read_bytes() == (tmp_path / "again.pdf").read_bytes()  # invariant mode
        import pypdfium2 as pdfium

        page_text = pdfium.PdfDocument(str(pdf))[0].get_textpage().get_text_range()
        for needle in ("INC-4821", "byashin", "Appropriate?", "1 / 90 d"):
            assert needle in page_text, needle


def test_draft_review_says_what_is_missing(tmp_path: Path) -> None:
    s = split_credential(SECRET, policy=Policy.simple(2, 2), label="db")
    with AuditTrail(tmp_path / "h") as trail:
        cid = trail.reconstruction_started(incident="INC-2", operator="ana")
        trail.quorum_reached(cid, s.fingerprint_text, s.shares)
        review = trail.reconstruction_finished(cid, "revealed", s.fingerprint_text)
        assert review is not None
        status, missing = complete_review(trail, review, {"severity": "SEV2"})
        assert (status, missing) == ("draft", ["appropriate", "reviewers"])
        status, _ = complete_review(trail, review, {"appropriate": "YES", "reviewers": ["sec"]})
        assert status == "completed"


def test_yaml_emitter_quotes_what_could_be_misread() -> None:
    text = dump(
        {
            "plain": "INC-4821",
            "reserved": "yes",
            "number": "4821",
            "colon": "a: b",
            "hash": "x # y",
            "empty": "",
            "none": None,
            "flag": True,
            "n": 3,
            "multi": "line one\nline two",
            "items": ["ok", "- dash", "[x]"],
            "nothing": [],
            "nested": {"a": "b"},
        },
        comment="title",
    )
    assert text == (
        "# title\n"
        "plain: INC-4821\n"
        'reserved: "yes"\n'
        'number: "4821"\n'
        'colon: "a: b"\n'
        'hash: "x # y"\n'
        'empty: ""\n'
        "none: null\n"
        "flag: true\n"
        '"n": 3\n'
        'multi: "line one\\nline two"\n'
        'items:\n  - ok\n  - "- dash"\n  - "[x]"\n'
        "nothing: []\n"
        "nested:\n  a: b\n"
    )


def test_review_pdf_renders(tmp_path: Path) -> None:
    """Rasterise the review PDF as a person would look at it (pdftoppm)."""
    with AuditTrail(tmp_path / "h") as trail:
        run = full_ceremony(trail)
        assert run.review is not None
        status, rec = get_review(trail, run.review)
    pdf = tmp_path / "review.pdf"
    render_review_pdf(rec, status, pdf)
    if not os.path.exists("/usr/bin/pdftoppm"):
        pytest.skip("pdftoppm (poppler-utils) not installed")
    subprocess.run(["pdftoppm", "-r", "40", "-png", str(pdf), str(tmp_path / "p")], check=True)
    assert list(tmp_path.glob("p*.png"))


def test_reconstructed_but_never_shown_still_counts_as_use(tmp_path: Path) -> None:
    """The credential existed in memory: a real use marks rotation due; a drill is 'done'."""
    policy = Policy.simple(2, 3)
    s = split_credential(SECRET, policy=policy, label="db")
    fp = s.fingerprint_text
    with AuditTrail(tmp_path / "h") as trail:
        trail.split_finished(trail.split_started(label="db", policy=policy), s)
        drill = trail.reconstruction_started(drill=True)
        trail.quorum_reached(drill, fp, s.shares[:2])
        trail.reconstruction_finished(drill, "reconstructed, never shown", fp)
        assert trail.registry.ceremony(drill).status == "done"  # type: ignore[union-attr]
        assert trail.registry.get_set(fp).status == "active"  # type: ignore[union-attr]
        real = trail.reconstruction_started(incident="INC-2", operator="ana")
        trail.quorum_reached(real, fp, s.shares[1:])
        trail.reconstruction_finished(real, "reconstructed, never shown", fp)
        assert trail.registry.get_set(fp).status == "rotation-due"  # type: ignore[union-attr]
        failed = trail.reconstruction_started(incident="INC-3", operator="ana")
        trail.reconstruction_finished(failed, "not reconstructed", fp)
        assert trail.registry.ceremony(failed).status == "failed"  # type: ignore[union-attr]
