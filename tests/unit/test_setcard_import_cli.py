"""`breakglass sets import` through the CLI's main(): the same signer rule as the GUI — the
printed fingerprint, or an explicit, recorded trust on first use; neither is refused."""

from __future__ import annotations

from pathlib import Path

import pytest

from breakglass_gui.audit.log import read_entries
from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.cli.main import main
from tests.cardhomes import add_set, card_of

Capture = pytest.CaptureFixture[bytes]


def run(capsysbinary: Capture, *argv: str) -> tuple[int, str, str]:
    try:
        code = main(list(argv))
    except SystemExit as exc:  # argparse usage errors
        code = int(exc.code or 0)
    out, err = capsysbinary.readouterr()
    return code, out.decode(errors="replace"), err.decode(errors="replace")


def _card(tmp_path: Path, name: str, label: str, seed: str) -> tuple[Path, str, str]:
    """A set made at installation ``name``, its card file, its fingerprint, its signer."""
    with AuditTrail(tmp_path / name) as a:
        fp, _ = add_set(a, label, seed)
        path = tmp_path / f"{name}.card"
        path.write_text(card_of(a, fp), encoding="utf-8")
        return path, fp, a.key.public.fingerprint()


def _state(home: Path) -> tuple[list[str], list[str]]:
    with AuditTrail(home) as t:
        return [s.fingerprint for s in t.registry.sets()], [
            e.event for e in read_entries(t.log_path)
        ]


def test_sets_import_needs_the_printed_signer(tmp_path: Path, capsysbinary: Capture) -> None:
    card, fp, signer = _card(tmp_path, "A", "DB master", "one")
    b = tmp_path / "B"
    before = _state(b)
    code, out, err = run(capsysbinary, "--home", str(b), "sets", "import", str(card))
    assert code != 0 and out == ""
    assert "nothing imported" in err and "--signer" in err and "--trust-signer-on-first-use" in err
    assert "Set card: for a clean laptop" in err and signer in err
    assert "Traceback" not in err
    # a wrong fingerprint: refused, nothing recorded
    wrong = signer[:-1] + ("1" if signer[-1] != "1" else "2")  # one digit off
    code, out, err = run(
        capsysbinary, "--home", str(b), "sets", "import", str(card), "--signer", wrong
    )
    assert code != 0 and "unknown key" in err
    # both choices at once: a usage error
    code, _, err = run(
        capsysbinary,
        "--home",
        str(b),
        "sets",
        "import",
        str(card),
        "--signer",
        signer,
        "--trust-signer-on-first-use",
    )
    assert code != 0 and "not both" in err
    assert _state(b) == before and fp not in before[0]
    # the printed fingerprint as typed by a tired person: lower case, spaces for dashes
    typed = signer.lower().replace("-", " ")
    code, out, err = run(
        capsysbinary, "--home", str(b), "sets", "import", str(card), "--signer", typed
    )
    assert code == 0, err
    assert "now known here" in out and "the fingerprint you gave" in out
    assert "FIRST USE" not in out
    with AuditTrail(b) as t:
        [entry] = [e for e in read_entries(t.log_path) if e.event == "set_card_imported"]
        assert entry.fields["signer_check"] == "printed"


def test_sets_import_trust_on_first_use_is_loud_and_refused_for_a_look_alike(
    tmp_path: Path, capsysbinary: Capture
) -> None:
    card, _fp, signer = _card(tmp_path, "A", "DB master", "one")
    evil, evil_fp, mallory = _card(tmp_path, "M", "DB Master", "mallory")
    b = tmp_path / "B"
    code, out, err = run(
        capsysbinary, "--home", str(b), "sets", "import", str(card), "--trust-signer-on-first-use"
    )
    assert code == 0, err
    assert f"signed by {signer}: TRUSTED ON FIRST USE" in out and "now known here" in out
    with AuditTrail(b) as t:
        [entry] = [e for e in read_entries(t.log_path) if e.event == "set_card_imported"]
        assert entry.fields["signer_check"] == "trusted on first use"
    code, out, err = run(capsysbinary, "--home", str(b), "audit", "show")
    assert code == 0 and "TRUSTED ON FIRST USE" in out
    # the adversary's card with the same label, from another key: first use refused by name
    before = _state(b)
    code, out, err = run(
        capsysbinary, "--home", str(b), "sets", "import", str(evil), "--trust-signer-on-first-use"
    )
    assert code != 0 and out == ""
    assert "trust on first use refused" in err and "same label" in err
    assert signer in err and mallory in err
    assert _state(b) == before and evil_fp not in before[0]
