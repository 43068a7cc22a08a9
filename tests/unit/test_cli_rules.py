"""The CLI follows the ceremony's rules (issue 11): known sets only, drills never reveal a live
credential, and no file is ever lost. Each test attacks one promise the way an adversary or a
tired operator would, through ``breakglass`` itself."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from breakglass_gui.cli.main import main

SECRET = b"s3cret-root-password\n"
FOREIGN = b"a credential made elsewhere\n"
PEOPLE = ["--custodian", "Ana", "--custodian", "Bo", "--custodian", "Cy"]
WHO = [
    "--incident", "INC-4821", "--operator", "Ana Ruiz", "--trigger", "1", "--witness", "Bo",
    "--announced",
]  # fmt: skip

Capture = pytest.CaptureFixture[bytes]


def run(capsysbinary: Capture, *argv: str) -> tuple[int, bytes, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsysbinary.readouterr()
    return code, out, err.decode(errors="replace")


def split(capsysbinary: Capture, home: Path, out: Path, secret: bytes, *extra: str) -> str:
    src = out.parent / f"{out.name}.secret"
    src.write_bytes(secret)
    code, _, err = run(
        capsysbinary, "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "AWS root",
        *PEOPLE, "--secret-file", str(src), "--out", str(out), *extra,
    )  # fmt: skip
    src.unlink()
    assert code == 0, err
    return str(json.loads((out / "set.json").read_text())["fingerprint"])


@pytest.fixture
def two_homes(tmp_path: Path, capsysbinary: Capture) -> tuple[Path, str, str]:
    """This installation's set, and a set with the SAME label made in another home."""
    home = tmp_path / "home"
    fp = split(capsysbinary, home, tmp_path / "ours", SECRET)
    other = split(capsysbinary, tmp_path / "elsewhere", tmp_path / "theirs", FOREIGN)
    return home, fp, other


def files(tmp_path: Path, folder: str, *numbers: int) -> list[str]:
    return [str(tmp_path / folder / f"share-{k}.txt") for k in numbers]


# -- only known sets are revealed ---------------------------------------------------------------


def test_a_set_made_elsewhere_with_the_same_label_is_refused_without_fingerprint(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, _fp, other = two_homes
    log_before = (home / "audit.log").read_bytes()
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "theirs", 1, 2, 3), *WHO
    )
    assert code != 0 and out == b""
    assert FOREIGN not in out and err.count("which this installation does not know") == 3
    assert f"--fingerprint {other}" in err  # the way to name it on purpose
    assert (home / "audit.log").read_bytes().startswith(log_before)  # the attempt is logged
    # named explicitly, it is recovered (and recorded as a real use)
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "theirs", 1, 3),
        *WHO, "--fingerprint", other,
    )  # fmt: skip
    assert code == 0 and out == FOREIGN, err


def test_mixed_genuine_and_foreign_shares_never_reveal_the_foreign_credential(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, _fp, other = two_homes
    # 3 foreign shares first (they would outvote), then 2 genuine ones; and the reverse order
    for order in (
        files(tmp_path, "theirs", 1, 2, 3) + files(tmp_path, "ours", 1, 2),
        files(tmp_path, "ours", 3)
        + files(tmp_path, "theirs", 1, 2, 3)
        + files(tmp_path, "ours", 2),
    ):
        code, out, err = run(capsysbinary, "--home", str(home), "combine", *order, *WHO)
        assert FOREIGN not in out and FOREIGN.strip() not in err.encode()
        assert code == 0 and out == SECRET, err
        assert err.count(f"set {other} (AWS root), which this installation does not know") == 3


def test_only_the_named_set_is_recovered_by_full_digest_or_printed_fingerprint(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, fp, _other = two_homes
    shares = files(tmp_path, "ours", 1, 2)
    digest = json.loads((tmp_path / "ours" / "set.json").read_text())["set_digest"]
    for named in (fp, fp.lower().replace("-", ""), digest):
        code, out, err = run(
            capsysbinary, "--home", str(home), "combine", *shares, *WHO, "--fingerprint", named
        )
        assert code == 0 and out == SECRET, (named, err)
    wrong = "0" * 64
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *shares, *WHO, "--fingerprint", wrong
    )
    assert code != 0 and out == b"" and "belongs to another set" in err


def test_verify_and_checkin_say_when_a_set_is_unknown_or_retired(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, fp, other = two_homes
    h = ["--home", str(home)]
    code, out, _ = run(capsysbinary, *h, "verify", *files(tmp_path, "theirs", 1))
    assert code == 1 and b"UNKNOWN" in out and b"does not know" in out
    code, out, _ = run(
        capsysbinary, *h, "verify", *files(tmp_path, "theirs", 1), "--fingerprint", other
    )
    assert code == 0 and b"named explicitly" in out
    code, out, _ = run(capsysbinary, *h, "checkin", *files(tmp_path, "theirs", 2))
    assert code == 1 and b"not in this registry" in out and b"Nothing was checked in" in out
    code, out, _ = run(capsysbinary, *h, "verify", *files(tmp_path, "ours", 1))
    assert code == 0 and b"known here, active" in out
    assert run(capsysbinary, *h, "sets", "retire", fp, "--by", "Dee")[0] == 0
    code, out, _ = run(capsysbinary, *h, "verify", *files(tmp_path, "ours", 1))
    assert code == 1 and b"RETIRED" in out and b"retired on" in out and b"by Dee" in out


# -- drills never reveal a live credential -------------------------------------------------


def test_a_drill_on_a_live_set_never_prints_the_credential(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, fp, _ = two_homes
    drill = ["--drill", "--incident", "INC-1", "--trigger", "1"]
    for extra in ([], ["--out", str(tmp_path / "drill-out")]):
        code, out, err = run(
            capsysbinary, "--home", str(home), "combine", *files(tmp_path, "ours", 1, 3),
            *drill, *extra,
        )  # fmt: skip
        assert code == 0, err
        assert SECRET not in out and SECRET.strip() not in err.encode()
        assert f"these shares recover the credential of set {fp}; not shown".lower() in (
            out.decode().lower()
        )
        assert not (tmp_path / "drill-out").exists()
    log = (home / "audit.log").read_text()
    assert '"event":"secret_revealed"' not in log.replace(" ", "")


def test_a_drill_set_may_be_revealed_in_a_drill_and_is_printed_drill(
    tmp_path: Path, capsysbinary: Capture
) -> None:
    home = tmp_path / "home"
    split(capsysbinary, home, tmp_path / "rehearsal", b"throwaway", "--drill-set")
    assert "DRILL" in (tmp_path / "rehearsal" / "share-1.txt").read_text().upper() or json.loads(
        (tmp_path / "rehearsal" / "set.json").read_text()
    ).get("drill")
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "rehearsal", 1, 2),
        "--drill", "--incident", "INC-2", "--trigger", "1",
    )  # fmt: skip
    assert code == 0 and out == b"throwaway", err


# -- no file lost -------------------------------------------------------------------------------


def _state(path: Path) -> tuple[bytes, int]:
    return path.read_bytes(), stat.S_IMODE(path.lstat().st_mode)


def test_combine_out_never_overwrites_follows_a_symlink_or_writes_to_a_pipe(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, _, _ = two_homes
    precious = tmp_path / "precious.txt"
    precious.write_bytes(b"keep me\n")
    precious.chmod(0o644)
    link = tmp_path / "link"
    link.symlink_to(precious)
    fifo = tmp_path / "fifo"
    os.mkfifo(fifo, 0o644)
    before = _state(precious)
    for target in (precious, link, fifo):
        code, out, err = run(
            capsysbinary, "--home", str(home), "combine", *files(tmp_path, "ours", 1, 2),
            *WHO, "--out", str(target),
        )  # fmt: skip
        assert code != 0 and out == b"" and "already exists" in err, target
        assert _state(precious) == before
    assert stat.S_ISFIFO(fifo.lstat().st_mode) and stat.S_IMODE(fifo.lstat().st_mode) == 0o644
    assert link.is_symlink()


def test_combine_out_creates_a_new_owner_only_file(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, _, _ = two_homes
    target = tmp_path / "new" / "credential"
    target.parent.mkdir()
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "ours", 1, 2), *WHO,
        "--out", str(target),
    )  # fmt: skip
    assert code == 0 and out == b"", err
    assert target.read_bytes() == SECRET and stat.S_IMODE(target.stat().st_mode) == 0o600


def test_open_new_refuses_a_device_without_touching_it(tmp_path: Path) -> None:
    from breakglass_gui.platform.files import FileExistsRefusal, create_new

    before = os.stat("/dev/null")
    with pytest.raises(FileExistsRefusal, match="a device"):
        create_new("/dev/null", b"x")
    after = os.stat("/dev/null")
    assert (after.st_mode, after.st_uid) == (before.st_mode, before.st_uid)


def _events(home: Path, kind: str) -> list[dict[str, object]]:
    entries = [json.loads(line) for line in (home / "audit.log").read_text().splitlines()]
    return [e for e in entries if kind in json.dumps(e)]


def test_a_reveal_that_could_not_be_written_is_recorded_as_failed(
    tmp_path: Path,
    two_homes: tuple[Path, str, str],
    capsysbinary: Capture,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    home, _, _ = two_homes
    # the folder does not exist: the open fails before anything is revealed
    target = tmp_path / "gone" / "credential"
    code, out, _ = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "ours", 1, 2), *WHO,
        "--out", str(target),
    )  # fmt: skip
    assert code != 0 and out == b"" and not target.exists()
    assert _events(home, '"secret_revealed"') == []
    # the disk fills up while the credential is written: recorded as failed
    from breakglass_gui.cli import shares

    def full(_secret: object, _fd: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.setattr(shares, "_deliver", full)
    target = tmp_path / "credential"
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "ours", 1, 3), *WHO,
        "--out", str(target),
    )  # fmt: skip
    assert code == 1 and "recorded as failed" in err and out == b""
    assert not target.exists()  # no partial credential left behind
    finished = _events(home, '"reconstruction_finished"')
    assert "failed: the credential could not be written" in json.dumps(finished[-1])


def test_split_out_refuses_a_folder_holding_a_set_and_generated_out_never_overwrites(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    home, _, _ = two_homes
    ours = tmp_path / "ours"
    snapshot = {p.name: _state(p) for p in ours.iterdir()}
    code, _, err = run(
        capsysbinary, "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "x", *PEOPLE,
        "--generate", "16", "--out", str(ours),
    )  # fmt: skip
    assert code != 0 and "already holds the files of a set" in err
    code, _, err = run(
        capsysbinary, "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "x", *PEOPLE,
        "--generate", "16", "--generated-out", str(ours / "share-1.txt"),
        "--out", str(tmp_path / "fresh"),
    )  # fmt: skip
    assert code != 0 and "never replaced" in err and not (tmp_path / "fresh").exists()
    assert {p.name: _state(p) for p in ours.iterdir()} == snapshot


def test_known_means_the_full_digest_not_the_printed_fingerprint(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    """A set made to share a known set's printed 64-bit fingerprint is still unknown: the
    registry knows sets by their full digest (here the registry's digest for that printed
    fingerprint is another set's, as it would be after a fingerprint collision)."""
    import sqlite3

    home, fp, _ = two_homes
    digest = json.loads((tmp_path / "ours" / "set.json").read_text())["set_digest"]
    db = sqlite3.connect(home / "registry.sqlite3", isolation_level=None)
    try:
        (stored,) = db.execute(
            "SELECT set_digest FROM share_sets WHERE fingerprint = ?", (fp,)
        ).fetchone()
        assert stored == digest.replace("-", "").upper()  # what split recorded
        db.execute("UPDATE share_sets SET set_digest = ? WHERE fingerprint = ?", ("AB" * 32, fp))
    finally:
        db.close()
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files(tmp_path, "ours", 1, 2), *WHO
    )
    assert code != 0 and out == b"" and err.count("which this installation does not know") == 2


# -- the rules are settings of the installation, printed in the runbook --------------------------


def test_settings_drive_the_cli_and_are_printed_in_the_runbook(
    tmp_path: Path, capsysbinary: Capture
) -> None:
    import pypdfium2 as pdfium

    home = tmp_path / "home"
    h = ["--home", str(home)]
    code, _, err = run(capsysbinary, *h, "settings", "set", "incident-pattern", r"OPS-\d{4}")
    assert code != 0 and "give the pattern and an example together" in err
    assert (
        run(capsysbinary, *h, "settings", "set", "incident-pattern", r"OPS-\d{4}", "OPS-0042")[0]
        == 0
    )
    trigger = "the payment gateway's admin SSO is down"
    assert (
        run(capsysbinary, *h, "settings", "set", "triggers", trigger, "the HSM is locked")[0] == 0
    )
    assert run(capsysbinary, *h, "settings", "set", "reveal-seconds", "45")[0] == 0
    code, out, _ = run(capsysbinary, *h, "settings", "show")
    assert code == 0 and b"incident-example: OPS-0042" in out and b"1. the payment" in out
    assert stat.S_IMODE((home / "ceremony.json").stat().st_mode) == 0o600
    split(capsysbinary, home, tmp_path / "s", SECRET, "--pdf")
    pdf = pdfium.PdfDocument((tmp_path / "s" / "runbook.pdf").read_bytes())
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)
    assert "OPS-0042" in text and "payment gateway" in text and "45 seconds" in text
    assert r"OPS-\d" not in text  # the example, never the pattern
    # the CLI follows them: the old form is refused with the new example, the new trigger works
    files_ = [str(tmp_path / "s" / f"share-{k}.txt") for k in (1, 2)]
    base = ["--operator", "Ana", "--witness", "Bo", "--announced"]
    code, out, err = run(
        capsysbinary, *h, "combine", *files_, *base, "--incident", "INC-1", "--trigger", "1"
    )
    assert code == 2 and out == b"" and "e.g. OPS-0042" in err
    code, out, err = run(
        capsysbinary, *h, "combine", *files_, *base, "--incident", "OPS-1234", "--trigger", "2"
    )
    assert code == 0 and out == SECRET, err


def test_the_gui_renderer_reads_the_rules_of_its_home_when_it_makes_a_runbook(
    tmp_path: Path,
) -> None:
    import pypdfium2 as pdfium

    from breakglass_gui.ceremony.adapters import PaperRenderer
    from breakglass_gui.ceremony.rules import CeremonyRules, save_rules
    from breakglass_gui.core.policy import Policy
    from breakglass_gui.core.sealing import Custodian, split_credential

    home = tmp_path / "home"
    home.mkdir(mode=0o700)
    renderer = PaperRenderer(rules_home=home)
    share_set = split_credential(
        b"x" * 16, policy=Policy.simple(2, 2), label="db",
        custodians=[Custodian("Ana"), Custodian("Bo")],
    )  # fmt: skip
    save_rules(home, CeremonyRules().with_setting("incident-pattern", [r"CHG\d+", "CHG123"]))
    pdf = pdfium.PdfDocument(renderer.runbook(share_set, {}))
    text = " ".join(" ".join(page.get_textpage().get_text_range().split()) for page in pdf)
    assert "CHG123" in text and "the bastion host is unreachable" in text


def test_verify_and_checkin_know_a_set_by_its_full_digest(
    tmp_path: Path, two_homes: tuple[Path, str, str], capsysbinary: Capture
) -> None:
    """Same printed fingerprint, another digest (as after a collision): unknown here."""
    import sqlite3

    home, fp, _ = two_homes
    db = sqlite3.connect(home / "registry.sqlite3", isolation_level=None)
    try:
        db.execute("UPDATE share_sets SET set_digest = ? WHERE fingerprint = ?", ("CD" * 32, fp))
    finally:
        db.close()
    code, out, _ = run(capsysbinary, "--home", str(home), "verify", *files(tmp_path, "ours", 1))
    assert code == 1 and b"UNKNOWN" in out
    code, out, _ = run(capsysbinary, "--home", str(home), "checkin", *files(tmp_path, "ours", 2))
    assert code == 1 and b"not in this registry" in out
