"""``combine`` fails closed: with no mirror, a real reveal needs the announcement confirmed
(``--announced`` without a terminal) or a recorded override; with mirrors, the gate is checked
again at the reveal, as its own call."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path
from typing import Any, ClassVar

import pytest

from breakglass_gui.audit import mirrors as mirrors_mod
from breakglass_gui.audit.log import Entry, read_entries
from breakglass_gui.audit.mirrors import MirrorError
from breakglass_gui.cli.main import main

Capture = pytest.CaptureFixture[bytes]
SECRET = b"fail-closed-by-default"
WHO = ["--incident", "INC-77", "--operator", "ana", "--witness", "Bo", "--trigger", "1"]


def run(capsysbinary: Capture, *argv: str) -> tuple[int, bytes, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:
        code = int(exc.code or 0)
    out, err = capsysbinary.readouterr()
    return code, out, err.decode(errors="replace")


@pytest.fixture
def made(tmp_path: Path, capsysbinary: Capture) -> tuple[Path, list[str]]:
    home = tmp_path / "home"
    secret = tmp_path / "s"
    secret.write_bytes(SECRET)
    code, _, err = run(
        capsysbinary, "--home", str(home), "split", "-m", "2", "-n", "3", "--label", "aws root",
        "--custodian", "Ana", "--custodian", "Bo", "--custodian", "Cy",
        "--secret-file", str(secret), "--out", str(tmp_path / "set"),
    )  # fmt: skip
    assert code == 0, err
    assert "BREAK-GLASS SET MADE" in err and "Audit anchor: " in err
    return home, [str(tmp_path / "set" / f"share-{k}.txt") for k in (1, 2)]


def events(home: Path) -> list[Entry]:
    return list(read_entries(home / "audit.log"))


def test_no_mirror_no_terminal_no_flag_refuses_without_revealing(
    made: tuple[Path, list[str]], capsysbinary: Capture
) -> None:
    home, files = made
    code, out, err = run(capsysbinary, "--home", str(home), "combine", *files, *WHO)
    assert code == 1 and out == b""
    assert "BREAK-GLASS USE" in err and "Incident: INC-77" in err
    assert "run again with --announced" in err and "not revealed" in err
    kinds = [e.event for e in events(home)]
    assert "secret_revealed" not in kinds
    posted = [e for e in events(home) if e.event == "announcement_posted"]
    assert len(posted) == 1 and posted[0].fields["posted"] is False


def test_announced_reveals_and_the_log_says_how(
    made: tuple[Path, list[str]], capsysbinary: Capture
) -> None:
    home, files = made
    code, out, err = run(capsysbinary, "--home", str(home), "combine", *files, *WHO, "--announced")
    assert code == 0 and out == SECRET, err
    anchor = err.split("Audit anchor: ")[1].split("\n")[0]
    entries = events(home)
    kinds = [e.event for e in entries]
    i = kinds.index("announcement_posted")
    assert entries[i].fields["posted"] is True and "--announced" in entries[i].fields["how"]
    assert kinds.index("quorum_reached") < i < kinds.index("secret_revealed")
    # the announced anchor is the "quorum reached; announcement made" entry
    count = int(anchor.split(":")[0])
    assert entries[count - 1].event == "quorum_reached"
    code, text, _ = run(capsysbinary, "--home", str(home), "audit", "verify", "--anchor", anchor)
    assert code == 0 and b"matches" in text


def test_mirror_override_reveals_and_is_recorded(
    made: tuple[Path, list[str]], capsysbinary: Capture
) -> None:
    home, files = made
    code, out, err = run(
        capsysbinary, "--home", str(home), "combine", *files, *WHO,
        "--mirror-override", "incident channel itself is down",
    )  # fmt: skip
    assert code == 0 and out == SECRET, err
    kinds = [e.event for e in events(home)]
    assert kinds.index("mirror_override") < kinds.index("secret_revealed")
    over = next(e for e in events(home) if e.event == "mirror_override")
    assert over.fields["reason"] == "incident channel itself is down"


def test_typed_posted_at_a_terminal(
    made: tuple[Path, list[str]], capsysbinary: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, files = made

    class Tty:
        def __init__(self, answer: str) -> None:
            self.answer = answer

        def isatty(self) -> bool:
            return True

        def readline(self) -> str:
            return self.answer

    monkeypatch.setattr("sys.stdin", Tty("nope\n"))
    code, out, err = run(capsysbinary, "--home", str(home), "combine", *files, *WHO)
    assert code == 1 and out == b"" and "not confirmed" in err
    monkeypatch.setattr("sys.stdin", Tty("posted\n"))
    code, out, err = run(capsysbinary, "--home", str(home), "combine", *files, *WHO)
    assert code == 0 and out == SECRET, err
    posted = [e.fields for e in events(home) if e.event == "announcement_posted"]
    assert [p["posted"] for p in posted] == [False, True]
    assert posted[1]["how"] == "typed 'posted' at the terminal"


class FlakyMirror:
    """Counts the gate's probes; fails only on the second."""

    instances: ClassVar[list[FlakyMirror]] = []

    def __init__(self) -> None:
        self.name = "flaky"
        self.probes = 0
        FlakyMirror.instances.append(self)

    def probe(self) -> None:
        self.probes += 1
        if self.probes == 2:
            raise MirrorError("went down between recovery and reveal")

    def send(self, entry: Entry, text: str) -> None:
        pass


def test_a_mirror_dying_between_recovery_and_reveal_stops_the_cli_reveal(
    made: tuple[Path, list[str]], capsysbinary: Capture, monkeypatch: pytest.MonkeyPatch
) -> None:
    home, files = made
    (home / "config.json").write_text(
        '{"mirrors": [{"type": "file", "path": "unused"}], "reconstruction_policy": "fail-closed"}'
    )

    def build(self: Any) -> list[Any]:
        return [FlakyMirror()]

    monkeypatch.setattr(mirrors_mod.Settings, "build", build)
    FlakyMirror.instances.clear()
    code, out, err = run(capsysbinary, "--home", str(home), "combine", *files, *WHO)
    assert code != 0 and out == b"", err
    assert "went down between recovery and reveal" in err
    used = [m for m in FlakyMirror.instances if m.probes]
    assert len(used) == 1 and used[0].probes == 2, "the gate was checked twice: quorum, reveal"
    kinds = [e.event for e in events(home)]
    assert "quorum_reached" in kinds and "secret_revealed" not in kinds


def test_retiring_a_set_announces_it_and_its_anchor_catches_an_undone_retirement(
    made: tuple[Path, list[str]], capsysbinary: Capture, tmp_path: Path
) -> None:
    """``sets retire`` prints the retirement's announcement (stderr) through the same trail
    function as splits and uses; its anchor is the retirement's own entry, so putting back a
    copy of the home from before the retirement (the set "un-retired") is caught out of band."""
    home, _files = made
    before = tmp_path / "home-before"
    shutil.copytree(home, before)
    [fp] = [e.fields["set"] for e in events(home) if e.event == "split_finished"]
    code, out, err = run(
        capsysbinary, "--home", str(home), "sets", "retire", fp, "--by", "Dee Host",
        "--reason", "sheet 2 lost on a train",
    )  # fmt: skip
    assert code == 0, err
    assert f"set {fp} retired".encode() in out
    assert "Post this to the incident channel now:" in err
    for needle in (
        "BREAK-GLASS SET RETIRED",
        "Credential: aws root",
        f"Set: {fp}",
        "Operator: Dee Host",
        "Reason: sheet 2 lost on a train",
        "Time: ",
    ):
        assert needle in err, needle
    m = re.search(r"^Audit anchor: (\d+:[0-9a-f]{16,64})$", err, re.M)
    assert m is not None, err
    anchor = m.group(1)
    assert f"breakglass audit verify --anchor {anchor}" in err
    [retired] = [e for e in events(home) if e.event == "set_retired"]
    assert anchor == f"{retired.seq}:{retired.hash[: len(anchor.split(':')[1])]}"

    def verify() -> tuple[int, dict[str, Any]]:
        code, out, _ = run(
            capsysbinary, "--home", str(home), "audit", "verify", "--anchor", anchor, "--json"
        )
        return code, json.loads(out)

    code, report = verify()
    assert code == 0 and [a["kind"] for a in report["anchors"]] == ["matches"]
    # the whole home put back as it was before the retirement: the set would work again
    shutil.rmtree(home)
    shutil.copytree(before, home)
    code, report = verify()
    assert code == 1 and [a["kind"] for a in report["anchors"]] == ["rolled-back"]
