"""The audit CLI end to end: split/combine record events; sets, checkin, report, review, audit."""

from __future__ import annotations

import json
from pathlib import Path

import pypdfium2 as pdfium
import pytest

from breakglass_gui.audit.log import read_entries
from breakglass_gui.cli.main import main
from breakglass_gui.core.share import parse_text

try:
    from test_audit_support import SECRET, assert_no_leak
except ImportError:  # pragma: no cover
    from .test_audit_support import SECRET, assert_no_leak

Capture = pytest.CaptureFixture[bytes]


def run(capsysbinary: Capture, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse --help / usage errors
        code = int(exc.code or 0)
    out, err = capsysbinary.readouterr()
    return code, out.decode(errors="replace"), err.decode(errors="replace")


@pytest.fixture
def home(tmp_path: Path) -> Path:
    return tmp_path / "home"


def _split(capsysbinary: Capture, home: Path, out: Path, secret: Path, *extra: str) -> str:
    code, _, err = run(
        capsysbinary, "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "aws root",
        "--custodian", "Ana:on-call", "--custodian", "Bo", "--custodian", "Cy",
        "--secret-file", str(secret), "--out", str(out), *extra,
    )  # fmt: skip
    assert code == 0, err
    return json.loads((out / "set.json").read_text())["fingerprint"]  # type: ignore[no-any-return]


def test_combine_refuses_without_incident_and_operator(
    tmp_path: Path, home: Path, capsysbinary: Capture
) -> None:
    secret = tmp_path / "s"
    secret.write_bytes(SECRET)
    _split(capsysbinary, home, tmp_path / "set", secret)
    files = [str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 2)]
    before = (home / "audit.log").read_bytes()
    for extra, needle in (
        (["--trigger", "1"], "an incident reference is required"),
        (["--incident", "INC-1", "--trigger", "1"], "the operator's name is required"),
        (["--operator", "ana", "--trigger", "1"], "an incident reference is required"),
        (["--incident", " ", "--operator", "a", "--trigger", "1"], "--incident REF"),
        (["--incident", "INC-1", "--operator", "ana"], "choose which trigger condition"),
        # the GUI's rules and wording, from ceremony/ (one implementation)
        (
            ["--incident", "INC-1", "--operator", "Ana", "--witness", " ana ", "--trigger", "1"],
            "the operator cannot also be their own witness",
        ),
        (
            ["--incident", "whatever", "--operator", "ana", "--trigger", "1"],
            "the incident reference 'whatever' is not of the form this installation expects, "
            "e.g. INC-4821",
        ),
        (
            ["--incident", "INC-1", "--operator", "ana", "--trigger", "SSO down"],
            "'SSO down' is not one of the runbook's trigger conditions",
        ),
    ):
        code, out, err = run(capsysbinary, "--home", str(home), "combine", *files, *extra)
        assert code == 2 and out == "" and needle in err and err.count("\n") == 1, err
        assert "INC-\\d" not in err  # the pattern is never shown, its example is
    assert (home / "audit.log").read_bytes() == before  # nothing was attempted


def test_cli_ceremonies_end_to_end(tmp_path: Path, home: Path, capsysbinary: Capture) -> None:
    h = ["--home", str(home)]
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    fp = _split(capsysbinary, home, tmp_path / "set1", secret)
    s1 = [str(tmp_path / "set1" / f"share-{k}.txt") for k in (1, 2, 3)]

    who = ["--incident", "INC-4821", "--operator", "byashin", "--witness", "Cy"]
    code, out, err = run(
        capsysbinary, *h, "combine", s1[0], s1[1], *who, "--trigger", "1", "--announced"
    )
    assert code == 0 and out == SECRET.decode(), err
    assert "BREAK-GLASS USE" in err and "Incident: INC-4821" in err and "Audit anchor: " in err
    # a drill on a live set proves the quorum and shows nothing, not even into a file
    code, out, _ = run(
        capsysbinary, *h, "combine", "--drill", s1[1], s1[2], "--out", str(tmp_path / "d"),
        "--incident", "INC-4822", "--trigger", "1",
    )  # fmt: skip
    assert code == 0 and f"recover the credential of set {fp}; not shown" in out
    assert SECRET.decode() not in out and not (tmp_path / "d").exists()

    code, out, _ = run(capsysbinary, *h, "sets", "show", fp.lower().replace("-", ""))
    assert code == 0 and "rotation-due" in out and "1 / 90 d, was 0 / 90 d" in out
    assert "1. Ana, on-call" in out

    secret2 = tmp_path / "secret2"
    secret2.write_bytes(b"rotated " + SECRET)
    fp2 = _split(
        capsysbinary, home, tmp_path / "set2", secret2, "--replaces", fp, "--operator", "ana"
    )
    code, out, err = run(
        capsysbinary, *h, "combine", s1[0], s1[2], "--incident", "INC-5", "--operator", "bo",
        "--trigger", "2", "--witness", "Cy",
    )  # fmt: skip
    assert code == 2 and out == ""
    assert f"it belongs to set {fp}, which was retired (on " in err and " by ana" in err

    code, out, _ = run(
        capsysbinary, *h, "checkin", str(tmp_path / "set2" / "share-3.txt"), s1[2], "--by", "Cy"
    )
    assert code == 1
    assert f"Share 3 of set {fp2} present and intact (Cy, aws root)" in out
    assert "REFUSED " in out and "Refused share 3 of 3 (Cy): this share belongs to set" in out

    code, out, _ = run(capsysbinary, *h, "sets", "list")
    assert code == 0 and f"{fp}  2-of-3   retired" in out and f"{fp2}  2-of-3   active" in out

    code, out, _ = run(capsysbinary, *h, "report", "--json")
    data = json.loads(out)
    (cred,) = data["credentials"]
    # INC-5 was refused at the collect step (retired shares): nothing was reconstructed, so,
    # as in the GUI, it is an aborted ceremony, not a use; the refused attempt has its one
    # review record, naming the set and credential it was refused for
    assert cred["bypass_rate"] == "1 / 90 d, was 0 / 90 d" and cred["last_drill"]
    assert data["audit_log"]["ok"]
    assert [r["incident"] for r in data["open_reviews"]] == ["INC-4821", "INC-5"]
    code, out, _ = run(capsysbinary, *h, "review", "show", "2", "--json")
    shown = json.loads(out)  # (YAML quotes a fingerprint only when it starts with a digit)
    assert code == 0 and shown["credential"] == "aws root" and shown["set"] == f"{fp} (2-of-3)"
    assert shown["shares_used"] == [] and len(shown["shares_refused"]) == 2
    assert all("retired set: it belongs to set" in r for r in shown["shares_refused"])
    code, out, _ = run(capsysbinary, *h, "report")
    assert code == 0
    # one use after a quiet quarter is not "becoming routine" (audit/bypass.py: at least 2
    # real uses in the last 90 days, and more than the 90 before)
    assert "credential 'aws root': real uses 1 use / 90 d, was 0\n" in out
    assert "becoming routine" not in out and "← watch" not in out
    assert (
        "(real uses: flagged when the last 90 days have at least 2 real uses and more than the "
        "90 days before; drills and refused attempts never count)\n" in out
    )
    assert "review due: review 1 (incident INC-4821)" in out
    assert "review due: review 2 (incident INC-5)" in out

    # review: pre-filled, completed by people, exported
    code, out, _ = run(capsysbinary, *h, "review", "show", "1")
    assert code == 0 and "broke_glass: byashin" in out and 'severity: ""' in out
    code, out, _ = run(capsysbinary, *h, "review", "complete", "1", "--severity", "SEV1")
    assert "still missing: appropriate, reviewers" in out
    code, out, _ = run(capsysbinary, *h, "review", "complete", "1", "--appropriate", "YES",
                       "--reviewer", "security", "--follow-up", "OPS-2210")  # fmt: skip
    assert code == 0 and "review 1 completed" in out
    y, pdf = tmp_path / "r.yaml", tmp_path / "r.pdf"
    code, _, _ = run(capsysbinary, *h, "review", "export", "1", "--yaml", str(y), "--pdf", str(pdf))
    exported = y.read_text()
    # the post-use steps the CLI cannot tick are the record's first follow-ups, then people's
    assert code == 0 and 'follow_ups:\n  - "post-use step open: Rotate the credential' in exported
    assert exported.count('  - "post-use step open: ') == 4 and "  - OPS-2210\n" in exported
    assert pdf.read_bytes().startswith(b"%PDF")
    code, out, _ = run(capsysbinary, *h, "review", "list", "--json")
    assert [r["status"] for r in json.loads(out)] == ["completed", "draft"]
    # reviews close the loop: the report shows the follow-ups and what is still due
    code, out, _ = run(capsysbinary, *h, "report")
    assert "follow-up open (review 1 #5, INC-4821): OPS-2210" in out
    assert "review due: review 1 " not in out and "review due: review 2 (incident INC-5)" in out

    # audit: show, verify, export, verify elsewhere
    code, out, _ = run(capsysbinary, *h, "audit", "show", "--ceremony", "2")
    assert "BREAK-GLASS reconstruction started: incident INC-4821, operator byashin" in out
    code, out, _ = run(capsysbinary, *h, "audit", "verify")
    assert code == 0 and "intact" in out and "matches the registry" in out
    code, out, _ = run(capsysbinary, *h, "audit", "pubkey")
    pubkey = out.splitlines()[0]
    assert pubkey.startswith("ed25519:")
    code, out, _ = run(capsysbinary, *h, "audit", "export", "--out", str(tmp_path / "exp"))
    assert code == 0
    command = out.splitlines()[-1].removeprefix("verify elsewhere: breakglass ").split()
    code, out, _ = run(capsysbinary, *command)  # no --home: another machine
    assert code == 0 and "--anchor" in " ".join(command) and "intact" in out

    # nothing secret anywhere: home files, exports, outputs of every listing command
    blobs = {p.name: p.read_bytes() for p in home.iterdir() if p.is_file()}
    blobs |= {f"export/{p.name}": p.read_bytes() for p in (tmp_path / "exp").iterdir()}
    blobs["review.yaml"] = y.read_bytes()
    for argv in (["audit", "show", "--json"], ["report", "--json"], ["sets", "show", fp, "--json"]):
        blobs[" ".join(argv)] = run(capsysbinary, *h, *argv)[1].encode()
    sets = []
    for d in ("set1", "set2"):
        texts = [(tmp_path / d / f"share-{k}.txt").read_text().strip() for k in (1, 2, 3)]
        sets.append(_FakeSet([parse_text(t) for t in texts]))
    assert_no_leak(blobs, [SECRET, b"rotated " + SECRET], sets)  # type: ignore[arg-type]


class _FakeSet:
    """Just what assert_no_leak reads from a ShareSet: its shares."""

    def __init__(self, shares: list[object]) -> None:
        self.shares = shares


def test_verify_names_the_broken_entry_and_a_cut_tail(
    tmp_path: Path, home: Path, capsysbinary: Capture
) -> None:
    secret = tmp_path / "s"
    secret.write_bytes(SECRET)
    _split(capsysbinary, home, tmp_path / "set", secret)
    run(capsysbinary, "--home", str(home), "combine", "--drill", "--incident", "INC-9",
        "--trigger", "1", *(str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 2)))  # fmt: skip
    log = home / "audit.log"
    lines = log.read_bytes().splitlines(keepends=True)
    original = b"".join(lines)
    i = next(k for k, line in enumerate(lines) if b'"drill":true' in line)
    log.write_bytes(
        b"".join(
            [*lines[:i], lines[i].replace(b'"drill":true', b'"drill":false', 1), *lines[i + 1 :]]
        )
    )
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "verify")
    broken = f"line {i + 1}: entry {i + 1}: the signature does not verify"
    assert code == 1 and "BROKEN" in out and broken in out
    log.write_bytes(b"".join(lines[:-2]))
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "verify", "--json")
    report = json.loads(out)
    assert code == 1 and report["problems"][0]["kind"] == "truncated"
    log.write_bytes(original)
    assert run(capsysbinary, "--home", str(home), "audit", "verify")[0] == 0


@pytest.mark.parametrize(
    "argv",
    [
        ["audit", "--help"], ["audit", "verify", "--help"], ["audit", "show", "--help"],
        ["audit", "export", "--help"], ["audit", "pubkey", "--help"],
        ["audit", "mirrors", "--help"], ["sets", "list", "--help"], ["sets", "show", "--help"],
        ["sets", "retire", "--help"], ["checkin", "--help"], ["report", "--help"],
        ["review", "list", "--help"], ["review", "show", "--help"],
        ["review", "complete", "--help"], ["review", "export", "--help"],
    ],
)  # fmt: skip
def test_help(argv: list[str], capsysbinary: Capture) -> None:
    code, out, _ = run(capsysbinary, *argv)
    assert code == 0 and "usage: breakglass" in out


@pytest.mark.parametrize(
    ("argv", "code", "needle"),
    [
        (["sets", "show", "nonsense"], 2, "not a set fingerprint"),
        (["sets", "show", "0000-0000-0000-0000"], 1, "not in this registry"),
        (["sets", "retire", "0000-0000-0000-0000", "--by", "x"], 2, "not in this registry"),
        (["review", "show", "99"], 1, "no review record 99"),
        (["audit", "verify", "/nonexistent/log"], 2, "no such file"),
        (["audit", "verify", "--anchor", "3:abc"], 2, "expected COUNT:HEAD"),
        (["audit", "mirrors", "--add", "ftp:x"], 2, "expected file:PATH"),
        (["checkin", "/nonexistent/share"], 2, "No such file"),
        (["review", "complete", "1"], 2, "nothing to fill in"),
    ],
)
def test_bad_input_is_one_line_never_a_traceback(
    argv: list[str], code: int, needle: str, home: Path, capsysbinary: Capture
) -> None:
    got, out, err = run(capsysbinary, "--home", str(home), *argv)
    assert got == code, (out, err)
    assert needle in out + err
    assert "Traceback" not in out + err and err.count("\n") <= 1


def test_split_refuses_one_person_reaching_the_quorum_unless_a_reason_is_given(
    capsysbinary: Capture, tmp_path: Path
) -> None:
    home, secret = tmp_path / "home", tmp_path / "secret"
    secret.write_bytes(b"hunter2-hunter2")
    args = ["--home", str(home), "split", "-m", "2", "-n", "3", "--label", "db",
            "--custodian", "Ana Ruiz:sre", "--custodian", "ana ruiz:manager", "--custodian", "Bo",
            "--secret-file", str(secret)]  # fmt: skip
    code, _, err = run(capsysbinary, *args, "--out", str(tmp_path / "refused"))
    assert code != 0
    assert "Ana Ruiz alone holds shares 1, 2" in err
    assert "--accept-custodian-risk" in err
    assert not (tmp_path / "refused").exists()  # refused before anything was written
    reason = ["--accept-custodian-risk", "Ana is the only DBA until March"]
    code, _, err = run(capsysbinary, *args, "--out", str(tmp_path / "ok"), *reason, "--pdf")
    assert code == 0, err
    code, out, _ = run(capsysbinary, "--home", str(home), "audit", "show")
    assert "custodian risk accepted: Ana is the only DBA until March" in out
    record = (tmp_path / "ok" / "ceremony-record.pdf").read_bytes()

    doc = pdfium.PdfDocument(record)
    text = " ".join(doc[i].get_textpage().get_text_range() for i in range(len(doc)))
    assert "Ana is the only DBA until March" in " ".join(text.split())


def test_split_needs_a_named_custodian_for_every_share(
    capsysbinary: Capture, tmp_path: Path
) -> None:
    secret = tmp_path / "secret"
    secret.write_bytes(b"hunter2-hunter2")
    code, _, err = run(
        capsysbinary, "--home", str(tmp_path / "home"), "split", "-m", "2", "-n", "3",
        "--custodian", "Ana", "--secret-file", str(secret), "--out", str(tmp_path / "o"),
    )  # fmt: skip
    assert code != 0
    assert "Name the custodian of shares 2, 3" in err


def test_follow_ups_are_closed_once_by_name_and_on_the_record(
    tmp_path: Path, home: Path, capsysbinary: Capture
) -> None:
    """The post-use steps a CLI use leaves open are its review record's follow-ups; each is
    closed once, by number or exact text, by a named person, in the record and the log; an
    unknown record or follow-up, another record's follow-up, a second close and share
    material are refused with nothing recorded."""
    h = ["--home", str(home)]
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    _split(capsysbinary, home, tmp_path / "set", secret)
    s = [str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 2, 3)]
    for incident, pair in (("INC-4821", s[:2]), ("INC-4822", s[1:])):
        code, _, err = run(
            capsysbinary, *h, "combine", *pair, "--incident", incident, "--operator", "Ana",
            "--witness", "Cy", "--trigger", "1", "--announced",
        )  # fmt: skip
        assert code == 0, err
    run(capsysbinary, *h, "review", "complete", "2", "--follow-up", "OPS-77 fix SSO failover")
    code, out, _ = run(capsysbinary, *h, "report")
    assert out.count("follow-up open (review 1 #") == 4
    assert "follow-up open (review 1 #1, INC-4821): post-use step open: Rotate" in out
    assert "follow-up open (review 2 #5, INC-4822): OPS-77 fix SSO failover" in out
    log = home / "audit.log"

    def refused(*argv: str, needle: str, code: int = 1) -> None:
        before = log.read_bytes()
        got, out, err = run(capsysbinary, *h, "review", "close-follow-up", *argv)
        assert got == code and out == "" and needle in err, err
        assert log.read_bytes() == before  # nothing recorded

    refused("99", "1", "--by", "Ana", needle="no review record 99")
    refused("1", "5", "--by", "Ana", needle="review record 1 has no follow-up 5 (it has 4: 1–4)")
    refused("1", "0", "--by", "Ana", needle="review record 1 has no follow-up 0")
    refused(
        "1", "OPS-77 fix SSO failover", "--by", "Ana",
        needle="review record 1 has no follow-up 'OPS-77 fix SSO failover'; it is a follow-up "
        "of review record 2",
    )  # fmt: skip
    refused("1", "1", "--by", "  ", needle="say who closes it")
    refused("1", "1", needle="--by", code=2)  # argparse: required
    words = " ".join(["academic"] * 12)
    refused("1", "1", "--by", "Ana", "--note", words, needle="looks like share material")

    code, out, err = run(
        capsysbinary, *h, "review", "close-follow-up", "1", "1", "--by", "Ana Ruiz",
        "--note", "rotated in the vault, CHG-12",
    )  # fmt: skip
    assert code == 0, err
    assert "review 1: follow-up 1 closed (post-use step open: Rotate the credential" in out
    assert "still open: 2, 3, 4" in out
    refused("1", "1", "--by", "Bo", needle="follow-up 1 of review record 1 is already closed: #1 ")
    text = "OPS-77 fix SSO failover"
    code, out, err = run(capsysbinary, *h, "review", "close-follow-up", "2", text, "--by", "Bo")
    assert code == 0 and "review 2: follow-up 5 closed (OPS-77 fix SSO failover)" in out, err
    refused("2", text, "--by", "Bo", needle="follow-up 5 of review record 2 is already closed")

    code, out, _ = run(capsysbinary, *h, "review", "show", "1")
    assert 'follow_ups_closed:\n  - "#1 post-use step open: Rotate the credential' in out
    assert 'by Ana Ruiz: rotated in the vault, CHG-12"\n' in out
    assert '  - "post-use step open: Rotate the credential' in out  # still listed
    code, out, _ = run(capsysbinary, *h, "report")
    assert "(review 1 #1," not in out and out.count("follow-up open (review 1 #") == 3
    assert "(review 2 #5," not in out and out.count("follow-up open (review 2 #") == 4
    code, out, _ = run(capsysbinary, *h, "report", "--json")
    (cred,) = json.loads(out)["credentials"]
    assert sorted((f["review"], f["number"]) for f in cred["follow_ups"]) == [
        (1, 2), (1, 3), (1, 4), (2, 1), (2, 2), (2, 3), (2, 4),
    ]  # fmt: skip
    closes = [e for e in read_entries(log) if e.event == "follow_up_closed"]
    assert [(e.fields["review"], e.fields["follow_up"], e.fields["by"]) for e in closes] == [
        (1, 1, "Ana Ruiz"),
        (2, 5, "Bo"),
    ]
    assert closes[0].fields["note"] == "rotated in the vault, CHG-12"
    code, out, _ = run(capsysbinary, *h, "audit", "verify")
    assert code == 0, out


def test_review_export_never_replaces_a_file(
    tmp_path: Path, home: Path, capsysbinary: Capture
) -> None:
    h = ["--home", str(home)]
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    _split(capsysbinary, home, tmp_path / "set", secret)
    s = [str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 2)]
    code, _, err = run(
        capsysbinary, *h, "combine", *s, "--incident", "INC-1", "--operator", "Ana",
        "--witness", "Cy", "--trigger", "1", "--announced",
    )  # fmt: skip
    assert code == 0, err
    kept = tmp_path / "notes.yaml"
    kept.write_text("someone's notes\n")
    pdf = tmp_path / "r.pdf"
    code, out, err = run(
        capsysbinary, *h, "review", "export", "1", "--yaml", str(kept), "--pdf", str(pdf)
    )
    assert code == 2 and out == "" and "already exists; it is never replaced" in err
    assert kept.read_text() == "someone's notes\n" and not pdf.exists()  # nothing written
    y = tmp_path / "r.yaml"
    code, out, _ = run(
        capsysbinary, *h, "review", "export", "1", "--yaml", str(y), "--pdf", str(pdf)
    )
    assert code == 0 and y.read_text().startswith("# break-glass review record — INC-1")
    assert pdf.read_bytes().startswith(b"%PDF")
    first = pdf.read_bytes()
    code, _, err = run(capsysbinary, *h, "review", "export", "1", "--pdf", str(pdf))
    assert code == 2 and "already exists" in err and pdf.read_bytes() == first


def test_refused_combines_of_one_incident_share_one_review_record(
    tmp_path: Path, home: Path, capsysbinary: Capture
) -> None:
    """Each ``combine`` is its own process and ceremony; refused attempts under one incident
    on one credential still share one draft record, which names the set and credential and
    lists every attempt; the use that follows under that incident joins it. Another incident
    gets its own record."""
    h = ["--home", str(home)]
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    fp = _split(capsysbinary, home, tmp_path / "set1", secret)
    fp2 = _split(
        capsysbinary, home, tmp_path / "set2", secret, "--replaces", fp, "--operator", "ana"
    )
    old = [str(tmp_path / "set1" / f"share-{k}.txt") for k in (1, 2, 3)]
    new = [str(tmp_path / "set2" / f"share-{k}.txt") for k in (1, 2, 3)]

    def combine(incident: str, *files: str, code: int = 2) -> str:
        got, out, err = run(
            capsysbinary, *h, "combine", *files, "--incident", incident, "--operator", "bo",
            "--witness", "Cy", "--trigger", "1", "--announced",
        )  # fmt: skip
        assert got == code, err
        return out

    for pair in ((old[0], old[1]), (old[1], old[2]), (old[0], old[2])):
        combine("INC-9", *pair)
    code, out, _ = run(capsysbinary, *h, "review", "list", "--json")
    [listed] = json.loads(out)
    assert listed["incident"] == "INC-9" and listed["status"] == "draft"
    assert listed["ceremonies"] == sorted(listed["ceremonies"]) and len(listed["ceremonies"]) == 3
    code, out, _ = run(capsysbinary, *h, "review", "show", "1", "--json")
    shown = json.loads(out)
    assert shown["credential"] == "aws root" and shown["set"] == f"{fp} (2-of-3)"
    assert len(shown["attempts"]) == 3
    for c, line in zip(listed["ceremonies"], shown["attempts"], strict=True):
        assert line.startswith(f"ceremony {c}, ") and "bo: ended without the credential" in line
        assert line.endswith("; 2 shares refused")
    assert len(shown["shares_refused"]) == 6
    assert all("retired set: it belongs to set" in r for r in shown["shares_refused"])
    assert shown["bypass_rate"] == "0 / 90 d, was 0 / 90 d" and shown["shares_used"] == []

    combine("INC-10", old[0], old[1])
    code, out, _ = run(capsysbinary, *h, "review", "list", "--json")
    assert [(r["review"], r["incident"], len(r["ceremonies"])) for r in json.loads(out)] == [
        (1, "INC-9", 3),
        (2, "INC-10", 1),
    ]
    code, out, _ = run(capsysbinary, *h, "review", "list")
    assert f"ceremonies {', '.join(map(str, listed['ceremonies']))}  INC-9" in out

    # the use under INC-9, with the current set: the same record
    assert combine("INC-9", new[0], new[2], code=0) == SECRET.decode()
    code, out, _ = run(capsysbinary, *h, "review", "list", "--json")
    assert [(r["review"], r["incident"], len(r["ceremonies"])) for r in json.loads(out)] == [
        (1, "INC-9", 4),
        (2, "INC-10", 1),
    ]
    code, out, _ = run(capsysbinary, *h, "review", "show", "1", "--json")
    shown = json.loads(out)
    assert shown["set"] == f"{fp} (2-of-3); {fp2} (2-of-3)" and len(shown["shares_used"]) == 2
    assert "the credential was recovered (revealed)" in shown["attempts"][3]
    assert shown["bypass_rate"] == "1 / 90 d, was 0 / 90 d"
    events = [e.event for e in read_entries(home / "audit.log") if e.event.startswith("review_")]
    assert events == ["review_created", "review_joined", "review_joined", "review_created",
                      "review_joined"]  # fmt: skip
    code, out, _ = run(capsysbinary, *h, "audit", "verify")
    assert code == 0 and "intact" in out
