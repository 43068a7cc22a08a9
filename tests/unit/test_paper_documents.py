"""Ceremony record, runbook, the recovery appendix, the paper CLI, and no secret anywhere."""

from __future__ import annotations

import base64
import binascii
import datetime as dt
import hashlib
import json
import re
import stat
import subprocess
import sys
import zlib
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from breakglass_gui.cli.main import main
from breakglass_gui.cli.shares import write_set
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, ShareSet, split_credential
from breakglass_gui.paper import (
    RunbookInputs,
    RunbookSettings,
    RunbookSettingsError,
    SetInfo,
    SetInfoError,
    SheetOptions,
    ceremony_record_pdf,
    runbook_pdf,
    share_sheet_pdf,
)
from breakglass_gui.paper.recovery import RECOVERY_SCRIPT
from breakglass_gui.paper.runbook import call_order

CREATED = dt.date(2025, 1, 2)
PEOPLE = [
    Custodian("Ana Ruiz", "on-call SRE"),
    Custodian("Bo Chen", "CTO"),
    Custodian("Chidi Okafor", "security lead"),
    Custodian("Dana Weiss", "SRE"),
    Custodian("Eve Martin", "platform"),
]
# A printable credential, as most are: a leak would show in the text layer as it is.
SECRET = b"Tr0ub4dor&3-correct-horse-battery-staple-" + hashlib.sha256(b"x").hexdigest().encode()


def _split(secret: bytes, policy: Policy) -> ShareSet:
    return split_credential(
        secret,
        policy=policy,
        label="prod-aws-root",
        custodians=PEOPLE[: policy.total_shares],
        created=CREATED,
    )


@pytest.fixture(scope="module")
def simple_set() -> ShareSet:
    return _split(SECRET, Policy.simple(3, 5))


@pytest.fixture(scope="module")
def group_set() -> ShareSet:
    return _split(SECRET, Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)]))


def text_of(pdf: bytes) -> str:
    doc = pdfium.PdfDocument(pdf)
    pages = [doc[i].get_textpage().get_text_range() for i in range(len(doc))]
    return " ".join(" ".join(pages).split())


def decompressed_streams(pdf: bytes) -> list[bytes]:
    """Every stream of the file, inflated (reportlab compresses with Flate, maybe ASCII85)."""
    out = []
    for m in re.finditer(rb"\bstream\r?\n(.*?)endstream", pdf, re.S):
        data = m.group(1)
        if data.rstrip().endswith(b"~>"):
            data = base64.a85decode(data.strip()[:-2], adobe=False)
        try:
            out.append(zlib.decompressobj().decompress(data))
        except zlib.error:
            out.append(data)
    return out


def secret_forms(secret: bytes) -> list[bytes]:
    forms = [
        secret,
        secret.hex().encode(),
        secret.hex().upper().encode(),
        base64.b32encode(secret),
        base64.b32encode(secret).rstrip(b"="),
        base64.b64encode(secret),
        base64.b64encode(secret).rstrip(b"="),
        base64.urlsafe_b64encode(secret).rstrip(b"="),
        binascii.b2a_hex(secret, b" ")[:48],
    ]
    # a long enough piece of any form is a leak too (a form may be split across lines)
    return forms + [f[:24] for f in forms]


def assert_no_secret(pdf: bytes, secret: bytes) -> None:
    haystacks = [pdf, text_of(pdf).encode(), *decompressed_streams(pdf)]
    for form in secret_forms(secret):
        for hay in haystacks:
            assert form not in hay


# -- no secret, anywhere ---------------------------------------------------------------------


@pytest.mark.parametrize("set_name", ["simple_set", "group_set"])
def test_no_pdf_contains_the_secret(set_name: str, request: pytest.FixtureRequest) -> None:
    share_set: ShareSet = request.getfixturevalue(set_name)
    info = SetInfo.from_share_set(share_set)
    pdfs = [share_sheet_pdf(s, SheetOptions(appendix=True)) for s in share_set.shares]
    pdfs.append(ceremony_record_pdf(info))
    pdfs.append(runbook_pdf(RunbookInputs(info)))
    for pdf in pdfs:
        assert_no_secret(pdf, SECRET)


def test_the_leak_detector_finds_what_is_printed(simple_set: ShareSet) -> None:
    """The checks above look where printed text really is: in the text and the streams."""
    share = simple_set.shares[0]
    pdf = share_sheet_pdf(share)
    assert share.fingerprint_text in text_of(pdf)
    first_line = share.transcription_lines()[0].render().encode()
    assert any(first_line in s for s in decompressed_streams(pdf))
    with pytest.raises(AssertionError):
        assert_no_secret(pdf, share.fingerprint_text.encode())


def test_large_secret_sheets_hold_no_secret() -> None:
    big = (SECRET * 80)[:4096]
    share_set = _split(big, Policy.simple(2, 3))
    for share in share_set.shares[:1]:
        assert_no_secret(share_sheet_pdf(share), big)


# -- ceremony record --------------------------------------------------------------------------


def test_record_lists_every_custodian_and_no_share_material(group_set: ShareSet) -> None:
    text = text_of(ceremony_record_pdf(group_set))
    for expected in [
        "CEREMONY RECORD",
        group_set.fingerprint_text,
        "prod-aws-root",
        "any 1 of the 2 leadership shares AND any 2 of the 3 on-call shares",
        "2025-01-02",
        "Host: signature",
        "Witness: signature",
        "Date and time",
    ]:
        assert expected in text, expected
    for share in group_set.shares:
        assert share.custodian in text
        assert " ".join(w.upper() for w in share.verification_words()) in text
        assert " ".join(share.words[:4]) not in text.lower()
        assert share.transcription_lines()[0].chars[:4] + " " not in text
    assert_no_secret(ceremony_record_pdf(group_set), SECRET)


def test_record_from_set_json_matches_record_from_the_set(
    simple_set: ShareSet, tmp_path: Path
) -> None:
    write_set(simple_set, tmp_path)
    from_file = SetInfo.load(tmp_path / "set.json")
    assert from_file == SetInfo.from_share_set(simple_set)
    assert ceremony_record_pdf(from_file) == ceremony_record_pdf(simple_set)


def test_set_json_errors_are_named(tmp_path: Path) -> None:
    bad = tmp_path / "set.json"
    bad.write_text('{"format": "something-else"}')
    with pytest.raises(SetInfoError, match=r"not a Breakglass set\.json"):
        SetInfo.load(bad)
    bad.write_text("not json")
    with pytest.raises(SetInfoError, match="not a JSON file"):
        SetInfo.load(bad)


# -- runbook ----------------------------------------------------------------------------------


def test_runbook_has_the_seven_parts_with_defaults(simple_set: ShareSet) -> None:
    text = text_of(runbook_pdf(RunbookInputs(SetInfo.from_share_set(simple_set))))
    for heading in [
        "1. Use this only if",
        "2. Who may start it, and how it is recorded",
        "3. Bring the quorum together",
        "4. Reconstruct the credential",
        "5. Use the credential, and only for this",
        "6. After use: mandatory, the same day",
        "7. If reconstruction fails",
    ]:
        assert heading in text, heading
    for expected in [
        simple_set.fingerprint_text,
        "any 3 of these 5 shares",
        "confirmed by a second person for 15 minutes",
        "after 15 min",
        "Do not save it",
        "Do not paste it into chat",
        "Rotate",
        "Re-split",
        "File the incident report",
        "review record",
        "Breakglass 0.1.0",
        "carries, on its last pages, the steps to recover",
    ]:
        assert expected in text, expected
    assert "Audit log key" not in text
    # what only the team knows is left blank to fill in by hand, never a placeholder sentence
    for placeholder in ("not given", "on-call directory", "Incident channel: the incident"):
        assert placeholder not in text, placeholder
    assert "FORMAT.md" not in text


def test_runbook_uses_the_settings(group_set: ShareSet) -> None:
    settings = RunbookSettings(
        triggers=("Okta is down for 20 minutes and the status page confirms it",),
        incident_channel="#inc-breakglass",
        contacts={"ana ruiz": ("+1 555 0100", "Signal @ana")},
        alternate_after_minutes=7,
        escalation=("Maria Lopez, CISO, +1 555 0199",),
        audit_public_key="ed25519:" + "Q" * 80,
        device="the break-glass laptop in safe 2",
    )
    text = text_of(runbook_pdf(RunbookInputs(SetInfo.from_share_set(group_set), settings)))
    for expected in [
        "Okta is down for 20 minutes",
        "#inc-breakglass",
        "+1 555 0100",
        "Signal @ana",
        "after 7 min",
        "Maria Lopez, CISO",
        "the break-glass laptop in safe 2",
        "Audit log key",
        "leadership",
    ]:
        assert expected in text, expected
    assert "confirmed by a second person" not in text
    assert "ed25519:" + "Q" * 80 in text.replace(" ", "")  # printed whole, wrapped


def test_call_order_is_the_first_quorum_of_each_group(group_set: ShareSet) -> None:
    info = SetInfo.from_share_set(group_set)
    # leadership 1 of 2 (shares 1, 2), on-call 2 of 3 (shares 3, 4, 5)
    assert call_order(info, ()) == {1: True, 2: False, 3: True, 4: True, 5: False}
    assert call_order(info, ("Bo Chen", "eve martin")) == {
        1: False,
        2: True,
        3: False,
        4: False,
        5: True,
    }


def test_runbook_settings_are_checked() -> None:
    with pytest.raises(RunbookSettingsError, match="unknown setting"):
        RunbookSettings.from_mapping({"trigers": ["typo"]})
    with pytest.raises(RunbookSettingsError, match="alternate_after_minutes"):
        RunbookSettings.from_mapping({"alternate_after_minutes": 0})
    with pytest.raises(RunbookSettingsError, match="contacts"):
        RunbookSettings.from_mapping({"contacts": ["Ana"]})
    s = RunbookSettings(triggers=("a",), contacts={"Ana": ("x", "y")}, audit_public_key="k")
    assert RunbookSettings.from_mapping(s.to_mapping()) == s


def test_record_and_runbook_are_reproducible(
    simple_set: ShareSet, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1735776000")
    info = SetInfo.from_share_set(simple_set)
    assert ceremony_record_pdf(info, "letter") == ceremony_record_pdf(info, "letter")
    assert runbook_pdf(RunbookInputs(info)) == runbook_pdf(RunbookInputs(info))


# -- the independent recovery steps really recover ---------------------------------------------


@pytest.mark.parametrize(
    ("policy", "picks", "length"),
    [
        (Policy.simple(2, 3), (0, 2), 32),
        (Policy.grouped(2, [("leadership", 1, 2), ("on-call", 2, 3)]), (1, 2, 4), 100),
        (Policy.simple(3, 5), (4, 1, 3), 4096),
    ],
)
def test_appendix_script_recovers_from_typed_shares(
    policy: Policy, picks: tuple[int, ...], length: int, tmp_path: Path
) -> None:
    secret = hashlib.shake_256(b"appendix").digest(length)
    share_set = _split(secret, policy)
    script = tmp_path / "recover.py"
    script.write_text(RECOVERY_SCRIPT)
    files = []
    for i in picks:
        path = tmp_path / f"typed-{i}.txt"
        path.write_text(share_set.shares[i].transcription())
        files.append(str(path))
    done = subprocess.run(
        [sys.executable, str(script), *files], capture_output=True, check=False, timeout=60
    )
    assert done.returncode == 0, done.stderr.decode()[-400:]
    assert done.stdout == secret


# -- CLI ---------------------------------------------------------------------------------------


def test_split_pdf_writes_sheets_record_and_runbook(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "set"
    code = main(
        ["split", "-m", "2", "-n", "3", "--label", "db", "--custodian", "Ana:ops", "--custodian",
         "Bo", "--custodian", "Cy", "--generate", "24",
         "--generated-out", str(tmp_path / "gen"),  # a generated credential someone can use
         "--out", str(out), "--pdf", "--paper", "letter"]
    )  # fmt: skip
    assert code == 0
    for name in ["share-1.pdf", "share-2.pdf", "share-3.pdf"]:
        assert stat.S_IMODE((out / name).stat().st_mode) == 0o600
    for name in ["ceremony-record.pdf", "runbook.pdf"]:
        assert (out / name).read_bytes().startswith(b"%PDF-")
    fp = json.loads((out / "set.json").read_text())["fingerprint"]
    assert fp in text_of((out / "runbook.pdf").read_bytes())
    w, _ = pdfium.PdfDocument((out / "share-1.pdf").read_bytes())[0].get_size()
    assert w == pytest.approx(612, abs=1)  # US Letter
    assert "with share sheets" in capsys.readouterr().out


def test_print_and_runbook_commands(
    simple_set: ShareSet, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_set(simple_set, tmp_path / "set")
    shares = [str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 4)]
    assert main(["print", *shares, "--out", str(tmp_path / "pdf"), "--appendix"]) == 0
    printed = sorted(p.name for p in (tmp_path / "pdf").iterdir())
    assert printed == ["share-1.pdf", "share-4.pdf"]
    sheet = (tmp_path / "pdf" / "share-4.pdf").read_bytes()
    assert sheet == share_sheet_pdf(simple_set.shares[3], SheetOptions(appendix=True))

    settings = tmp_path / "settings.json"
    settings.write_text(json.dumps({"incident_channel": "#from-file", "escalation": ["CISO"]}))
    runbook = tmp_path / "runbook.pdf"
    args = ["runbook", str(tmp_path / "set" / "set.json"), "--out", str(runbook)]
    args += ["--settings", str(settings), "--contact", "Bo Chen=+1 555 0111"]
    args += ["--alternate-after", "9", "--audit-key", "ed25519:ABC"]
    assert main(args) == 0
    text = text_of(runbook.read_bytes())
    for expected in ["#from-file", "CISO", "+1 555 0111", "after 9 min", "ed25519:ABC"]:
        assert expected in text, expected

    record = tmp_path / "record.pdf"
    assert main(["record", str(tmp_path / "set" / "set.json"), "--out", str(record)]) == 0
    assert record.read_bytes() == ceremony_record_pdf(simple_set)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["runbook", "{d}/missing.json", "--out", "{d}/x.pdf"], "No such file"),
        (["runbook", "{d}/set/set.json", "--out", "{d}/x.pdf", "--contact", "Bo"], "NAME=CHANNEL"),
        (["runbook", "{d}/set/set.json", "--out", "{d}/set"], "is a directory"),
        (["record", "{d}/set/share-1.txt", "--out", "{d}/x.pdf"], "not a JSON file"),
        (["print", "{d}/set/set.json", "--out", "{d}/pdf"], "nothing was printed"),
    ],
)
def test_paper_commands_fail_in_one_line(
    argv: list[str],
    message: str,
    simple_set: ShareSet,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    write_set(simple_set, tmp_path / "set")
    code = main([a.replace("{d}", str(tmp_path)) for a in argv])
    err = capsys.readouterr().err
    assert code != 0
    assert message in err
    assert len(err.strip().splitlines()) == 1
    assert not (tmp_path / "pdf").exists()
    assert not (tmp_path / "x.pdf").exists()


@pytest.mark.parametrize("command", ["print", "record", "runbook"])
def test_paper_commands_have_help(command: str, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main([command, "--help"])
    assert done.value.code == 0
    assert "--paper" in capsys.readouterr().out


def _split_with_pdfs(tmp_path: Path, home: list[str], out: Path) -> int:
    return main(
        [*home, "split", "-m", "2", "-n", "3", "--label", "db", "--custodian", "Ana:ops",
         "--custodian", "Bo", "--custodian", "Cy", "--generate", "24",
         "--generated-out", str(tmp_path / "gen"), "--out", str(out), "--pdf"]
    )  # fmt: skip


def test_the_ceremony_record_carries_the_anchor_of_the_registration(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """split --pdf writes the ceremony record once the set is registered: it carries the
    anchor the split announced, exactly as `audit verify --anchor` takes it, and that anchor
    verifies. `record` makes the same again; another installation leaves the box."""
    home = ["--home", str(tmp_path / "home")]
    out = tmp_path / "set"
    assert _split_with_pdfs(tmp_path, home, out) == 0
    err = capsys.readouterr().err
    announced = re.search(r"Audit anchor: (\d+:[0-9a-f]{16,})\n", err)
    assert announced is not None, err
    anchor = announced[1]
    assert "write the audit anchor" not in err  # nothing left to copy by hand
    record = text_of((out / "ceremony-record.pdf").read_bytes())
    printed = re.search(r"Audit anchor (\S+) \(announced when the set was registered", record)
    assert printed is not None, record
    assert printed[1] == anchor  # the exact string, not a prefix of it
    assert "copy here the anchor" not in record
    assert main([*home, "audit", "verify", "--anchor", printed[1]]) == 0
    capsys.readouterr()
    assert main([*home, "audit", "show"]) == 0  # the trail says the record went out
    shown = capsys.readouterr().out
    fingerprint = json.loads((out / "set.json").read_text())["fingerprint"]
    assert (
        f"ceremony record of set {fingerprint} with anchor {anchor} saved to "
        f"{out / 'ceremony-record.pdf'}" in shown
    ), shown
    again = tmp_path / "record-again.pdf"
    assert main([*home, "record", str(out / "set.json"), "--out", str(again)]) == 0
    assert f"audit anchor of its registration: {anchor}" in capsys.readouterr().out
    after = text_of(again.read_bytes())
    assert anchor in after and "check: breakglass audit verify --anchor)" in after
    assert "copy here the anchor" not in after
    assert main([*home, "audit", "show"]) == 0  # made again: in the trail too
    shown = capsys.readouterr().out
    assert (
        f"ceremony record of set {fingerprint} with anchor {anchor} made again by "
        f"`breakglass record` to {again}" in shown
    ), shown
    # another installation never registered the set: the box stays for the hand, and that
    # installation's trail is not started by a reprint
    other = tmp_path / "record-elsewhere.pdf"
    args = ["--home", str(tmp_path / "other"), "record", str(out / "set.json"), "--out", str(other)]
    assert main(args) == 0
    assert "copy here the anchor" in text_of(other.read_bytes())
    assert not (tmp_path / "other" / "audit.log").exists()


def test_split_never_writes_its_record_over_a_file_that_appeared_meanwhile(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The record is written after the registration; a ceremony-record.pdf that appeared in
    the folder since the split checked it is kept as it is. The set stays registered, and the
    split says so, with how to make the record, and exits non-zero."""
    from breakglass_gui.cli import shares

    real = shares.write_set

    def and_a_stranger(share_set: ShareSet, out_dir: Path) -> dict[int, Path]:
        written = real(share_set, out_dir)
        (out_dir / "ceremony-record.pdf").write_bytes(b"someone else's file")
        return written

    monkeypatch.setattr(shares, "write_set", and_a_stranger)
    home = ["--home", str(tmp_path / "home")]
    out = tmp_path / "set"
    assert _split_with_pdfs(tmp_path, home, out) == 2
    err = capsys.readouterr().err
    assert "the set is registered, but the ceremony record was not written" in err
    assert f"breakglass record {out / 'set.json'} --out FILE" in err
    assert (out / "ceremony-record.pdf").read_bytes() == b"someone else's file"
    announced = re.search(r"Audit anchor: (\d+:[0-9a-f]{16,})\n", err)
    assert announced is not None, err
    assert main([*home, "audit", "verify", "--anchor", announced[1]]) == 0
    capsys.readouterr()
    fingerprint = json.loads((out / "set.json").read_text())["fingerprint"]
    assert main([*home, "sets", "list"]) == 0
    assert fingerprint in capsys.readouterr().out  # registered, not undone
