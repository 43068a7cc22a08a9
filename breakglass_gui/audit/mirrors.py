"""Out-of-band copies of the audit log: a second file, syslog (RFC 5424), an HTTP webhook.

None is configured by default (a laptop may be offline). They are listed in the home's
``config.json``::

    {"mirrors": [
        {"type": "file", "path": "/media/usb/breakglass-audit.log"},
        {"type": "syslog", "host": "logs.example.org", "port": 6514, "transport": "tcp"},
        {"type": "webhook", "url": "https://chat.example.org/hooks/incident"}
     ],
     "reconstruction_policy": "fail-closed"}

Every mirror receives the entry's seq and hash, so each one is also an anchor against a cut
tail. A mirror that cannot be reached gets the entry later (the registry queues it).
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import stat
import urllib.parse
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from breakglass_gui.core.errors import BreakglassError

from .log import Entry, line_hash, split_lines

__all__ = [
    "CONFIG_NAME",
    "FileMirror",
    "Mirror",
    "MirrorConfigError",
    "MirrorError",
    "Settings",
    "SyslogMirror",
    "WebhookMirror",
    "load_settings",
    "save_settings",
]

CONFIG_NAME = "config.json"
POLICIES = ("fail-closed", "fail-open")
TIMEOUT = 3.0
SD_ID = "breakglass@32473"  # 32473: the example enterprise number of RFC 5612
APP_NAME = "breakglass"


class MirrorError(BreakglassError):
    """A mirror could not take an entry (unreachable, refused, full)."""


class MirrorConfigError(BreakglassError, ValueError):
    """The mirror settings are not usable."""


class Mirror(Protocol):
    name: str

    def send(self, entry: Entry, text: str) -> None: ...

    def probe(self) -> None: ...


# -- a second append-only file ----------------------------------------------------------------


class FileMirror:
    """Appends each entry's exact line to another file (e.g. on removable media) and fsyncs.

    The copy is itself a verifiable log: same lines, same signatures.
    """

    def __init__(self, path: Path, name: str | None = None) -> None:
        self.path = path
        self.name = name or f"file:{path}"

    def probe(self) -> None:
        parent = self.path.parent
        if not parent.is_dir():
            raise MirrorError(f"{parent} is not there (media not mounted?)")
        if not os.access(parent, os.W_OK) or (
            self.path.exists() and not os.access(self.path, os.W_OK)
        ):
            raise MirrorError(f"{self.path} is not writable")

    def send(self, entry: Entry, text: str) -> None:
        self.probe()
        flags = os.O_WRONLY | os.O_CREAT | os.O_APPEND | getattr(os, "O_CLOEXEC", 0)
        try:
            fd = os.open(self.path, flags, stat.S_IRUSR | stat.S_IWUSR)
            try:
                os.write(fd, entry.line + b"\n")
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            raise MirrorError(f"{self.path}: {exc.strerror or exc}") from exc

    def anchor(self) -> tuple[int, str] | None:
        """(highest seq, hash of that entry's line) held by this copy, if any."""
        if not self.path.exists():
            return None
        lines, _ = split_lines(self.path.read_bytes())
        best: tuple[int, str] | None = None
        for line in lines:
            try:
                e = Entry.parse(line)
            except ValueError:
                continue
            if e.event == "chain_reset":  # a new chain: the old one's length no longer counts
                best = None
            if best is None or e.seq > best[0]:
                best = (e.seq, line_hash(line))
        return best


# -- syslog, RFC 5424 ---------------------------------------------------------------------------


def _sd_escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("]", "\\]")


def rfc5424(entry: Entry, text: str, hostname: str, *, facility: int = 10) -> bytes:
    """One RFC 5424 message: facility authpriv (10); severity notice, warning for break-glass."""
    loud = entry.event in {"reconstruction_started", "secret_revealed", "mirror_override"}
    drill = bool(entry.fields.get("drill"))
    severity = 4 if loud and not drill else 5
    pri = facility * 8 + severity
    sd = (
        f'[{SD_ID} seq="{entry.seq}" event="{_sd_escape(entry.event)}" '
        f'hash="{line_hash(entry.line)}" prev="{entry.prev}"]'
    )
    host = (hostname or "-")[:255].replace(" ", "_")
    msg = f"{text} entry={entry.line.decode()}"
    header = f"<{pri}>1 {entry.time} {host} {APP_NAME} {os.getpid()} {entry.event[:32]} {sd} "
    return header.encode() + b"\xef\xbb\xbf" + msg.encode()


class SyslogMirror:
    """Sends each entry to a syslog collector: TCP with octet-counting framing, or UDP."""

    def __init__(
        self,
        host: str,
        port: int,
        transport: str = "tcp",
        name: str | None = None,
        timeout: float = TIMEOUT,
    ) -> None:
        if transport not in ("tcp", "udp"):
            raise MirrorConfigError(f"syslog transport must be tcp or udp, not {transport!r}")
        self.host = host
        self.port = port
        self.transport = transport
        self.timeout = timeout
        self.name = name or f"syslog:{transport}://{host}:{port}"
        self.hostname = socket.gethostname()

    def _tcp(self, payload: bytes) -> None:
        framed = str(len(payload)).encode() + b" " + payload
        try:
            with socket.create_connection((self.host, self.port), timeout=self.timeout) as s:
                s.sendall(framed)
        except OSError as exc:
            raise MirrorError(f"{self.name}: {exc.strerror or exc}") from exc

    def _udp(self, payload: bytes, wait: float = 0.02) -> None:
        """Send one datagram; a refusal (ICMP port unreachable) that comes back within
        ``wait`` seconds counts as unreachable. UDP cannot promise more than that."""
        try:
            with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
                s.settimeout(wait)
                s.connect((self.host, self.port))
                s.send(payload)
                with contextlib.suppress(TimeoutError):  # a closed port answers ICMP unreachable
                    s.recv(1)
        except OSError as exc:
            raise MirrorError(f"{self.name}: {exc.strerror or exc}") from exc

    def send(self, entry: Entry, text: str) -> None:
        payload = rfc5424(entry, text, self.hostname)
        if self.transport == "tcp":
            self._tcp(payload)
        else:
            self._udp(payload)

    def probe(self) -> None:
        if self.transport == "tcp":
            try:
                with socket.create_connection((self.host, self.port), timeout=self.timeout):
                    pass
            except OSError as exc:
                raise MirrorError(f"{self.name}: {exc.strerror or exc}") from exc
            return
        # UDP has no connection: send a heartbeat and listen for an ICMP refusal.
        pri = 10 * 8 + 7
        msg = f"<{pri}>1 - {self.hostname} {APP_NAME} {os.getpid()} probe - mirror check"
        self._udp(msg.encode(), wait=0.3)


# -- HTTP webhook --------------------------------------------------------------------------------


class WebhookMirror:
    """POSTs JSON per entry, with a plain ``text`` field that chat channels can show."""

    def __init__(
        self,
        url: str,
        name: str | None = None,
        timeout: float = TIMEOUT,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        parts = urllib.parse.urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.netloc:
            raise MirrorConfigError(f"webhook url must be http(s)://host/..., not {url!r}")
        self.url = url
        self.timeout = timeout
        self.headers = dict(headers or {})
        host = parts.hostname or ""
        self.name = name or f"webhook:{parts.scheme}://{host}" + (
            f":{parts.port}" if parts.port else ""
        )

    def payload(self, entry: Entry, text: str) -> dict[str, Any]:
        return {
            "text": f"breakglass: {text}",
            "event": entry.event,
            "seq": entry.seq,
            "time": entry.time,
            "hash": line_hash(entry.line),
            "entry": json.loads(entry.line),
        }

    def _request(self, method: str, body: bytes | None) -> int:
        # the HTTP client (http.client, email parsing) loads when a webhook is used, not at start
        import urllib.error  # noqa: PLC0415
        import urllib.request  # noqa: PLC0415

        req = urllib.request.Request(self.url, data=body, method=method)  # noqa: S310
        req.add_header("Content-Type", "application/json")
        req.add_header("User-Agent", "breakglass-audit-mirror/1")
        for k, v in self.headers.items():
            req.add_header(k, v)
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:  # noqa: S310
                return int(resp.status)
        except urllib.error.HTTPError as exc:
            return int(exc.code)
        except (urllib.error.URLError, OSError) as exc:
            reason = getattr(exc, "reason", exc)
            raise MirrorError(f"{self.name}: {reason}") from exc

    def send(self, entry: Entry, text: str) -> None:
        body = json.dumps(self.payload(entry, text), ensure_ascii=False).encode()
        status = self._request("POST", body)
        if not 200 <= status < 300:
            raise MirrorError(f"{self.name}: HTTP {status}")

    def probe(self) -> None:
        """Reachable when the server answers at all (a HEAD may be refused with 405)."""
        status = self._request("HEAD", None)
        if status >= 500:
            raise MirrorError(f"{self.name}: HTTP {status}")


# -- settings --------------------------------------------------------------------------------------


@dataclass
class Settings:
    mirrors: list[dict[str, Any]]
    reconstruction_policy: str

    @property
    def fail_closed(self) -> bool:
        return bool(self.mirrors) and self.reconstruction_policy == "fail-closed"

    def build(self) -> list[Mirror]:
        return [build_mirror(spec) for spec in self.mirrors]

    def to_json(self) -> dict[str, Any]:
        return {"mirrors": self.mirrors, "reconstruction_policy": self.reconstruction_policy}


def build_mirror(spec: Mapping[str, Any]) -> Mirror:
    kind = spec.get("type")
    name = spec.get("name")
    try:
        if kind == "file":
            return FileMirror(Path(str(spec["path"])).expanduser(), name)
        if kind == "syslog":
            return SyslogMirror(
                str(spec["host"]), int(spec["port"]), str(spec.get("transport", "tcp")), name
            )
        if kind == "webhook":
            return WebhookMirror(str(spec["url"]), name, headers=spec.get("headers"))
    except KeyError as exc:
        raise MirrorConfigError(f"a {kind} mirror needs {exc.args[0]!r}") from exc
    except (TypeError, ValueError) as exc:
        raise MirrorConfigError(f"a {kind} mirror is misconfigured: {exc}") from exc
    raise MirrorConfigError(f"unknown mirror type {kind!r} (file, syslog or webhook)")


def load_settings(home: Path) -> Settings:
    path = home / CONFIG_NAME
    if not path.exists():
        return Settings([], "fail-closed")
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise MirrorConfigError(f"{path}: not readable JSON ({exc})") from exc
    if not isinstance(data, dict):
        raise MirrorConfigError(f"{path}: expected a JSON object")
    mirrors = data.get("mirrors", [])
    policy = data.get("reconstruction_policy", "fail-closed")
    if not isinstance(mirrors, list) or not all(isinstance(m, dict) for m in mirrors):
        raise MirrorConfigError(f"{path}: 'mirrors' must be a list of objects")
    if policy not in POLICIES:
        raise MirrorConfigError(f"{path}: reconstruction_policy must be one of {POLICIES}")
    settings = Settings(mirrors, policy)
    settings.build()  # validate now, not at 3 a.m.
    names = [m.name for m in settings.build()]
    if len(set(names)) != len(names):
        raise MirrorConfigError(f"{path}: two mirrors have the same name")
    return settings


def save_settings(home: Path, settings: Settings) -> None:
    path = home / CONFIG_NAME
    tmp = path.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(settings.to_json(), indent=2) + "\n", encoding="utf-8")
    os.replace(tmp, path)
