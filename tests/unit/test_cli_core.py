"""The `breakglass` CLI contract for split / combine / inspect / verify."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

CLI = [sys.executable, "-m", "breakglass_gui.cli.main"]


def run(
    *args: str, stdin: bytes | None = None, home: Path | None = None
) -> subprocess.CompletedProcess[bytes]:
    env = dict(os.environ)
    if home is not None:
        env["BREAKGLASS_HOME"] = str(home)
    return subprocess.run(
        [*CLI, *args], input=stdin, capture_output=True, env=env, timeout=60, check=False
    )


def combine_args(tmp: Path) -> list[str]:
    """combine records a reconstruction: name the incident and the operator."""
    help_text = run("combine", "--help").stdout.decode()
    return (
        ["--incident", "INC-1", "--operator", "Test Operator", "--trigger", "1", "--witness", "Wes"]
        if "--incident" in help_text
        else []
    ) + (["--announced"] if "--announced" in help_text else [])


@pytest.fixture
def share_dir(tmp_path: Path) -> Path:
    (tmp_path / "secret").write_bytes(b"\x00root\npassword\xff")
    r = run(
        "split",
        "--threshold",
        "2",
        "--shares",
        "3",
        "--label",
        "AWS root",
        "--custodian",
        "Ana Ruiz:primary on-call",
        "--custodian",
        "Bo Chen:manager",
        "--custodian",
        "Cy Diallo",
        "--secret-file",
        str(tmp_path / "secret"),
        "--out",
        str(tmp_path / "out"),
        home=tmp_path / "home",
    )
    assert r.returncode == 0, r.stderr
    return tmp_path / "out"


def test_split_writes_share_files_and_public_set_json(share_dir: Path) -> None:
    assert sorted(p.name for p in share_dir.glob("share-*.txt")) == [
        "share-1.txt",
        "share-2.txt",
        "share-3.txt",
    ]
    meta = json.loads((share_dir / "set.json").read_text())
    assert meta["policy"]["text"] == "any 2 of these 3 shares"
    assert meta["shares"][0]["custodian"] == "Ana Ruiz"
    assert "root" not in json.dumps(meta).replace("AWS root", "")
    assert oct((share_dir / "share-1.txt").stat().st_mode & 0o777) == "0o600"


def test_combine_writes_exact_bytes(share_dir: Path, tmp_path: Path) -> None:
    out = tmp_path / "recovered"
    r = run(
        "combine",
        str(share_dir / "share-3.txt"),
        str(share_dir / "share-1.txt"),
        "--out",
        str(out),
        *combine_args(tmp_path),
        home=tmp_path / "home",
    )
    assert r.returncode == 0, r.stderr
    assert out.read_bytes() == b"\x00root\npassword\xff"
    r = run(
        "combine",
        str(share_dir / "share-2.txt"),
        str(share_dir / "share-1.txt"),
        *combine_args(tmp_path),
        home=tmp_path / "home",
    )
    assert r.returncode == 0 and r.stdout == b"\x00root\npassword\xff"


def test_combine_with_too_few_shares_is_one_line(share_dir: Path, tmp_path: Path) -> None:
    r = run(
        "combine", str(share_dir / "share-1.txt"), *combine_args(tmp_path), home=tmp_path / "home"
    )
    assert r.returncode != 0
    err = r.stderr.decode()
    assert "1 of 2 collected" in err and "1 more needed" in err
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1
    assert r.stdout == b""


def test_tampered_share_is_refused_by_name(share_dir: Path, tmp_path: Path) -> None:
    text = (share_dir / "share-2.txt").read_text()
    i = 60
    (share_dir / "share-2.txt").write_text(
        text[:i] + ("7" if text[i] != "7" else "8") + text[i + 1 :]
    )
    r = run(
        "verify", *(str(p) for p in sorted(share_dir.glob("share-*.txt"))), home=tmp_path / "home"
    )
    assert r.returncode == 1
    lines = r.stdout.decode().splitlines()
    assert any(ln.startswith("BAD") and "share-2.txt" in ln for ln in lines)
    assert sum(ln.startswith("OK") for ln in lines) == 2


def test_verify_good_shares(share_dir: Path, tmp_path: Path) -> None:
    home = tmp_path / "home"
    r = run("verify", *(str(p) for p in sorted(share_dir.glob("share-*.txt"))), home=home)
    assert r.returncode == 0, r.stdout
    fp = json.loads((share_dir / "set.json").read_text())["fingerprint"]
    assert f"set fingerprint: {fp}" in r.stdout.decode()
    r = run(
        "verify", "--fingerprint", "0000-0000-0000-0000", str(share_dir / "share-1.txt"), home=home
    )
    assert r.returncode == 1


def test_inspect_prints_metadata_and_words_never_the_secret(share_dir: Path) -> None:
    r = run("inspect", "--json", str(share_dir / "share-1.txt"))
    assert r.returncode == 0
    info = json.loads(r.stdout)
    assert info["custodian"] == "Ana Ruiz" and info["role"] == "primary on-call"
    assert info["number"] == 1 and info["total"] == 3 and len(info["slip39_words"]) == 33
    assert b"password" not in r.stdout
    r = run("inspect", str(share_dir / "share-2.txt"))
    assert b"BREAK-GLASS SHARE 2 of 3" in r.stdout


def test_split_from_stdin_and_generate(tmp_path: Path) -> None:
    r = run(
        "split",
        "-m",
        "2",
        "-n",
        "2",
        "--custodian",
        "Ana",
        "--custodian",
        "Bo",
        "--secret-stdin",
        "--label",
        "stdin",
        "--out",
        str(tmp_path / "a"),
        stdin=b"from stdin",
        home=tmp_path / "home",
    )
    assert r.returncode == 0, r.stderr
    r = run(
        "split",
        "-m",
        "2",
        "-n",
        "3",
        "--generate",
        "24",
        "--alphabet",
        "alnum",
        "--custodian",
        "Ana",
        "--custodian",
        "Bo",
        "--custodian",
        "Cy",
        "--label",
        "generated",
        "--generated-out",
        str(tmp_path / "gen"),
        "--out",
        str(tmp_path / "b"),
        home=tmp_path / "home",
    )
    assert r.returncode == 0, r.stderr
    generated = (tmp_path / "gen").read_bytes()
    assert len(generated) == 24 and generated.isalnum()
    r = run(
        "combine",
        str(tmp_path / "b" / "share-1.txt"),
        str(tmp_path / "b" / "share-3.txt"),
        *combine_args(tmp_path),
        home=tmp_path / "home",
    )
    assert r.stdout == generated


def test_group_policy_split(tmp_path: Path) -> None:
    (tmp_path / "s").write_bytes(b"grouped")
    r = run(
        "split",
        "--group",
        "leadership:1/2",
        "--group",
        "on-call:2/3",
        *[f"--custodian={who}" for who in ("Ana", "Bo", "Cy", "Di", "Ed")],
        "--label",
        "grouped",
        "--secret-file",
        str(tmp_path / "s"),
        "--out",
        str(tmp_path / "o"),
        home=tmp_path / "home",
    )
    assert r.returncode == 0, r.stderr
    meta = json.loads((tmp_path / "o" / "set.json").read_text())
    assert (
        meta["policy"]["text"]
        == "any 1 of the 2 leadership shares AND any 2 of the 3 on-call shares"
    )
    r = run(
        "combine",
        *(str(tmp_path / "o" / f"share-{k}.txt") for k in (2, 3, 5)),
        *combine_args(tmp_path),
        home=tmp_path / "home",
    )
    assert r.stdout == b"grouped"


@pytest.mark.parametrize(
    "args",
    [
        ["split", "--threshold", "4", "--shares", "3", "--generate", "8", "--out", "x"],
        ["split", "--threshold", "2", "--generate", "8", "--out", "x"],
        [
            "split",
            "--threshold",
            "2",
            "--shares",
            "3",
            "--secret-file",
            "/nonexistent",
            "--out",
            "x",
        ],
        ["split", "--group", "bad", "--generate", "8", "--out", "x"],
        ["combine", "/nonexistent"],
        ["inspect", "/etc/hostname"],
        ["verify", "/nonexistent"],
        ["nosuchcommand"],
        ["split", "--threshold", "two", "--shares", "3", "--generate", "8", "--out", "x"],
    ],
)
def test_bad_input_gives_one_line_error_and_nonzero_exit(args: list[str], tmp_path: Path) -> None:
    r = run(*args, home=tmp_path / "home")
    err = r.stderr.decode()
    assert r.returncode != 0
    assert "Traceback" not in err
    assert err.strip(), "an error must say what is wrong"
    assert len([ln for ln in err.strip().splitlines() if "error" in ln]) == 1


@pytest.mark.parametrize("command", ["split", "combine", "inspect", "verify"])
def test_every_command_has_help(command: str) -> None:
    r = run(command, "--help")
    assert r.returncode == 0 and b"usage: breakglass " + command.encode() in r.stdout


def test_a_generated_credential_follows_the_ceremonys_one_rule(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """`split --generate` draws from the split ceremony's alphabets and length rule (the GUI
    wizard's): every short name is one of its alphabets, and a length out of range is refused
    at both doors with the same words."""
    from breakglass_gui.ceremony.alphabets import ALPHABET_NAMES, ALPHABETS, GENERATED_LENGTH
    from breakglass_gui.ceremony.split_flow import generate_secret
    from breakglass_gui.cli.main import main

    assert set(ALPHABET_NAMES.values()) == set(ALPHABETS)
    home = ["--home", str(tmp_path / "home")]
    people = ["--custodian", "Ana", "--custodian", "Bo", "--custodian", "Cy"]
    for short, name in ALPHABET_NAMES.items():
        gen = tmp_path / f"gen-{short}"
        out = str(tmp_path / short)
        args = ["split", "-m", "2", "-n", "3", *people, "--label", short, "--generate", "64",
                "--alphabet", short, "--generated-out", str(gen), "--out", out]  # fmt: skip
        assert main([*home, *args]) == 0, capsys.readouterr().err
        drawn = gen.read_bytes()
        assert len(drawn) == 64 and set(drawn) <= set(ALPHABETS[name]), short
    low, high = GENERATED_LENGTH
    for length in (low - 1, high + 1):
        args = ["split", "-m", "2", "-n", "3", *people, "--label", "x", "--generate",
                str(length), "--out", str(tmp_path / f"n{length}")]  # fmt: skip
        assert main([*home, *args]) != 0
        said = capsys.readouterr().err
        assert f"a generated secret is {low} to {high} characters, not {length}" in said
        assert not (tmp_path / f"n{length}").exists()
        with pytest.raises(ValueError, match=f"{low} to {high} characters"):
            generate_secret(length, "hexadecimal")
