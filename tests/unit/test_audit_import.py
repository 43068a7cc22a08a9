"""One trail across machines: `breakglass audit import` of another installation's log.

Two homes through the CLI as subprocesses: a set split in A, a real use of it in B; B's log
imported into A makes the set rotation due in A, counts as a real use, opens a review, and
`breakglass report` in A names the incident and where it happened. Imports are idempotent,
a longer copy adds only its new entries, and a tampered, rewritten or wrongly keyed log is
refused with one line, nothing recorded.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from breakglass_gui.audit.keys import SigningKey, load_public_key
from breakglass_gui.audit.log import AuditLog

CLI = [sys.executable, "-m", "breakglass_gui.cli.main"]
SECRET = b"hunter2-\x00-root\n"
# what combine requires of a real use today (trigger: the runbook's first)
REAL_USE = ["--operator", "Dee on B", "--witness", "Eve", "--trigger", "1", "--announced"]


def run(home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ)
    env["BREAKGLASS_HOME"] = str(home)
    return subprocess.run(
        [*CLI, *args], capture_output=True, env=env, timeout=60, check=False, text=True
    )


def ok(home: Path, *args: str) -> str:
    r = run(home, *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def registry_dump(home: Path) -> list[object]:
    conn = sqlite3.connect(home / "registry.sqlite3")
    try:
        rows: list[object] = []
        for (table,) in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' ORDER BY 1"
        ):
            rows.append((table, conn.execute(f"SELECT * FROM {table} ORDER BY 1").fetchall()))
        return rows
    finally:
        conn.close()


def know_set(home: Path, source: Path, fp: str, card: Path) -> None:
    """Make ``home`` know the set ``fp`` of ``source`` the way a clean laptop does: the home
    installation exports its signed set card, the other imports it."""
    said = ok(source, "sets", "export", fp, "--out", str(card))
    signer = said.split("signed by ")[1].split()[0]  # as the runbook prints it
    assert "now known here" in ok(home, "sets", "import", str(card), "--signer", signer)


@pytest.fixture
def two_homes(tmp_path: Path) -> dict[str, object]:
    """A splits the set; B (another laptop) reconstructs it for real, knowing its fingerprint."""
    a, b = tmp_path / "A", tmp_path / "B"
    (tmp_path / "secret").write_bytes(SECRET)
    ok(
        a, "split", "--threshold", "2", "--shares", "3", "--label", "aws root",
        "--custodian", "Ana:on-call", "--custodian", "Bo", "--custodian", "Cy",
        "--secret-file", str(tmp_path / "secret"), "--out", str(tmp_path / "set"),
    )  # fmt: skip
    fp = json.loads((tmp_path / "set" / "set.json").read_text())["fingerprint"]
    shares = [str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 2)]
    # B does not know the set: it refuses to reveal it
    r = run(b, "combine", *shares, *REAL_USE, "--incident", "INC-1", "--out", str(tmp_path / "no"))
    assert r.returncode != 0 and not (tmp_path / "no").exists()
    know_set(b, a, fp, tmp_path / "set.card")
    ok(
        b, "combine", *shares, "--fingerprint", fp, "--incident", "INC-7731",
        *REAL_USE,
        "--out", str(tmp_path / "recovered"),
    )  # fmt: skip
    assert (tmp_path / "recovered").read_bytes() == SECRET
    key_b, printed = ok(b, "audit", "pubkey").splitlines()[:2]
    # the fingerprint B shows its people is the one the import shows A's operator
    assert printed == f"fingerprint {load_public_key(key_b).fingerprint()}"
    return {"a": a, "b": b, "fp": fp, "key_b": key_b, "shares": shares, "tmp": tmp_path}


def test_a_use_on_another_laptop_counts_here(two_homes: dict[str, object]) -> None:
    a, b, fp, key_b = (two_homes[k] for k in ("a", "b", "fp", "key_b"))
    assert (
        isinstance(a, Path)
        and isinstance(b, Path)
        and isinstance(key_b, str)
        and isinstance(fp, str)
    )
    before = json.loads(ok(a, "report", "--json"))
    assert before["rotation_due"] == [] and before["imported_ceremonies"] == []
    assert before["credentials"][0]["uses_last_90d"] == 0

    log_b = b / "audit.log"
    b_fp = load_public_key(key_b).fingerprint()
    out = ok(a, "audit", "import", str(log_b), "--pubkey", key_b)
    total_b = len(log_b.read_bytes().splitlines())
    assert f"log signed by key {b_fp}" in out
    assert f"imported {total_b} entries of the log signed by {b_fp} from {log_b}" in out
    assert f"rotation due here: {fp}" in out

    report = json.loads(ok(a, "report", "--json"))
    assert report["rotation_due"] == [fp]
    cred = report["credentials"][0]
    assert cred["uses_last_90d"] == 1  # the real use in B counts in A's bypass rate
    # B's first attempt (the set unknown there, refused) is on the record too, as failed
    first, cer = report["imported_ceremonies"]
    assert first["incident"] == "INC-1" and first["status"] in {"failed", "aborted"}
    assert cer["incident"] == "INC-7731" and cer["set"] == fp and cer["outcome"] == "revealed"
    assert cer["status"] == "done"
    assert cer["installation"] == b_fp and cer["file"] == str(log_b)
    assert [r["incident"] for r in report["open_reviews"]] == ["INC-7731"]  # review due here
    assert b_fp in report["open_reviews"][0]["where"]

    review = json.loads(ok(a, "review", "show", "1", "--json"))
    assert review["incident"] == "INC-7731" and b_fp in review["where"]
    assert review["audit_verified"].startswith(f"imported: the log signed by {b_fp} verified")
    text = ok(a, "report")
    line = next(x for x in text.splitlines() if "INC-7731" in x and "revealed" in x)
    assert fp in line and b_fp in line and str(log_b) in line and "revealed" in line
    assert f"rotation due (used for real; re-split with --replaces): {fp}" in text

    # the import is an entry of A's own signed log, and A's log still verifies
    last = json.loads((a / "audit.log").read_bytes().splitlines()[-1])
    imported = [
        json.loads(x) for x in (a / "audit.log").read_bytes().splitlines() if b'"log_imported"' in x
    ]
    assert len(imported) == 1 and imported[0]["fields"]["key"] == b_fp
    assert imported[0]["fields"]["entries"] == total_b
    assert last["event"] == "review_created"
    assert "intact" in ok(a, "audit", "verify")
    shown = ok(a, "audit", "show")
    assert f"imported {total_b} entries of the log signed by {b_fp} from {log_b}" in shown

    # importing the same log again changes nothing at all
    log_a, reg_a = (a / "audit.log").read_bytes(), registry_dump(a)
    again = ok(a, "audit", "import", str(log_b), "--pubkey", key_b)
    assert "nothing new" in again
    assert (a / "audit.log").read_bytes() == log_a and registry_dump(a) == reg_a


def test_a_longer_copy_adds_only_its_new_entries(two_homes: dict[str, object]) -> None:
    a, b, key_b, shares = (two_homes[k] for k in ("a", "b", "key_b", "shares"))
    assert isinstance(a, Path) and isinstance(b, Path) and isinstance(key_b, str)
    assert isinstance(shares, list)
    tmp = two_homes["tmp"]
    assert isinstance(tmp, Path)
    first = tmp / "first-copy.log"
    first.write_bytes((b / "audit.log").read_bytes())
    # a partial copy, cut in the middle of entry 4: its whole entries only
    lines = first.read_bytes().splitlines(keepends=True)
    partial = tmp / "partial.log"
    partial.write_bytes(b"".join(lines[:3]) + lines[3][:40])
    out = ok(a, "audit", "import", str(partial), "--pubkey", key_b)
    assert "imported 3 entries" in out and "its last line is torn (40 bytes" in out
    n_first = len(lines)
    out = ok(a, "audit", "import", str(first), "--pubkey", key_b)
    assert f"imported {n_first - 3} entries" in out
    # B goes on: a drill (never a real use), then a second real use
    ok(b, "combine", "--drill", *shares, "--incident", "rehearse SSO down", "--out", str(tmp / "d"))
    ok(
        b, "combine", *shares, "--incident", "INC-9", *REAL_USE,
        "--out", str(tmp / "again"),
    )  # fmt: skip
    n_all = len((b / "audit.log").read_bytes().splitlines())
    out = ok(a, "audit", "import", str(b / "audit.log"), "--pubkey", key_b)
    assert f"imported {n_all - n_first} entries" in out
    report = json.loads(ok(a, "report", "--json"))
    kinds = [
        (c["kind"], c["incident"] if c["kind"] == "reconstruction" else "-")
        for c in report["imported_ceremonies"]
    ]
    assert kinds == [
        ("reconstruction", "INC-1"),
        ("reconstruction", "INC-7731"),
        ("drill", "-"),
        ("reconstruction", "INC-9"),
    ]
    assert report["credentials"][0]["uses_last_90d"] == 2  # the drill does not count
    assert report["imported_logs"][0]["count"] == n_all


def test_tampered_rewritten_or_wrongly_keyed_logs_are_refused(
    two_homes: dict[str, object],
) -> None:
    a, b, key_b = (two_homes[k] for k in ("a", "b", "key_b"))
    tmp = two_homes["tmp"]
    assert isinstance(a, Path) and isinstance(b, Path) and isinstance(key_b, str)
    assert isinstance(tmp, Path)
    lines = (b / "audit.log").read_bytes().splitlines(keepends=True)
    untouched = (a / "audit.log").read_bytes(), registry_dump(a)

    def refused(path: Path, key: str, *extra: str) -> str:
        r = run(a, "audit", "import", str(path), "--pubkey", key, *extra)
        assert r.returncode == 1, (r.stdout, r.stderr)
        assert r.stderr.count("\n") == 1 and "nothing was imported" in r.stderr
        assert ((a / "audit.log").read_bytes(), registry_dump(a)) == untouched
        return r.stderr

    # a tampered copy: the incident of the reconstruction edited
    k = next(i for i, x in enumerate(lines) if b"INC-7731" in x)
    tampered = tmp / "tampered.log"
    tampered.write_bytes(
        b"".join([*lines[:k], lines[k].replace(b"7731", b"7732"), *lines[k + 1 :]])
    )
    msg = refused(tampered, key_b)
    seq = json.loads(lines[k])["seq"]
    assert f"line {k + 1}: entry {seq}: the signature does not verify" in msg

    # an entry removed from the middle
    cut = tmp / "cut.log"
    cut.write_bytes(b"".join(lines[:2] + lines[3:]))
    assert "entry 3 missing before entry 4" in refused(cut, key_b)

    # the right log under the wrong key (a third installation's)
    key_c = ok(tmp / "C", "audit", "pubkey").splitlines()[0]
    c_fp = load_public_key(key_c).fingerprint()
    msg = refused(b / "audit.log", key_c)
    assert f"does not verify under {c_fp}: line 1: entry 1" in msg and "the key" in msg

    # this installation's own log is not "another installation's"
    key_a = ok(a, "audit", "pubkey").splitlines()[0]
    r = run(a, "audit", "import", str(a / "audit.log"), "--pubkey", key_a)
    assert r.returncode == 1 and "this installation's own key" in r.stderr

    # an announced anchor the copy does not match
    bad_anchor = f"{len(lines)}:{'0' * 16}"
    assert "rewritten" in refused(b / "audit.log", key_b, "--anchor", bad_anchor)

    # now import the real log; then a copy signed by the same key whose first entries differ
    ok(a, "audit", "import", str(b / "audit.log"), "--pubkey", key_b)
    untouched = (a / "audit.log").read_bytes(), registry_dump(a)
    # B's first two entries kept, then a different history signed with B's own key
    (tmp / "rewritten.log").write_bytes(b"".join(lines[:2]))
    other = AuditLog(tmp / "rewritten.log", SigningKey.load(b / "keys" / "audit-signing.key"))
    for _ in range(len(lines)):
        other.append("ceremony_aborted", {"ceremony": 1, "reason": "a different history"})
    assert "intact" in ok(
        tmp / "C", "audit", "verify", str(tmp / "rewritten.log"), "--pubkey", key_b
    )
    msg = refused(tmp / "rewritten.log", key_b)
    assert "entry 3 differs from the entry 3 imported earlier" in msg and "rewritten" in msg


def test_a_set_this_registry_does_not_know_is_listed_but_not_reviewed_here(
    two_homes: dict[str, object],
) -> None:
    b, key_b, fp, tmp = (two_homes[k] for k in ("b", "key_b", "fp", "tmp"))
    assert isinstance(b, Path) and isinstance(key_b, str) and isinstance(tmp, Path)
    c = tmp / "C"  # an installation that never heard of the set
    out = ok(c, "audit", "import", str(b / "audit.log"), "--pubkey", key_b)
    assert f"note: set {fp} was revealed there but is not in this registry" in out
    report = json.loads(ok(c, "report", "--json"))
    assert report["rotation_due"] == [] and report["open_reviews"] == []
    assert "INC-7731" in [x["incident"] for x in report["imported_ceremonies"]]
    assert ok(c, "review", "list").strip() == "no review records"
