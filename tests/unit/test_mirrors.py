"""Mirror suite: a real rsyslog (TCP with octet counting, UDP) on loopback, a local HTTP
webhook, a second file; fail-closed reveals when a receiver is down; queued delivery later.

rsyslogd comes from Debian (``apt-get install rsyslog``; ``.ci/setup test`` installs it).
Without it these tests FAIL with that message: they are the proof the mirrors work.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import subprocess
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from breakglass_gui.audit.log import line_hash, read_entries
from breakglass_gui.audit.mirrors import (
    FileMirror,
    MirrorError,
    Settings,
    SyslogMirror,
    WebhookMirror,
    load_settings,
    save_settings,
)
from breakglass_gui.audit.service import AuditTrail, CeremonyError, GateClosedError
from breakglass_gui.cli.main import main
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import split_credential

try:
    from test_audit_support import SECRET, assert_no_leak, full_ceremony
except ImportError:  # pragma: no cover - if tests/unit becomes a package
    from .test_audit_support import SECRET, assert_no_leak, full_ceremony

RSYSLOGD = shutil.which("rsyslogd") or "/usr/sbin/rsyslogd"
TIMEOUT = 15.0


_HANDED_OUT: set[int] = set()


def free_port(kind: int = socket.SOCK_STREAM) -> int:
    """A port nothing listens on, never one this process was given before: the kernel may
    give a just-closed port number again (7 in 100,000 draws here), and the rsyslog and
    webhook receivers of one test must not be given the same one."""
    while True:
        with socket.socket(socket.AF_INET, kind) as s:
            s.bind(("127.0.0.1", 0))
            port = int(s.getsockname()[1])
        if port not in _HANDED_OUT:
            _HANDED_OUT.add(port)
            return port


def wait_until(check: Callable[[], bool], what: str, timeout: float = TIMEOUT) -> None:
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if check():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


class Rsyslog:
    """rsyslogd in the foreground with its own config: TCP and UDP inputs, one file each."""

    def __init__(self, root: Path, tcp_port: int, udp_port: int) -> None:
        if not os.path.exists(RSYSLOGD):
            pytest.fail(
                "rsyslogd is not installed: the mirror suite needs a real syslog receiver "
                "(apt-get install rsyslog; .ci/setup test installs it)"
            )
        self.root = root
        self.tcp_port, self.udp_port = tcp_port, udp_port
        (root / "work").mkdir(parents=True, exist_ok=True)
        self.tcp_log, self.udp_log = root / "tcp.log", root / "udp.log"
        action = (
            'action(type="omfile" file="{f}" template="RSYSLOG_SyslogProtocol23Format" '
            'flushOnTXEnd="on" asyncWriting="off")'
        )
        conf = "\n".join(
            [
                f'global(workDirectory="{root / "work"}" maxMessageSize="64k")',
                'module(load="imtcp")',
                'module(load="imudp")',
                f'ruleset(name="tcp") {{ {action.format(f=self.tcp_log)} }}',
                f'ruleset(name="udp") {{ {action.format(f=self.udp_log)} }}',
                f'input(type="imtcp" port="{tcp_port}" address="127.0.0.1" ruleset="tcp")',
                f'input(type="imudp" port="{udp_port}" address="127.0.0.1" ruleset="udp")',
            ]
        )
        (root / "rsyslog.conf").write_text(conf + "\n")
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [RSYSLOGD, "-n", "-f", str(self.root / "rsyslog.conf"), "-i", str(self.root / "pid")],
            stdout=subprocess.DEVNULL,
            stderr=open(self.root / "stderr", "wb"),  # noqa: SIM115
        )

        def up() -> bool:
            assert self.proc is not None
            if self.proc.poll() is not None:
                err = (self.root / "stderr").read_text(errors="replace")
                raise AssertionError(f"rsyslogd exited ({self.proc.returncode}): {err}")
            with contextlib.suppress(OSError):
                socket.create_connection(("127.0.0.1", self.tcp_port), timeout=0.2).close()
                return True
            return False

        wait_until(up, "rsyslogd to listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None

    def messages(self, which: str) -> list[dict[str, str]]:
        """Parsed received messages: seq, hash, event, and the message text."""
        path = self.tcp_log if which == "tcp" else self.udp_log
        if not path.exists():
            return []
        found = []
        for line in path.read_text(errors="replace").splitlines():
            m = re.search(r'seq="(\d+)" event="([a-z_]+)" hash="([0-9a-f]{64})"', line)
            if m:
                found.append(
                    {"seq": m[1], "event": m[2], "hash": m[3], "msg": line.split("] ", 1)[1]}
                )
        return found


@pytest.fixture
def rsyslog(tmp_path: Path) -> Iterator[Rsyslog]:
    r = Rsyslog(tmp_path / "rsyslog", free_port(), free_port(socket.SOCK_DGRAM))
    yield r
    r.stop()


class Webhook:
    """A local HTTP receiver that keeps every JSON body POSTed to it."""

    def __init__(self, port: int, status: int = 200) -> None:
        self.port = port
        self.status = status
        self.posts: list[dict[str, object]] = []
        self.server: ThreadingHTTPServer | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks/incident"

    def start(self) -> None:
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers["Content-Length"]))
                if hook.status == 200:
                    hook.posts.append(json.loads(body))
                self.send_response(hook.status)
                self.end_headers()

            def do_HEAD(self) -> None:
                self.send_response(200)
                self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", self.port), Handler)
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def stop(self) -> None:
        if self.server is not None:
            self.server.shutdown()
            self.server.server_close()
            self.server = None


@pytest.fixture
def webhook() -> Iterator[Webhook]:
    w = Webhook(free_port())
    yield w
    w.stop()


def _settings(
    rsyslog: Rsyslog, webhook: Webhook, copy: Path, policy: str = "fail-closed"
) -> Settings:
    return Settings(
        [
            {"type": "file", "path": str(copy)},
            {"type": "syslog", "host": "127.0.0.1", "port": rsyslog.tcp_port, "transport": "tcp"},
            {"type": "syslog", "host": "127.0.0.1", "port": rsyslog.udp_port, "transport": "udp"},
            {"type": "webhook", "url": webhook.url},
        ],
        policy,
    )


def test_every_entry_reaches_rsyslog_webhook_and_file_without_secrets(
    tmp_path: Path, rsyslog: Rsyslog, webhook: Webhook
) -> None:
    rsyslog.start()
    webhook.start()
    copy = tmp_path / "usb" / "breakglass-audit.log"
    copy.parent.mkdir()
    home = tmp_path / "home"
    with AuditTrail(home, settings=_settings(rsyslog, webhook, copy)) as trail:
        run = full_ceremony(trail)
        entries = list(read_entries(trail.log_path))
        assert trail.registry.queue_sizes() == {}
        report = trail.verify()
        assert report.ok and "mirror file:" in ", ".join(report.anchors_checked)
    expected = {str(e.seq): line_hash(e.line) for e in entries}
    assert len(expected) > 30

    for which in ("tcp", "udp"):
        wait_until(lambda w=which: len(rsyslog.messages(w)) >= len(expected), f"{which} syslog")
        got = {m["seq"]: m["hash"] for m in rsyslog.messages(which)}
        assert got == expected, which
    loud = [m for m in rsyslog.messages("tcp") if m["event"] == "reconstruction_started"]
    assert any("BREAK-GLASS reconstruction started: incident INC-4821" in m["msg"] for m in loud)
    # the webhook: one JSON post per entry, with a plain text field for chat channels
    wait_until(lambda: len(webhook.posts) >= len(expected), "webhook posts")
    assert {str(p["seq"]): p["hash"] for p in webhook.posts} == expected
    texts = [str(p["text"]) for p in webhook.posts]
    assert any(t.startswith("breakglass: ceremony") and "INC-4821" in t for t in texts)
    # the file mirror is a byte-identical, verifiable copy
    assert copy.read_bytes() == (home / "audit.log").read_bytes()

    blobs = {
        "audit.log": (home / "audit.log").read_bytes(),
        "registry": b"".join(p.read_bytes() for p in home.glob("registry.sqlite3*")),
        "file mirror": copy.read_bytes(),
        "rsyslog tcp": rsyslog.tcp_log.read_bytes(),
        "rsyslog udp": rsyslog.udp_log.read_bytes(),
        "webhook": json.dumps(webhook.posts).encode(),
    }
    assert_no_leak(blobs, [SECRET, b"rotated " + SECRET], [run.first, run.second])


def _start_reconstruction(trail: AuditTrail) -> tuple[int, str]:
    s = split_credential(SECRET, policy=Policy.simple(2, 2), label="db root")
    cid = trail.reconstruction_started(incident="INC-7", operator="ana", witnesses=["bo"])
    for share in s.shares:
        trail.share_accepted(cid, share)
    return cid, s.fingerprint_text


def test_fail_closed_with_receivers_down_then_mirrored_later(
    tmp_path: Path, rsyslog: Rsyslog, webhook: Webhook
) -> None:
    copy = tmp_path / "usb" / "copy.log"  # media not mounted: the directory is missing
    home = tmp_path / "home"
    trail = AuditTrail(home, settings=_settings(rsyslog, webhook, copy))
    try:
        cid, fp = _start_reconstruction(trail)
        gate = trail.reveal_gate(cid)
        assert not gate.open and gate.policy == "fail-closed"
        assert len(gate.unreachable) == 4  # on loopback a closed UDP port answers ICMP
        assert "override" in gate.explain()
        with pytest.raises(GateClosedError):
            trail.secret_revealed(cid, fp)
        with pytest.raises(CeremonyError, match="type the reason"):
            trail.override_gate(cid, "  ok ")
        trail.override_gate(cid, "SEV1, syslog collector is in the outage")
        trail.secret_revealed(cid, fp)
        trail.secret_wiped(cid, fp)
        queued = trail.registry.queue_sizes()
        assert set(queued) == {m.name for m in trail.mirrors}
        total = len(list(read_entries(trail.log_path)))

        # receivers come back: the queue is delivered in order, override reason included
        copy.parent.mkdir()
        rsyslog.start()
        webhook.start()
        assert all(why is None for why in trail.flush_mirrors().values())
        assert trail.registry.queue_sizes() == {}
        for which in ("tcp", "udp"):
            wait_until(lambda w=which: len(rsyslog.messages(w)) >= total, f"queued {which}")
            seqs = [int(m["seq"]) for m in rsyslog.messages(which)]
            assert seqs == list(range(1, total + 1)), which
        override = [m for m in rsyslog.messages("tcp") if m["event"] == "mirror_override"]
        assert "SEV1, syslog collector is in the outage" in override[0]["msg"]
        assert any("override" in str(p["text"]) for p in webhook.posts)
        assert copy.read_bytes() == trail.log_path.read_bytes()
        review = trail.reconstruction_finished(cid, "revealed", fp)
        assert review is not None
        from breakglass_gui.audit.review import get_review

        assert "SEV1, syslog collector" in get_review(trail, review)[1]["gate_bypassed"]
    finally:
        trail.close()


def test_udp_to_a_closed_port_is_unreachable_and_http_errors_are_refusals(tmp_path: Path) -> None:
    udp = SyslogMirror("127.0.0.1", free_port(socket.SOCK_DGRAM), "udp")
    with pytest.raises(MirrorError):
        udp.probe()
    hook = Webhook(free_port(), status=500)
    hook.start()
    try:
        mirror = WebhookMirror(hook.url)
        with pytest.raises(MirrorError, match="HTTP 500"):
            trail = AuditTrail(tmp_path / "h", settings=Settings([], "fail-closed"))
            entry = trail.record("secret_wiped", {"ceremony": 1})
            trail.close()
            mirror.send(entry, entry.text())
    finally:
        hook.stop()
    with pytest.raises(MirrorError):
        FileMirror(tmp_path / "nowhere" / "x.log").probe()


def test_fail_open_policy_reveals_but_still_queues(tmp_path: Path, webhook: Webhook) -> None:
    settings = Settings([{"type": "webhook", "url": webhook.url}], "fail-open")
    with AuditTrail(tmp_path / "home", settings=settings) as trail:
        cid, fp = _start_reconstruction(trail)
        gate = trail.reveal_gate(cid)
        assert gate.open and gate.unreachable
        trail.secret_revealed(cid, fp)
        assert trail.registry.queue_sizes()[trail.mirrors[0].name] > 0


def test_settings_file_round_trip_and_validation(tmp_path: Path) -> None:
    assert load_settings(tmp_path).mirrors == []
    s = Settings([{"type": "syslog", "host": "h", "port": 514, "transport": "udp"}], "fail-open")
    save_settings(tmp_path, s)
    assert load_settings(tmp_path).to_json() == s.to_json()
    (tmp_path / "config.json").write_text('{"mirrors": [{"type": "carrier-pigeon"}]}')
    with pytest.raises(ValueError, match="unknown mirror type"):
        load_settings(tmp_path)


def test_cli_combine_refuses_to_reveal_with_a_mirror_down(
    tmp_path: Path, webhook: Webhook, capsysbinary: pytest.CaptureFixture[bytes]
) -> None:
    home = tmp_path / "home"
    shares = tmp_path / "shares"
    secret = tmp_path / "secret"
    secret.write_bytes(SECRET)
    base = ["--home", str(home)]
    assert main([*base, "audit", "mirrors", "--add", f"webhook:{webhook.url}"]) == 1  # down
    assert main([*base, "split", "-m", "2", "-n", "2", "--secret-file", str(secret),
                 "--custodian", "Ana", "--custodian", "Bo", "--label", "db",
                 "--out", str(shares)]) == 0  # fmt: skip
    capsysbinary.readouterr()
    files = [str(shares / "share-1.txt"), str(shares / "share-2.txt")]
    who = ["--incident", "INC-9", "--operator", "ana", "--trigger", "1", "--witness", "Bo"]
    assert main([*base, "combine", *files, *who]) == 1
    out, err = capsysbinary.readouterr()
    assert SECRET not in out and b"mirror-override" in err
    code = main([*base, "combine", *files, *who, "--mirror-override", "webhook host is down too"])
    out, err = capsysbinary.readouterr()
    assert code == 0 and out == SECRET
    webhook.start()
    assert main([*base, "audit", "mirrors"]) == 0
    assert any("webhook host is down too" in str(p["text"]) for p in webhook.posts)
