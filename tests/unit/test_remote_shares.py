"""Remote custodians: shares travel in age envelopes to a one-time key that dies with the ceremony.

Interoperability is tested against Debian's ``age`` binary in both directions; refusals are
tested by name (wrong recipient, another ceremony, tampered, duplicate).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from breakglass_gui.ceremony.reconstruct_flow import OfferKind, ShareCollector
from breakglass_gui.ceremony.remote import RemoteIntake
from breakglass_gui.core.envelope import (
    EnvelopeError,
    EnvelopeNotForThisKey,
    OneTimeKey,
    destroy_identity_file,
    is_envelope,
    safety_code,
    seal_share,
)
from breakglass_gui.core.errors import DuplicateShareError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import Custodian, split_credential
from breakglass_gui.core.share import Share
from tests.material import share_pieces_in

AGE = shutil.which("age")
AGE_KEYGEN = shutil.which("age-keygen")
needs_age = pytest.mark.skipif(
    AGE is None and not os.environ.get("CI"), reason="Debian's age binary is not installed"
)
CLI = [sys.executable, "-m", "breakglass_gui.cli.main"]


def _shares() -> tuple[Share, ...]:
    return split_credential(
        b"s3cret-root-password",
        policy=Policy.simple(2, 3),
        label="AWS root",
        custodians=[Custodian(f"Custodian {i}", "on-call") for i in range(3)],
    ).shares


def _text(share: Share) -> str:
    return "\n".join(share.qr_texts()) + "\n"


def run(*args: str, home: Path) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BREAKGLASS_HOME=str(home))
    return subprocess.run(
        [*CLI, *args], capture_output=True, text=True, env=env, timeout=60, check=False
    )


def test_safety_code_is_the_last_eight_characters_in_two_groups() -> None:
    key = OneTimeKey.generate()
    tail = key.recipient[-8:]
    assert key.safety_code == f"{tail[:4]} {tail[4:]}"
    with pytest.raises(EnvelopeError, match="not an age recipient"):
        safety_code("ssh-ed25519 AAAA")


def test_envelope_round_trip_and_refusals_by_name() -> None:
    share = _shares()[0]
    key = OneTimeKey.generate()
    armored = seal_share(_text(share), key.recipient)
    assert is_envelope(armored)
    # nothing readable travels: no piece of the share, not its label ("BG2" alone is spelt
    # by chance in the base64 about once in 550 envelopes)
    assert share_pieces_in(armored, share.qr_texts()) == [] and share.label not in armored
    assert share_pieces_in(_text(share), share.qr_texts()) != []  # the control: it finds them
    assert key.open(armored, "share-1.age") == _text(share)

    other = OneTimeKey.generate()  # another ceremony's one-time key
    with pytest.raises(EnvelopeNotForThisKey, match=r"share-1\.age.*another ceremony"):
        other.open(armored, "share-1.age")

    lines = armored.splitlines()
    mid = len(lines) // 2
    flipped = lines[mid][:5] + ("A" if lines[mid][5] != "A" else "B") + lines[mid][6:]
    tampered = "\n".join([*lines[:mid], flipped, *lines[mid + 1 :]])
    with pytest.raises(EnvelopeError, match=r"tampered\.age"):
        key.open(tampered, "tampered.age")

    with pytest.raises(EnvelopeError, match="not a whole age envelope"):
        key.open(armored[: len(armored) // 2], "cut.age")
    with pytest.raises(EnvelopeError, match="not a valid age X25519 recipient"):
        seal_share(_text(share), "age1notarecipient")
    # a share given where the key goes (arguments swapped): refused without echoing it
    for wrong in (_text(share), "age1" + _text(share)):
        with pytest.raises(EnvelopeError, match=r"not a (valid )?age") as refused:
            seal_share(_text(share), wrong)
        assert _text(share)[:8] not in str(refused.value)
        assert _text(share)[-8:] not in str(refused.value)


def test_share_material_is_recognised_where_it_does_not_belong() -> None:
    from breakglass_gui.ceremony.typed_share import looks_like_share

    share = _shares()[0]
    assert looks_like_share(_text(share)) and looks_like_share(_text(share).lower())
    assert looks_like_share(" ".join(share.words).upper())
    assert not looks_like_share(OneTimeKey.generate().recipient)
    assert not looks_like_share("age1notakey") and not looks_like_share("hello there world")


def test_intake_offers_to_the_collector_duplicate_named_and_key_dies() -> None:
    shares = _shares()
    accepted: list[tuple[str, str]] = []
    collector = ShareCollector(on_accepted=lambda s, src: accepted.append((s.describe(), src)))
    intake = RemoteIntake(collector)
    env1 = seal_share(_text(shares[0]), intake.recipient)
    first = intake.receive(env1, "from Ana (chat)")
    assert first.kind is OfferKind.ACCEPTED
    assert accepted == [(shares[0].describe(), "remote")]
    again = intake.receive(seal_share(_text(shares[0]), intake.recipient), "from Ana again")
    assert again.kind is OfferKind.REFUSED and again.error is DuplicateShareError
    assert shares[0].describe() in again.message
    wrong = intake.receive(seal_share(_text(shares[1]), OneTimeKey.generate().recipient), "x.age")
    assert wrong.kind is OfferKind.REFUSED and "another ceremony" in wrong.message
    second = intake.receive(seal_share(_text(shares[1]), intake.recipient), "from Bo")
    assert second.accepted and collector.status()[0]
    assert intake.received == 2
    intake.close()
    late = intake.receive(env1, "late.age")
    assert late.kind is OfferKind.REFUSED and "one-time key is gone" in late.message


@needs_age
def test_age_binary_envelope_opens_with_our_identity_file(tmp_path: Path) -> None:
    assert AGE is not None
    share = _shares()[1]
    (tmp_path / "share-2.txt").write_text(_text(share))
    key = OneTimeKey.generate()
    idfile = tmp_path / "one-time.key"
    key.write_identity_file(idfile)
    assert stat.S_IMODE(idfile.stat().st_mode) == 0o600
    src, env = str(tmp_path / "share-2.txt"), str(tmp_path / "s2.age")
    subprocess.run(
        [AGE, "-r", key.recipient, "-a", "-o", env, src],
        check=True,
        timeout=30,
    )
    loaded = OneTimeKey.from_identity_file(idfile)
    assert loaded.recipient == key.recipient
    assert loaded.open((tmp_path / "s2.age").read_text(), "s2.age") == _text(share)
    if AGE_KEYGEN:  # the recipient a custodian derives with age-keygen matches ours
        y = subprocess.run(
            [AGE_KEYGEN, "-y", str(idfile)], capture_output=True, text=True, check=True, timeout=30
        )
        assert y.stdout.strip() == key.recipient
    with pytest.raises(FileExistsError):
        key.write_identity_file(idfile)


@needs_age
def test_cli_remote_key_send_share_and_age_decrypt(tmp_path: Path) -> None:
    assert AGE is not None
    share = _shares()[2]
    (tmp_path / "my-share.txt").write_text(_text(share))
    idfile = tmp_path / "id.key"
    r = run("remote-key", "--out", str(idfile), home=tmp_path / "home")
    assert r.returncode == 0, r.stderr
    recipient = next(
        ln.split(":", 1)[1].strip() for ln in r.stdout.splitlines() if ln.startswith("one-time")
    )
    assert f"safety code:        {safety_code(recipient)}" in r.stdout
    assert "AGE-SECRET-KEY" not in r.stdout + r.stderr
    r = run(
        "send-share",
        str(tmp_path / "my-share.txt"),
        "--to",
        recipient,
        "--out",
        str(tmp_path / "env.age"),
        home=tmp_path / "custodian-home",
    )
    assert r.returncode == 0, r.stderr
    assert safety_code(recipient) in r.stderr
    plain = subprocess.run(
        [AGE, "-d", "-i", str(idfile), str(tmp_path / "env.age")],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    assert plain.stdout == _text(share)
    # a second send never overwrites the first envelope
    before = (tmp_path / "env.age").read_bytes()
    r = run(
        "send-share",
        str(tmp_path / "my-share.txt"),
        "--to",
        recipient,
        "--out",
        str(tmp_path / "env.age"),
        home=tmp_path / "custodian-home",
    )
    assert r.returncode != 0 and "already exists" in r.stderr
    assert (tmp_path / "env.age").read_bytes() == before


def test_send_share_refuses_a_damaged_share_before_encrypting(tmp_path: Path) -> None:
    share = _shares()[0]
    text = _text(share)
    bad = text[:20] + ("0" if text[20] != "0" else "1") + text[21:]
    (tmp_path / "bad.txt").write_text(bad)
    r = run(
        "send-share",
        str(tmp_path / "bad.txt"),
        "--to",
        OneTimeKey.generate().recipient,
        "--out",
        str(tmp_path / "env.age"),
        home=tmp_path / "home",
    )
    assert r.returncode != 0 and "nothing was encrypted" in r.stderr
    assert not (tmp_path / "env.age").exists()


def test_destroy_identity_file_overwrites_then_unlinks(tmp_path: Path) -> None:
    key = OneTimeKey.generate()
    idfile = tmp_path / "id.key"
    key.write_identity_file(idfile)
    inode = idfile.stat().st_ino
    # keep a second name to see the bytes the overwrite left in the same inode
    os.link(idfile, tmp_path / "witness")
    assert destroy_identity_file(idfile) is True
    assert not idfile.exists()
    assert (tmp_path / "witness").stat().st_ino == inode
    assert set((tmp_path / "witness").read_bytes()) == {0}
    assert destroy_identity_file(idfile) is False


def _split_home(tmp_path: Path) -> tuple[Path, Path]:
    """A 2-of-3 set made in ``home`` (so this installation knows it), its share files in out/."""
    from tests.unit.test_cli_core import run as run_bytes

    home, out_dir = tmp_path / "home", tmp_path / "out"
    (tmp_path / "secret").write_bytes(b"db-master-key-42")
    r = run_bytes(
        "split",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--label",
        "DB master",
        "--custodian",
        "Ana Ruiz:on-call",
        "--custodian",
        "Bo Chen:manager",
        "--custodian",
        "Cy Diallo:security",
        "--secret-file",
        str(tmp_path / "secret"),
        "--out",
        str(out_dir),
        home=home,
    )
    assert r.returncode == 0, r.stderr
    return home, out_dir


def _combine(home: Path, tmp_path: Path, *files: str) -> subprocess.CompletedProcess[bytes]:
    from tests.unit.test_cli_core import combine_args
    from tests.unit.test_cli_core import run as run_bytes

    return run_bytes("combine", *combine_args(tmp_path), *files, home=home)


def test_combine_opens_envelopes_logs_them_as_remote_and_destroys_the_key(tmp_path: Path) -> None:
    home, out_dir = _split_home(tmp_path)
    idfile = tmp_path / "id.key"
    assert run("remote-key", "--out", str(idfile), home=home).returncode == 0
    key = OneTimeKey.from_identity_file(idfile)
    env = tmp_path / "share-2.age"
    env.write_text(seal_share((out_dir / "share-2.txt").read_text(), key.recipient))
    local = str(out_dir / "share-1.txt")
    r = _combine(home, tmp_path, "--remote-key", str(idfile), local, str(env))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"db-master-key-42"
    assert not idfile.exists() and b"overwritten and deleted" in r.stderr
    log = (home / "audit.log").read_text()
    assert "received" in log and "remotely" in log
    assert "db-master-key-42" not in log and "AGE-SECRET-KEY" not in log


def test_combine_refuses_envelopes_by_name_and_still_destroys_the_key(tmp_path: Path) -> None:
    home, out_dir = _split_home(tmp_path)
    idfile = tmp_path / "id.key"
    assert run("remote-key", "--out", str(idfile), home=home).returncode == 0
    key = OneTimeKey.from_identity_file(idfile)
    share2 = (out_dir / "share-2.txt").read_text()
    other = tmp_path / "other-ceremony.age"
    other.write_text(seal_share(share2, OneTimeKey.generate().recipient))
    twice = [tmp_path / "a.age", tmp_path / "b.age"]
    for p in twice:
        p.write_text(seal_share(share2, key.recipient))
    r = _combine(
        home, tmp_path, "--remote-key", str(idfile), str(other), str(twice[0]), str(twice[1])
    )
    err_text = r.stderr.decode()
    assert r.returncode != 0 and r.stdout == b""  # one share only: nothing revealed
    assert f"refused {other}" in err_text and "another ceremony" in err_text
    assert f"refused {twice[1]}" in err_text and "already collected" in err_text
    assert not idfile.exists()
    # without --remote-key, an envelope is named and the way out given
    r = _combine(home, tmp_path, str(twice[0]), str(out_dir / "share-1.txt"))
    assert r.returncode != 0 and "--remote-key IDFILE" in r.stderr.decode()


def test_combine_keeps_the_key_when_the_ceremony_never_started(tmp_path: Path) -> None:
    from tests.unit.test_cli_core import run as run_bytes

    home, out_dir = _split_home(tmp_path)
    idfile = tmp_path / "id.key"
    assert run("remote-key", "--out", str(idfile), home=home).returncode == 0
    r = run_bytes(
        "combine", "--remote-key", str(idfile), str(out_dir / "share-1.txt"), home=home
    )  # no incident, no operator: refused before anything starts
    assert r.returncode != 0
    assert idfile.exists()
    r = run_bytes("combine", "--remote-key", str(tmp_path / "nope.key"), "x", home=home)
    assert r.returncode != 0 and b"no such file" in r.stderr


@pytest.mark.skipif(not Path("/proc/self/mem").exists(), reason="reads /proc/PID/mem (Linux)")
def test_identity_and_share_residue_is_measured_from_outside(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """The residue measurement works (its positive control finds the identity and the share
    while the ceremony holds them) and its numbers after close are printed, not promised."""
    from tests.tools.remote_residue import measure

    counts = measure()
    with capsys.disabled():
        print(f"\nremote ceremony residue (16-byte windows, places): {counts}")
    assert counts["identity_while_open"] >= 1 and counts["share_while_open"] >= 1
    assert counts["identity_after_close"] <= counts["identity_while_open"]


def test_two_one_time_keys_in_one_second_get_two_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without --out the key file is named by the time and the key's safety code: a second
    key made in the same second is a second file, not 'already exists'."""
    from breakglass_gui.cli import remote_cmds
    from breakglass_gui.cli.main import main

    runtime = tmp_path / "run"
    runtime.mkdir(mode=0o700)
    monkeypatch.setenv("XDG_RUNTIME_DIR", str(runtime))
    frozen = dt.datetime(2026, 3, 2, 3, 0, tzinfo=dt.UTC)
    real = remote_cmds.default_identity_path
    monkeypatch.setattr(
        remote_cmds, "default_identity_path", lambda home, now, code="": real(home, frozen, code)
    )
    codes = []
    for _ in range(2):
        assert main(["--home", str(tmp_path / "home"), "remote-key"]) == 0
        said = capsys.readouterr().out
        [code] = [ln.split(":", 1)[1] for ln in said.splitlines() if ln.startswith("safety")]
        codes.append("".join(code.split()))
    assert codes[0] != codes[1]
    assert {p.name for p in runtime.iterdir()} == {
        f"breakglass-remote-20260302T030000Z-{code}.key" for code in codes
    }
