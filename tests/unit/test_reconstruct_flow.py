"""The break-glass flow driven headless: authorisation, collection, reconstruction, reveal, wipe."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from breakglass_gui.ceremony.ports import (
    ManualClock,
    MemoryReconstructionRecorder,
    MemoryRegistry,
    SetRecord,
)
from breakglass_gui.ceremony.reconstruct_flow import (
    CHECKLIST,
    SECRET_SLOT,
    Authorisation,
    OfferKind,
    ReconstructConfig,
    ReconstructFlow,
    registry_retired_sets,
)
from breakglass_gui.ceremony.wizard import WizardError, WizardStatus
from breakglass_gui.core.errors import (
    BreakglassError,
    CorruptShareError,
    DuplicateShareError,
    ForgedShareError,
    MalformedShareError,
    WrongSetError,
)
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from breakglass_gui.core.share import (
    Share,
)
from tests.forgery import forge_last_share

SECRET = b"correct-horse-battery-staple-42"
PEOPLE = [
    Custodian("Ana Ruiz", "primary on-call"),
    Custodian("Ben Okafor", "secondary on-call"),
    Custodian("Chen Wu", "engineering manager"),
    Custodian("Dita Lang", "peer team on-call"),
    Custodian("Eli Moss", "VP engineering"),
]


def make_set(
    m: int = 3, n: int = 5, secret: bytes = SECRET, label: str = "prod-db root"
) -> ShareSet:
    return split_credential(
        secret,
        policy=Policy.simple(m, n),
        label=label,
        custodians=PEOPLE[:n],
        created=dt.date(2026, 1, 2),
    )


def forged_set(secret: bytes) -> tuple[Share, ...]:
    """Share 3 carries another key's words, with a Merkle tree built over it (a tampered set)."""
    return forge_last_share(make_set(2, 3, secret).shares, make_set(2, 3, secret).shares)


def corrupt_text(text: str) -> str:
    """Change one digit near the middle of a QR text (the kind of damage a bad scan makes)."""
    i = len(text) // 2
    return text[:i] + str((int(text[i]) + 1) % 10) + text[i + 1 :]


def new_flow(**kw: object) -> tuple[ReconstructFlow, MemoryReconstructionRecorder, ManualClock]:
    clock = ManualClock(dt.datetime(2026, 3, 1, 3, 0, tzinfo=dt.UTC))
    audit = MemoryReconstructionRecorder(clock)
    flow = ReconstructFlow(audit, clock=clock, **kw)  # type: ignore[arg-type]
    return flow, audit, clock


def authorised_flow(
    **kw: object,
) -> tuple[ReconstructFlow, MemoryReconstructionRecorder, ManualClock]:
    flow, audit, clock = new_flow(**kw)
    flow.authorise("INC-4821", flow.config.triggers[0], "Ana Ruiz", ["Ben Okafor"])
    flow.wizard.next()
    return flow, audit, clock


def all_event_text(audit: MemoryReconstructionRecorder) -> str:
    return json.dumps([[e.kind, e.fields] for e in audit.events], default=str)


# -- trigger and authorisation --------------------------------------------------------------------


def test_authorisation_needs_a_matching_incident_a_trigger_and_an_operator() -> None:
    cfg = ReconstructConfig()
    assert Authorisation("", "", "").problems(cfg) == [
        "an incident reference is required",
        "choose which trigger condition from the runbook holds",
        "the operator's name is required",
        "no witness: name one, or type why nobody can witness this real use "
        "(at least 10 characters)",
    ]
    t = cfg.triggers[0]
    bad = Authorisation("4821", t, "Ana", ("Ben",)).problems(cfg)
    assert bad == [
        "the incident reference '4821' is not of the form this installation expects, e.g. INC-4821"
    ]  # an example, never the pattern
    assert Authorisation("INC-4821", t, "Ana", ("Ben",)).problems(cfg) == []
    assert Authorisation("INC-4821", "x", "Ana", ("Ben",)).problems(cfg) == [
        "'x' is not one of the runbook's trigger conditions: choose the one that holds"
    ]
    custom = ReconstructConfig(
        incident_pattern=r"OPS-\d{4}", incident_example="OPS-0042", require_witness=True
    )
    assert Authorisation("OPS-12", t, "Ana").problems(custom)[0].endswith("e.g. OPS-0042")
    assert Authorisation("OPS-1234", t, "Ana").problems(custom) == [
        "at least one witness is required"
    ]
    assert "own witness" in Authorisation("INC-1", t, "Ana", ("Ana",)).problems(cfg)[0]
    assert "own witness" in Authorisation("INC-1", t, "Ana Ruiz", (" ana  ruiz",)).problems(cfg)[0]


def test_a_real_use_without_a_witness_needs_a_typed_reason_and_records_it() -> None:
    cfg = ReconstructConfig()
    t = cfg.triggers[0]
    alone = Authorisation("INC-4821", t, "Ana")
    assert [p for p in alone.problems(cfg) if p.startswith("no witness")]
    assert Authorisation("INC-4821", t, "Ana", (), no_witness_reason="n/a").problems(cfg)
    reason = "the only other on-call engineer is unreachable"
    ok = Authorisation("INC-4821", t, "Ana", (), no_witness_reason=reason)
    assert ok.problems(cfg) == []
    assert f"with no witness ({reason})" in ok.sentence()
    assert ok.facts().no_witness_reason == reason
    flow, audit, _ = new_flow()
    flow.authorise("INC-4821", flow.config.triggers[0], "Ana Ruiz", [], no_witness_reason=reason)
    flow.wizard.next()
    assert audit.events[0].fields["no_witness_reason"] == reason
    # a drill needs no reason: nothing real is at stake
    assert Authorisation("SSO down: prod-db root", "", "Ana", (), drill=True).problems(cfg) == []


def test_a_drill_asks_what_it_rehearses_not_for_an_incident() -> None:
    cfg = ReconstructConfig()
    assert Authorisation("", "", "Ana", drill=True).problems(cfg) == [
        "say what this drill rehearses (e.g. “SSO down: prod-db root”)"
    ]
    drill = Authorisation("the SSO outage runbook", "", "Ana", ("Ben",), drill=True)
    assert drill.problems(cfg) == []  # no incident pattern, no trigger condition
    assert drill.sentence().startswith("Ana is running a drill rehearsing the SSO outage runbook")
    assert "because" not in drill.sentence()
    facts = drill.facts()
    assert facts.incident is None and facts.drill
    assert facts.trigger == "drill rehearsing: the SSO outage runbook"


def test_authorisation_is_read_back_as_one_sentence() -> None:
    real = Authorisation(
        "INC-4821", "the bastion host is unreachable", "Ana Ruiz", ("Ben Okafor", "Chen Wu")
    )
    assert real.sentence() == (
        "Ana Ruiz is breaking glass for INC-4821 because the bastion host is unreachable, "
        "witnessed by Ben Okafor and Chen Wu. This is a REAL use: it is recorded, and the "
        "credential must be rotated after."
    )
    drill = Authorisation("INC-1", "t", "Ana", (), drill=True)
    assert "with no witness" in drill.sentence() and "DRILL" in drill.sentence()


def test_trigger_step_blocks_until_authorised_and_records_the_authorisation() -> None:
    flow, audit, _ = new_flow()
    with pytest.raises(WizardError, match="incident reference"):
        flow.wizard.next()
    flow.authorise("INC-7", "the bastion host is unreachable", "Ana Ruiz", ["Ben Okafor"])
    assert flow.wizard.next() == "collect"
    assert audit.kinds() == ["reconstruction_started"]
    assert audit.events[0].fields == {
        "incident": "INC-7",
        "trigger": "the bastion host is unreachable",
        "operator": "Ana Ruiz",
        "witnesses": ["Ben Okafor"],
        "drill": False,
    }
    assert flow.events[0].note == flow.sentence()


# -- collecting shares ----------------------------------------------------------------------------


def test_shares_are_accepted_with_quorum_status_and_named_by_custodian() -> None:
    flow, _audit, _ = authorised_flow()
    s = make_set()
    first = flow.offer_text(s.shares[1].qr_texts()[0], "camera")
    assert first.kind is OfferKind.ACCEPTED
    assert first.message == (
        "accepted share 2 of 5 (Ben Okafor, secondary on-call). 1 of 3 collected — 2 more needed"
    )
    flow.offer_text(s.shares[3].transcription(), "typed")
    assert flow.collector.status() == (False, "2 of 3 collected — 1 more needed")
    assert [a.describe() for a in flow.collector.accepted] == [
        "share 2 of 5 (Ben Okafor, secondary on-call)",
        "share 4 of 5 (Dita Lang, peer team on-call)",
    ]
    with pytest.raises(WizardError, match="1 more needed"):
        flow.wizard.next()
    flow.offer_text(s.shares[0].qr_texts()[0], "image")
    assert flow.collector.status()[0]
    assert flow.wizard.next() == "reconstruct"
    accepted = [e for e in flow.events if e.kind == "share_accepted"]
    assert [e.note for e in accepted] == ["from camera", "from typed", "from image"]
    assert [e.fields["share"] for e in accepted] == [2, 4, 1]
    assert accepted[0].fields["share_desc"] == "share 2 of 5 (Ben Okafor, secondary on-call)"


def test_duplicate_foreign_retired_and_corrupt_shares_are_refused_by_name_and_reason() -> None:
    registry = MemoryRegistry()
    old = make_set(2, 3, b"old value", label="prod-db root (2025)")
    registry.add_set(
        SetRecord(old.fingerprint_text, "prod-db root (2025)", "2-of-3", dt.date(2025, 1, 1))
    )
    registry.retire_set(old.fingerprint_text, "rotated on 2026-01-02 after INC-4000")
    flow, audit, _ = authorised_flow(retired=registry_retired_sets(registry))
    s = make_set()
    foreign = make_set(2, 3, b"another credential", label="billing api")
    assert flow.offer_text(s.shares[0].qr_texts()[0], "camera").accepted

    dup = flow.offer_text(s.shares[0].transcription(), "typed")
    assert dup.kind is OfferKind.REFUSED and dup.error is DuplicateShareError
    assert dup.message == (
        "Refused share 1 of 5 (Ana Ruiz, primary on-call) (duplicate): it was already collected"
    )

    wrong = flow.offer_text(foreign.shares[1].qr_texts()[0], "camera")
    assert wrong.error is WrongSetError
    assert wrong.share_name == "share 2 of 3 (Ben Okafor, secondary on-call)"
    assert foreign.fingerprint_text in wrong.reason and s.fingerprint_text in wrong.reason
    assert "billing api" in wrong.reason

    retired = flow.offer_text(old.shares[2].qr_texts()[0], "camera")
    assert retired.kind is OfferKind.REFUSED and "retired" in retired.message
    assert "rotated on 2026-01-02 after INC-4000" in retired.reason
    assert retired.share_name == "share 3 of 3 (Chen Wu, engineering manager)"

    bad = flow.offer_text(corrupt_text(s.shares[2].qr_texts()[0]), "camera")
    assert bad.kind is OfferKind.REFUSED
    assert bad.error in (CorruptShareError, MalformedShareError)
    junk = flow.offer_text("hello world", "typed")
    assert junk.kind is OfferKind.REFUSED

    assert len(flow.collector.accepted) == 1
    refused = [e for e in audit.events if e.kind == "share_refused"]
    assert [e.fields["reason"].split(":")[0] for e in refused[:3]] == [
        "duplicate",
        "foreign set",
        "retired set",
    ]
    text = all_event_text(audit)
    for share in (*s.shares, *foreign.shares, *old.shares):
        assert " ".join(share.words) not in text
        assert share.qr_texts()[0] not in text


def test_a_code_held_in_front_of_the_camera_is_announced_once() -> None:
    flow, audit, _ = authorised_flow()
    s = make_set()
    text = s.shares[0].qr_texts()[0]
    first = flow.offer_text(text, "camera")
    again = flow.offer_text(text, "camera")
    assert first.accepted and again.accepted and again.repeat
    assert len(flow.collector.accepted) == 1
    flow.collector.no_code_seen("camera")  # the sheet left the view and is shown again
    shown_again = flow.offer_text(text, "camera")
    assert shown_again.error is DuplicateShareError and not shown_again.repeat
    kinds = audit.kinds()
    assert kinds.count("share_accepted") == 1
    assert kinds.count("share_refused") == 1


def test_a_large_share_is_collected_part_by_part_in_any_order() -> None:
    big = bytes(range(256)) * 3
    s = split_credential(big, policy=Policy.simple(2, 2), label="tls key", custodians=PEOPLE[:2])
    parts = s.shares[0].qr_texts()
    assert len(parts) > 1
    flow, _, _ = authorised_flow()
    outcomes = [flow.offer_text(p, "camera") for p in reversed(parts)]
    assert [o.kind for o in outcomes[:-1]] == [OfferKind.PART] * (len(parts) - 1)
    assert outcomes[-1].accepted
    for p in s.shares[1].qr_texts():
        flow.offer_text(p, "camera")
    flow.wizard.next()
    assert flow.run_reconstruction()
    assert bytes(flow.secret or b"") == big
    flow.wipe("done")


# -- reconstruct, reveal, wipe --------------------------------------------------------------------


def collected_flow(
    **kw: object,
) -> tuple[ReconstructFlow, MemoryReconstructionRecorder, ManualClock, ShareSet]:
    flow, audit, clock = authorised_flow(**kw)
    s = make_set()
    for k in (4, 0, 2):
        flow.offer_text(s.shares[k].qr_texts()[0], "camera")
    flow.wizard.next()
    return flow, audit, clock, s


def test_reconstruction_reveal_countdown_and_wipe_on_done() -> None:
    flow, audit, clock, s = collected_flow(config=ReconstructConfig(reveal_seconds=60))
    with pytest.raises(WizardError, match="not been reconstructed"):
        flow.wizard.next()
    assert flow.run_reconstruction()
    secret = flow.secret
    assert secret is not None and bytes(secret) == SECRET
    assert flow.outcome.used == [s.shares[k].describe() for k in (4, 0, 2)]
    flow.wizard.next()
    assert flow.wizard.current == "reveal"

    flow.reveal()
    clock.advance(59)
    flow.tick()
    assert flow.reveal_remaining() == pytest.approx(1)
    clock.advance(1.5)
    flow.tick()
    assert flow.revealed_until is None  # hid itself
    assert flow.secret is not None  # still held: it can be revealed again

    seen: list[str] = []
    flow.wipe_listeners.append(seen.append)
    flow.wizard.next()  # Done
    assert secret.is_wiped and flow.secret is None and not flow.state.has_secret(SECRET_SLOT)
    assert flow.collector.accepted == []
    assert seen == ["done"]
    kinds = audit.kinds()
    assert kinds[-3:] == ["quorum_reached", "secret_revealed", "secret_wiped"]
    assert audit.events[-1].fields == {"set": s.fingerprint_text}
    assert [(e.kind, e.note) for e in flow.events[-2:]] == [
        ("hidden", "countdown ended"),
        ("secret_wiped", "done"),
    ]
    assert SECRET.decode() not in all_event_text(audit)


def test_a_credential_held_too_long_is_wiped_for_timeout() -> None:
    flow, audit, clock, _ = collected_flow(config=ReconstructConfig(hold_seconds=300))
    flow.run_reconstruction()
    secret = flow.secret
    assert secret is not None
    flow.wizard.next()
    clock.advance(299)
    flow.tick()
    assert flow.hold_remaining() == pytest.approx(1)
    assert not secret.is_wiped
    clock.advance(1)
    flow.tick()
    assert secret.is_wiped and flow.secret is None
    assert audit.events[-1].kind == "secret_wiped"
    assert flow.events[-1].note == "timeout"
    with pytest.raises(Exception, match="wiped"):
        flow.reveal()


def test_cancel_and_close_wipe_and_are_recorded_once() -> None:
    flow, audit, _, _ = collected_flow()
    flow.run_reconstruction()
    secret = flow.secret
    assert secret is not None
    flow.close()
    assert secret.is_wiped
    assert flow.wizard.status is WizardStatus.CANCELLED
    assert audit.kinds()[-2:] == ["secret_wiped", "ceremony_aborted"]
    assert flow.events[-2].note == "closed"
    assert audit.events[-1].fields == {"reason": "window closed at the reconstruct step"}
    flow.close()  # idempotent
    assert audit.kinds().count("secret_wiped") == 1


def test_a_result_arriving_after_cancel_is_wiped_not_kept() -> None:
    flow, _, _, _ = collected_flow()
    result = flow.compute_reconstruction()
    assert "redacted" in repr(result)
    flow.wizard.cancel()
    recovery_holder = result
    assert not flow.apply_reconstruction(recovery_holder)
    assert flow.secret is None
    assert recovery_holder.take() is None


def test_a_forged_extra_share_is_identified_and_recovery_proceeds() -> None:
    shares = forged_set(b"never a wrong secret")
    flow, audit, _ = authorised_flow()
    for share in (shares[2], shares[0], shares[1]):
        assert flow.collector.offer_share(share, "camera").accepted
    flow.wizard.next()
    assert flow.run_reconstruction()
    assert bytes(flow.secret or b"") == b"never a wrong secret"
    assert len(flow.outcome.refused) == 1
    assert flow.outcome.refused[0].startswith(shares[2].describe())
    recorded = audit.events[-1]
    assert recorded.kind == "share_refused"
    assert recorded.fields["share_desc"] == shares[2].describe()
    assert recorded.fields["reason"].startswith("forged: ")
    assert ForgedShareError.__name__  # the core's type is what names it
    flow.wipe("done")


def test_a_forged_share_in_an_exact_quorum_fails_with_a_way_on() -> None:
    shares = forged_set(b"x")
    flow, _audit, _ = authorised_flow()
    flow.collector.offer_share(shares[0], "camera")
    flow.collector.offer_share(shares[2], "camera")
    flow.wizard.next()
    assert not flow.run_reconstruction()
    assert "bring another custodian's share" in flow.outcome.error
    with pytest.raises(WizardError, match="do not open"):
        flow.wizard.next()
    assert flow.wizard.back() == "collect"  # collect another share and try again
    flow.collector.offer_share(shares[1], "camera")
    flow.wizard.next()
    assert flow.run_reconstruction()
    failed = [e for e in flow.events if e.note == "reconstruction failed"]
    assert len(failed) == 1 and failed[0].fields["share_desc"] == "the presented quorum"
    flow.wipe("done")


# -- after ----------------------------------------------------------------------------------------


def test_real_use_cannot_finish_until_the_checklist_is_ticked() -> None:
    flow, audit, clock, s = collected_flow()
    flow.run_reconstruction()
    flow.wizard.next()
    clock.advance(30)
    flow.wizard.next()
    assert flow.wizard.current == "after"
    with pytest.raises(WizardError, match="Rotate the credential"):
        flow.wizard.finish()
    for key, _ in CHECKLIST:
        flow.tick_item(key)
    flow.tick_item("rotate")  # ticking twice records once
    flow.wizard.finish()
    assert flow.wizard.status is WizardStatus.FINISHED
    assert [e.fields["step"] for e in audit.events if e.kind == "post_use_step_done"] == [
        "rotate",
        "resplit",
        "redistribute",
        "postmortem",
    ]
    assert audit.events[-1].kind == "reconstruction_finished"
    assert audit.events[-1].fields == {"outcome": "completed", "set": s.fingerprint_text}
    record = flow.review_record(bypass_rate="1 break-glass / 90 d")
    assert record.startswith("# break-glass review record — INC-4821\n")
    assert "broke_glass:     Ana Ruiz" in record
    assert "witnesses:       Ben Okafor" in record
    assert f"set {s.fingerprint_text}" in record
    assert "window:          2026-03-01T03:00:00Z → 2026-03-01T03:00:30Z  (wiped: done)" in record
    assert "share 5 of 5 (Eli Moss, VP engineering)" in record
    assert "[x] Rotate the credential" in record
    assert "bypass_rate:     1 break-glass / 90 d" in record
    assert SECRET.decode() not in record


def test_a_drill_runs_the_same_graph_but_is_never_recorded_as_real_use() -> None:
    flow, audit, _ = new_flow(drill=True)
    flow.authorise("INC-9001", flow.config.triggers[0], "Ana Ruiz", ["Ben Okafor"])
    assert "DRILL" in flow.sentence()
    flow.wizard.next()
    s = make_set()
    for k in (0, 1, 2):
        flow.offer_text(s.shares[k].qr_texts()[0], "camera")
    flow.wizard.next()
    assert flow.run_reconstruction()
    # a drill on a live set: the quorum is proven, the credential wiped at once, never held
    assert flow.secret is None and flow.outcome.proven_only
    assert f"recover the credential of set {s.fingerprint_text}; not shown" in (
        flow.outcome.not_shown
    )
    with pytest.raises(BreakglassError, match="not shown"):
        flow.reveal()
    flow.wizard.next()
    assert flow.wizard.current == "after"  # the reveal step is skipped
    flow.wizard.finish()  # no checklist needed for a drill
    assert "secret_revealed" not in audit.kinds()
    assert audit.events[0].kind == "reconstruction_started"
    assert audit.events[0].fields["drill"] is True
    assert audit.events[-1].fields["outcome"] == "drill completed"
    assert "drill review record" in flow.review_record()


def test_every_event_is_on_the_audit_logs_allow_list() -> None:
    events = pytest.importorskip("breakglass_gui.audit.events")
    registry = MemoryRegistry()
    old = make_set(2, 3, b"old value")
    registry.add_set(SetRecord(old.fingerprint_text, "old", "2-of-3", dt.date(2025, 1, 1)))
    registry.retire_set(old.fingerprint_text, "rotated")
    flow, audit, _ = authorised_flow(retired=registry_retired_sets(registry))
    s = make_set()
    flow.offer_text(s.shares[0].qr_texts()[0], "camera")
    flow.offer_text(s.shares[0].qr_texts()[0], "typed")
    flow.offer_text(old.shares[0].qr_texts()[0], "camera")
    flow.offer_text(corrupt_text(s.shares[1].qr_texts()[0]), "camera")
    for k in (1, 2, 3):
        flow.offer_text(s.shares[k].qr_texts()[0], "camera")
    flow.wizard.next()
    flow.run_reconstruction()
    flow.wizard.next()
    flow.reveal()
    flow.note_copied(30)
    flow.wizard.next()
    for key, _ in CHECKLIST:
        flow.tick_item(key)
    flow.wizard.finish()
    kinds = set(audit.kinds())
    assert {"share_refused", "secret_copied", "reconstruction_finished"} <= kinds
    for e in audit.events:
        events.check_fields(e.kind, {"ceremony": 1, **e.fields})
    aborted, audit2, _ = authorised_flow()
    aborted.close()
    for e in audit2.events:
        events.check_fields(e.kind, {"ceremony": 2, **e.fields})
