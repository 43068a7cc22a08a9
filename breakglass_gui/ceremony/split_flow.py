"""The split ceremony as a step graph, with no UI.

Steps: credential -> policy -> custodians -> review -> print -> verify, then ``finish()``.

* **credential**: name, scope, notes; the secret typed, pasted, loaded from a file or
  generated, held only as a :class:`SecretBytes` in the wizard state.
* **policy**: a preset (2-of-3, 2-of-4, 3-of-5, each with its one-line guidance), a custom
  M-of-N, or a group policy.
* **custodians**: name, role, contact channel and location for each share, with warnings
  that explain themselves (the same person twice, a quorum in one place or one role, fewer
  custodians than shares).
* **review**: everything on one page with the set fingerprint. The shares are made here
  (``compute_shares`` may run on a worker thread; ``accept_shares`` stores the result).
* **print**: every custodian's sheet and the runbook are printed and/or saved
  (``render_document`` may run on a worker; ``mark_emitted`` records it). Once one document
  is out, there is no going back: the set is on paper.
* **verify**: every share scanned back from its sheet or its verification words typed;
  optionally a quorum test-combined in memory.
* ``finish()``: the registry and the audit log are written, the secret is wiped, the split
  is announced. Then the ceremony record (``render_record``), which carries the announced
  audit anchor, is printed or saved: it holds no share material.

Cancel at any step wipes the secret and records an aborted ceremony.
"""

from __future__ import annotations

import hmac
import os
import re
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from breakglass_gui.audit.announce import Announcement
from breakglass_gui.core.errors import BreakglassError, PolicyError, RecoveryError, ShareError
from breakglass_gui.core.policy import Policy
from breakglass_gui.core.sealing import (
    MAX_SECRET_BYTES,
    Custodian,
    ShareSet,
    recover,
    split_credential,
)
from breakglass_gui.core.secret import SecretBytes, wipe_buffer
from breakglass_gui.core.share import MAX_TEXT_FIELD_BYTES, PartAssembler, Share
from breakglass_gui.core.strength import Strength, estimate
from breakglass_gui.core.strength import generated as generated_strength

from .alphabets import ALPHABET_NAMES, ALPHABETS, GENERATED_LENGTH
from .ports import (
    Clock,
    MemoryAuditSink,
    MemoryRegistry,
    PdfRenderer,
    PortsSplitRecorder,
    SetRecord,
    SplitRecorder,
    SystemClock,
    clip_for_log,
)
from .typed_share import parse_share_text
from .wizard import Direction, Step, Wizard, WizardError, WizardState, WizardStatus

__all__ = [
    "ALPHABETS",
    "ALPHABET_NAMES",
    "GENERATED_LENGTH",
    "PRESETS",
    "STEP_TITLES",
    "CustodianEntry",
    "CustodianRisk",
    "DocumentItem",
    "Preset",
    "SplitCeremony",
    "SplitPorts",
    "VerifyOutcome",
    "confirmation_problem",
    "custodian_problems",
    "custodian_risks",
    "custodian_warnings",
    "default_folder",
    "folder_risk",
    "generate_secret",
    "printable_problems",
    "read_secret_file",
    "secret_from_text",
]

STEP_TITLES = {
    "credential": "Credential",
    "policy": "Policy",
    "custodians": "Custodians",
    "review": "Review",
    "print": "Print and save",
    "verify": "Verify",
}

# -- presets -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Preset:
    key: str
    threshold: int
    count: int
    title: str
    guidance: str

    @property
    def policy(self) -> Policy:
        return Policy.simple(self.threshold, self.count)


PRESETS: tuple[Preset, ...] = (
    Preset(
        "2-of-3",
        2,
        3,
        "2-of-3 — the small-team default",
        "Primary on-call, secondary on-call and a manager; any two recover. Survives one "
        "custodian being unreachable, asleep, or compromised.",
    ),
    Preset(
        "2-of-4",
        2,
        4,
        "2-of-4 — when on-call coverage is uneven",
        "A fourth custodian (a leader or a peer team's on-call) gives more options for the "
        "second person without raising the threshold above two.",
    ),
    Preset(
        "3-of-5",
        3,
        5,
        "3-of-5 — tier-zero credentials",
        "For credentials whose silent misuse is worse than their delayed use: slower to "
        "convene, harder to execute under genuine time pressure.",
    ),
)

# -- generating and loading secrets --------------------------------------------------------------


def generate_secret(length: int, alphabet: str) -> SecretBytes:
    """``length`` characters drawn uniformly from ``ALPHABETS[alphabet]`` (or its short name
    in ``ALPHABET_NAMES``) into a SecretBytes. The GUI and the CLI both draw here.

    No ``str`` is ever made of the result: the characters go straight into the buffer.
    """
    alphabet = ALPHABET_NAMES.get(alphabet, alphabet)
    if alphabet not in ALPHABETS:
        raise PolicyError(f"unknown alphabet {alphabet!r}")
    low, high = GENERATED_LENGTH
    if not low <= length <= high:
        raise PolicyError(f"a generated secret is {low} to {high} characters, not {length}")
    chars = ALPHABETS[alphabet]
    out = SecretBytes(length)
    for i in range(length):
        out[i] = chars[secrets.randbelow(len(chars))]
    return out


def read_secret_file(path: str | os.PathLike[str], *, strip_newline: bool = True) -> SecretBytes:
    """Read a credential file into a SecretBytes (one trailing newline dropped)."""
    p = Path(path)
    size = p.stat().st_size
    if not 1 <= size <= MAX_SECRET_BYTES + 2:
        raise PolicyError(f"{p.name}: a credential file holds 1 to {MAX_SECRET_BYTES} bytes")
    buf = SecretBytes(size)
    with open(p, "rb", buffering=0) as f:
        view = memoryview(buf)
        got = 0
        while got < size:
            n = f.readinto(view[got:])
            if not n:
                break
            got += n
        view.release()
    keep = got
    if strip_newline:
        if keep and buf[keep - 1] == 0x0A:
            keep -= 1
        if keep and buf[keep - 1] == 0x0D:
            keep -= 1
    if keep == len(buf):
        return buf
    out = SecretBytes(keep)
    out[:] = memoryview(buf)[:keep]
    buf.wipe()
    if not keep:
        raise PolicyError(f"{p.name} is empty")
    return out


# -- a typed credential, entered twice --------------------------------------------------------


def _characters(data: bytes | bytearray) -> int:
    """Characters in UTF-8 ``data`` (lead bytes counted; no ``str`` is made of it)."""
    return sum(1 for b in data if not 0x80 <= b <= 0xBF)


def _ascii_fold(data: bytes | bytearray) -> bytearray:
    out = bytearray(data)
    for i, b in enumerate(out):
        if 0x41 <= b <= 0x5A:
            out[i] = b + 32
    return out


def _trim(data: bytes | bytearray) -> memoryview:
    start, end = 0, len(data)
    while start < end and data[start] in b" \t\r\n":
        start += 1
    while end > start and data[end - 1] in b" \t\r\n":
        end -= 1
    return memoryview(data)[start:end]


def confirmation_problem(first: bytes | bytearray, again: bytes | bytearray) -> str | None:
    """Why the second entry of a typed credential does not confirm the first (None if it does).

    The message names what differs (missing, length, letter case, spaces at the ends) and
    never shows either entry. The comparison of equal-length entries is constant-time.
    """
    if not first and not again:
        return "Type the credential, then type it a second time to confirm it."
    if not again:
        return "The second entry is missing: type the credential a second time to confirm it."
    if not first:
        return "The first entry is empty: type the credential twice."
    if len(first) == len(again) and hmac.compare_digest(first, again):
        return None
    a, b = _ascii_fold(first), _ascii_fold(again)
    try:
        if len(a) == len(b) and hmac.compare_digest(a, b):
            return (
                "The two entries differ only in upper and lower case: is Caps Lock on? "
                "Type both again."
            )
    finally:
        wipe_buffer(a)
        wipe_buffer(b)
    ta, tb = _trim(first), _trim(again)
    try:
        if len(ta) == len(tb) and len(ta) and hmac.compare_digest(ta, tb):
            return (
                "The two entries differ only in spaces or line breaks at the start or the end. "
                "Type both again exactly as the target system expects the credential."
            )
    finally:
        ta.release()
        tb.release()
    n1, n2 = _characters(first), _characters(again)
    if n1 != n2:
        return (
            f"The two entries differ: the first has {n1} characters, the second {n2}. "
            "Type both again."
        )
    return (
        f"The two entries differ: both have {n1} characters, but not the same ones. "
        "Type both again."
    )


# -- custodians ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class CustodianEntry:
    """Who holds one share, and where: public facts printed on the record."""

    name: str = ""
    role: str = ""
    contact: str = ""
    location: str = ""
    alternate: str = ""
    """Who stands in if this custodian cannot be reached (name and how to reach them)."""

    @property
    def key(self) -> str:
        return " ".join(self.name.casefold().split())


def _norm(text: str) -> str:
    return " ".join(text.casefold().split())


def _reaches_quorum(policy: Policy, numbers: Sequence[int]) -> bool:
    have = [0] * len(policy.groups)
    for k in numbers:
        have[policy.locate(k)[0]] += 1
    done = sum(1 for gi, g in enumerate(policy.groups) if have[gi] >= g.threshold)
    return done >= policy.group_threshold


@dataclass(frozen=True)
class CustodianRisk:
    """Custodians who do not fail independently: one person, location or role alone reaches
    the quorum. Proceeding needs a reason typed by the host (logged, printed on the record)."""

    kind: str  # "person", "location" or "role"
    value: str
    shares: tuple[int, ...]

    def describe(self) -> str:
        shares = ", ".join(map(str, self.shares))
        if self.kind == "person":
            return (
                f"{self.value} alone holds shares {shares}, which reach the quorum: no second "
                "person is needed to reveal the credential."
            )
        why = (
            "one fire, flood, burglary or outage there takes the whole quorum"
            if self.kind == "location"
            else "one team's bad night, departure or compromise takes the whole quorum"
        )
        return (
            f"Shares {shares} are all in one {self.kind} ({self.value}) and alone reach the "
            f"quorum: {why}."
        )


def custodian_risks(policy: Policy, entries: Sequence[CustodianEntry]) -> list[CustodianRisk]:
    """Where one person, one location or one role alone reaches the quorum.

    Group policies are counted by groups. A location or role left empty is *unknown*, not
    shared: blanks never add up to a risk (and never hide one).
    """
    total = policy.total_shares
    out: list[CustodianRisk] = []
    for kind, attr in (("person", "name"), ("location", "location"), ("role", "role")):
        groups: dict[str, list[int]] = {}
        labels: dict[str, str] = {}
        for k, e in enumerate(entries[:total], start=1):
            value = getattr(e, attr).strip()
            if value:
                groups.setdefault(_norm(value), []).append(k)
                labels.setdefault(_norm(value), value)
        for key, numbers in groups.items():
            if len(numbers) > 1 and _reaches_quorum(policy, numbers):
                out.append(CustodianRisk(kind, labels[key], tuple(numbers)))
    return out


def printable_problems(fields: Sequence[tuple[str, str]]) -> list[str]:
    """Characters of these (field, text) pairs that cannot be printed, naming both.

    Checked before anything is made, so a split never prints a sheet with a box where a name
    should be (``paper.fonts`` says which characters the installed fonts can print).
    """
    from breakglass_gui.paper.fonts import unprintable  # noqa: PLC0415 - loads reportlab

    out = []
    for what, text in fields:
        for problem in unprintable(text):
            out.append(f"{what} cannot be printed: {problem.describe()}.")
    return out


def custodian_problems(
    policy: Policy, entries: Sequence[CustodianEntry], risk_reason: str = ""
) -> list[str]:
    """What blocks the custodians step (the rule for the GUI and ``breakglass split`` alike).

    Every share needs a named custodian; the printed fields must be printable; and custodians
    who do not fail independently (:func:`custodian_risks`) need the host's typed reason.
    """
    total = policy.total_shares
    out = []
    missing = [k + 1 for k in range(total) if k >= len(entries) or not entries[k].name.strip()]
    if missing:
        out.append(
            f"Name the custodian of share{'s' if len(missing) > 1 else ''} "
            f"{', '.join(map(str, missing))}: every share needs a named person."
        )
    fields: list[tuple[str, str]] = []
    for k, e in enumerate(entries[:total], start=1):
        for what, value in (("name", e.name), ("role", e.role)):
            if len(value.encode()) > MAX_TEXT_FIELD_BYTES:
                out.append(f"Share {k}: the {what} is longer than {MAX_TEXT_FIELD_BYTES} bytes.")
        fields += [
            (f"Share {k}'s {what}", value)
            for what, value in (
                ("custodian", e.name),
                ("role", e.role),
                ("contact", e.contact),
                ("location", e.location),
                ("alternate", e.alternate),
            )
        ]
    out += printable_problems(fields)
    risks = custodian_risks(policy, entries)
    if risks and not risk_reason.strip():
        out += [r.describe() for r in risks]
        out.append(
            "Custodians must fail independently. Change who holds which share, or type why "
            "this risk is accepted (the reason is logged and printed on the ceremony record)."
        )
    return out


def custodian_warnings(policy: Policy, entries: Sequence[CustodianEntry]) -> list[str]:
    """Warnings that explain themselves and do not block (the blocking rule is
    :func:`custodian_problems`): the same person twice below the quorum, fewer people than
    shares, and the custodians whose location or role nobody gave."""
    out: list[str] = []
    total = policy.total_shares
    by_person: dict[str, list[int]] = {}
    for k, e in enumerate(entries[:total], start=1):
        if e.name.strip():
            by_person.setdefault(e.key, []).append(k)
    for numbers in by_person.values():
        if len(numbers) > 1 and not _reaches_quorum(policy, numbers):
            who = entries[numbers[0] - 1].name.strip()
            shares = ", ".join(str(k) for k in numbers)
            out.append(
                f"{who} holds shares {shares}: the same person twice counts once when convening."
            )
    people = len(by_person)
    if 0 < people < total:
        out.append(
            f"{people} custodian{'s' if people != 1 else ''} for {total} shares: each share "
            "should have its own person, or the set is weaker than its policy says."
        )
    for what in ("location", "role"):
        unknown = [
            k for k, e in enumerate(entries[:total], start=1) if not getattr(e, what).strip()
        ]
        if unknown and len(unknown) < total:
            out.append(
                f"No {what} given for share{'s' if len(unknown) > 1 else ''} "
                f"{', '.join(map(str, unknown))}: whether the custodians fail independently "
                f"cannot be checked there."
            )
    return out


# -- folders -------------------------------------------------------------------------------------

_TEMP_DIRS = ("/tmp", "/var/tmp", "/dev/shm")  # noqa: S108 - we warn about them

_SYNC_MARKERS = (
    ("dropbox", "Dropbox"),
    ("onedrive", "OneDrive"),
    ("google drive", "Google Drive"),
    ("googledrive", "Google Drive"),
    ("my drive", "Google Drive"),
    ("icloud", "iCloud Drive"),
    ("mobile documents", "iCloud Drive"),
    ("nextcloud", "Nextcloud"),
    ("owncloud", "ownCloud"),
    ("seafile", "Seafile"),
    ("pcloud", "pCloud"),
    ("mega", "MEGA"),
    ("box sync", "Box"),
    ("cloudstorage", "a cloud storage provider"),
)


def folder_risk(folder: str | os.PathLike[str]) -> str | None:
    """Why saving share sheets to ``folder`` deserves a second thought, or None.

    Synced folders copy share material to someone else's servers; temporary folders are
    emptied at reboot (and are often readable by other users or kept in RAM).
    """
    p = Path(folder).expanduser()
    try:
        resolved = p.resolve()
    except OSError:
        resolved = p
    temp_roots = {Path(tempfile.gettempdir()), *(Path(t) for t in _TEMP_DIRS)}
    for root in temp_roots:
        try:
            root_resolved = root.resolve()
        except OSError:
            continue
        if resolved == root_resolved or root_resolved in resolved.parents:
            return (
                f"{p} is a temporary folder: it may be emptied at the next restart and other "
                "programs can read it. Keep the sheets somewhere deliberate."
            )
    for part in resolved.parts:
        low = part.casefold()
        for marker, name in _SYNC_MARKERS:
            if marker == "mega":
                if low == "mega" or low.startswith("mega "):
                    return _sync_message(p, name)
            elif marker in low:
                return _sync_message(p, name)
    probe = resolved
    for candidate in (probe, *probe.parents):
        if (candidate / ".stfolder").exists():
            return _sync_message(p, "Syncthing")
        if (candidate / ".dropbox").exists():
            return _sync_message(p, "Dropbox")
    try:
        home = Path.home().resolve()
    except (OSError, RuntimeError):
        return None
    if resolved == home or home in resolved.parents:
        return (
            f"{p} is in your home folder: backups, file indexing and any sync of it copy share "
            "material, and every custodian's sheet would sit on one laptop. Prefer removable "
            "media (one folder per custodian's envelope), and delete the PDFs once printed."
        )
    return None


def _sync_message(p: Path, name: str) -> str:
    return (
        f"{p} looks synced by {name}: the share sheets would be copied to other machines and "
        "servers. Save them to a local folder or removable media instead, unless that is the plan."
    )


def default_folder(
    label: str,
    fingerprint_text: str,
    home: Path | None = None,
    drives: Sequence[Path] = (),
) -> Path:
    """Where the PDFs are proposed to go: on the first removable drive mounted (``drives``,
    see ``platform.removable``), else under Documents (which ``folder_risk`` warns about)."""
    slug = _slug(label) or "credential"
    if drives:
        return Path(drives[0]) / "Breakglass" / f"{slug}-{fingerprint_text}"
    base = (home or Path.home()) / "Documents"
    if not base.is_dir():
        base = home or Path.home()
    return base / "Breakglass" / f"{slug}-{fingerprint_text}"


def _slug(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", text).strip("-").lower()[:40]


# -- documents ------------------------------------------------------------------------------------


@dataclass
class DocumentItem:
    """One document to hand out: a share sheet, the ceremony record or the runbook."""

    id: str  # "share-3", "record", "runbook"
    title: str
    file_name: str
    share_number: int | None = None
    required: bool = True
    emitted: list[str] = field(default_factory=list)  # "saved to /x/y.pdf", "printed"

    @property
    def done(self) -> bool:
        return bool(self.emitted)


# -- verification ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class VerifyOutcome:
    ok: bool
    message: str
    share_number: int | None = None
    partial: bool = False  # one part of a multi-part code accepted, more to come


# -- ports bundle ---------------------------------------------------------------------------------


@dataclass
class SplitPorts:
    recorder: SplitRecorder
    renderer: PdfRenderer
    clock: Clock = field(default_factory=SystemClock)
    host: str = ""  # the person running the ceremony, for the record

    @classmethod
    def in_memory(
        cls, renderer: PdfRenderer, clock: Clock | None = None, host: str = ""
    ) -> SplitPorts:
        """Ports that keep the registry and the audit events in memory (tests, screenshots)."""
        clock = clock or SystemClock()
        recorder = PortsSplitRecorder(MemoryAuditSink(clock), MemoryRegistry(), clock)
        return cls(recorder, renderer, clock, host)


SECRET = "credential"  # noqa: S105 - the name of the secret slot, not a secret


class SplitCeremony:
    """The split flow over a :class:`Wizard`, with the operations each page needs.

    Methods named ``compute_*`` / ``render_*`` only read and may run on a worker thread
    while the page waits; all others mutate and belong on the caller's (GUI) thread.
    """

    def __init__(
        self,
        ports: SplitPorts,
        *,
        replaces: SetRecord | None = None,
        on_change: Callable[[], None] | None = None,
    ) -> None:
        self.ports = ports
        self.replaces = replaces
        self._assembler = PartAssembler()
        self._on_change = on_change
        steps = [
            Step(
                "credential",
                STEP_TITLES["credential"],
                next="policy",
                check=self._check_credential,
                warn=self._warn_credential,
            ),
            Step("policy", STEP_TITLES["policy"], next="custodians", check=self._check_policy),
            Step(
                "custodians",
                STEP_TITLES["custodians"],
                next="review",
                check=self._check_custodians,
                warn=self._warn_custodians,
            ),
            Step(
                "review",
                STEP_TITLES["review"],
                next="print",
                check=self._check_review,
                warn=self._warn_custodians,
                on_leave=self._leave_review,
            ),
            Step(
                "print",
                STEP_TITLES["print"],
                next="verify",
                check=self._check_print,
                warn=self._warn_print,
            ),
            Step("verify", STEP_TITLES["verify"], check=self._check_verify),
        ]
        state = WizardState(
            {
                "name": replaces.label if replaces else "",
                "scope": replaces.scope if replaces else "",
                "notes": "",
                "policy": None,
                "preset": "2-of-3",
                "custodians": [],
                "documents": [],
                "verified": {},
                "test_combined": None,
                "started": ports.clock.now(),
                "custodian_risk_reason": "",
                "credential_set": False,
                "secret_generated": False,
                "secret_typed": False,
                "typed_confirmed": False,
                "credential_seen": "",
                "matched": {},
                "incident_channel": "",
                "alternate_after_minutes": 15,
            }
        )
        if replaces is not None:
            state["replaces"] = replaces.fingerprint
        self.wizard = Wizard(
            steps, "credential", state, on_finish=self._finish, on_cancel=self._cancel
        )
        if replaces is not None:
            self._carry_over(replaces)
        self.timings: dict[str, float] = {}
        self.summary: list[str] = []

    def _carry_over(self, old: SetRecord) -> None:
        """A rotation starts from the replaced set: its policy, custodians (with contacts,
        locations and alternates), label, scope and notes, all still editable.

        ``old.metadata`` may hold ``policy`` (a Policy or its short form), ``custodians``
        (mappings with name, role, contact, location, alternate), ``notes``,
        ``incident_channel`` and ``alternate_after_minutes``.
        """
        meta = dict(old.metadata or {})
        self.state["notes"] = str(meta.get("notes") or "")
        policy = meta.get("policy")
        if not isinstance(policy, Policy):
            policy = _policy_from_short(str(policy or old.policy))
        if policy is not None:
            try:
                self.set_policy(
                    policy, preset=next((p.key for p in PRESETS if p.policy == policy), None)
                )
            except PolicyError:
                policy = None
        people = meta.get("custodians")
        if policy is not None and isinstance(people, (list, tuple)):
            entries = [
                CustodianEntry(
                    str(p.get("name") or ""),
                    str(p.get("role") or ""),
                    str(p.get("contact") or ""),
                    str(p.get("location") or ""),
                    str(p.get("alternate") or ""),
                )
                for p in people
                if isinstance(p, dict)
            ]
            total = policy.total_shares
            self.state["custodians"] = (entries + [CustodianEntry()] * total)[:total]
        channel = meta.get("incident_channel")
        if isinstance(channel, str):
            self.state["incident_channel"] = channel
        minutes = meta.get("alternate_after_minutes")
        if isinstance(minutes, int) and 1 <= minutes <= 1440:
            self.state["alternate_after_minutes"] = minutes

    @property
    def replaces_banner(self) -> str:
        if self.replaces is None:
            return ""
        return (
            f"Replaces set {self.replaces.fingerprint} \u201c{self.replaces.label}\u201d "
            "(retired at Finish). Its policy, custodians, label, scope and notes are filled in: "
            "check each one."
        )

    # -- conveniences -------------------------------------------------------------------------
    @property
    def state(self) -> WizardState:
        return self.wizard.state

    @property
    def share_set(self) -> ShareSet | None:
        value = self.state.objects.get("share_set")
        return value if isinstance(value, ShareSet) else None

    @property
    def policy(self) -> Policy | None:
        value = self.state.get("policy")
        return value if isinstance(value, Policy) else None

    @property
    def custodians(self) -> list[CustodianEntry]:
        return list(self.state.get("custodians") or [])

    @property
    def documents(self) -> list[DocumentItem]:
        return list(self.state.get("documents") or [])

    def _changed(self) -> None:
        if self._on_change is not None:
            self._on_change()

    # -- credential ---------------------------------------------------------------------------
    def set_details(self, name: str, scope: str = "", notes: str = "") -> None:
        self.state["name"] = name.strip()
        self.state["scope"] = scope.strip()
        self.state["notes"] = notes.strip()
        self._invalidate_shares()

    def set_secret(
        self,
        secret: SecretBytes,
        *,
        generated: bool = False,
        typed: bool = False,
        alphabet_size: int | None = None,
    ) -> None:
        """The ceremony owns ``secret`` from now on (it is wiped on finish or cancel).

        A ``generated`` secret has been seen by nobody: before anything is printed the host
        must confirm it (two groups typed back, or a concealed copy taken) so that it can be
        set on the target system; with its ``alphabet_size`` its strength is exact. A
        ``typed`` secret must be typed a second time (:meth:`confirm_typed_secret`) before
        the credential step can be left; a loaded one (a file, a pipe) is taken as given.
        """
        self.state.set_secret(SECRET, secret)
        self.state["secret_generated"] = generated
        self.state["secret_typed"] = typed and not generated
        self.state["typed_confirmed"] = False
        self.state["credential_seen"] = ""
        self.state.data.pop("group_challenge", None)
        if generated and alphabet_size:
            self.state.objects["strength"] = generated_strength(len(secret), alphabet_size)
        else:
            self.state.objects["strength"] = estimate(secret)
        self._invalidate_shares()

    def generate(self, length: int, alphabet: str) -> Strength:
        """A new random credential (``generate_secret``) held as a generated one; its exact
        strength is returned."""
        self.set_secret(
            generate_secret(length, alphabet),
            generated=True,
            alphabet_size=len(ALPHABETS[alphabet]),
        )
        return self.strength or generated_strength(length, len(ALPHABETS[alphabet]))

    def confirm_typed_secret(self, again: SecretBytes | None) -> str | None:
        """The second entry of a typed credential; ``again`` is wiped here.

        If it does not match, the held credential is dropped too (which of the two was
        meant cannot be known): both are typed again. Returns the problem, or None.
        """
        try:
            held = self.state.secret(SECRET)
            first: bytes | bytearray = held if held is not None and not held.is_wiped else b""
            problem = confirmation_problem(first, again if again is not None else b"")
        finally:
            if again is not None:
                again.wipe()
        if problem is None:
            self.state["typed_confirmed"] = True
            self.state["credential_seen"] = "typed twice by the host"
        elif held is not None and again is not None and len(again) > 0:
            self.clear_secret()
        self._changed()
        return problem

    def set_typed_secret(self, first: SecretBytes, again: SecretBytes | None) -> list[str]:
        """A credential the host typed, and its second entry: held only if both match."""
        self.set_secret(first, typed=True)
        problem = self.confirm_typed_secret(again)
        return [problem] if problem else []

    @property
    def awaiting_confirmation(self) -> bool:
        """A typed credential is held whose second entry has not matched yet."""
        return bool(
            self.secret_length
            and self.state.get("secret_typed")
            and not self.state.get("typed_confirmed")
        )

    @property
    def strength(self) -> Strength | None:
        """The held credential's strength: exact if generated, else an estimate."""
        if not self.secret_length:
            return None
        value = self.state.objects.get("strength")
        return value if isinstance(value, Strength) else None

    def credential_warnings(self) -> list[str]:
        """A weak typed or loaded credential, said with its estimate (does not block)."""
        strength = self.strength
        if strength is None or strength.exact or not strength.weak:
            return []
        return [
            f"This credential looks {strength.rating}: about {strength.bits:.0f} bits at most "
            "(an estimate). Anyone who gets a copy of its hash could guess it; generate a new "
            "one instead, unless the target system allows only a few tries."
        ]

    def _warn_credential(self, state: WizardState) -> list[str]:
        return self.credential_warnings()

    # -- confirming the new credential ---------------------------------------------------------
    GROUP = 4  # characters per group when a generated credential is shown

    def secret_groups(self) -> int:
        return -(-self.secret_length // self.GROUP)

    def group_challenge(self) -> tuple[int, int]:
        """Two different groups (1-based) the host types back from the shown credential."""
        current = self.state.get("group_challenge")
        if isinstance(current, tuple):
            return current
        n = self.secret_groups()
        if n < 2:
            raise PolicyError("the credential is too short to confirm by groups")
        first = secrets.randbelow(n) + 1
        second = secrets.randbelow(n - 1) + 1
        second += second >= first
        pair = (min(first, second), max(first, second))
        self.state["group_challenge"] = pair
        return pair

    def answer_group_challenge(self, first: str, second: str) -> bool:
        """Compare the two typed groups with the credential (constant time); True if right."""
        secret = self.state.secret(SECRET)
        if secret is None or secret.is_wiped:
            return False
        ok = True
        for number, typed in zip(self.group_challenge(), (first, second), strict=True):
            want = bytes(secret[(number - 1) * self.GROUP : number * self.GROUP])
            ok &= hmac.compare_digest(want, typed.strip().encode())
        if ok:
            self.state["credential_seen"] = "confirmed by typing two groups back"
        else:
            self.state.data.pop("group_challenge", None)  # a new pair for the next try
        self._changed()
        return ok

    def mark_secret_copied(self) -> None:
        """The host copied the generated credential through the concealed clipboard."""
        self.state["credential_seen"] = "copied through the concealed clipboard"
        self._changed()

    @property
    def secret_confirmed(self) -> bool:
        return not self.state.get("secret_generated") or bool(self.state.get("credential_seen"))

    def confirm_credential_set(self, on: bool = True) -> None:
        """The host says the new credential is now set on the target system (logged)."""
        self.state["credential_set"] = on
        if on and not self.state.get("credential_set_logged"):
            how = self.state.get("credential_seen") or "entered by the host"
            self.ports.recorder.note("credential_set_confirmed", {"how": str(how)})
            self.state["credential_set_logged"] = True
        self._changed()

    def take_secret(self, buf: bytearray) -> None:
        """Copy ``buf`` into a SecretBytes and overwrite ``buf``."""
        self.set_secret(SecretBytes.take(buf))

    def clear_secret(self) -> None:
        self.state.drop_secret(SECRET)
        self._invalidate_shares()

    @property
    def secret_length(self) -> int:
        s = self.state.secret(SECRET)
        return len(s) if s is not None and not s.is_wiped else 0

    def _check_credential(self, state: WizardState) -> list[str]:
        out = []
        name = state.get("name", "")
        if not name:
            out.append("Give the credential a name (it is printed on every sheet).")
        elif len(name.encode()) > MAX_TEXT_FIELD_BYTES:
            out.append(f"The name is longer than {MAX_TEXT_FIELD_BYTES} bytes.")
        else:
            out += printable_problems([("The credential's name", name)])
        if not state.has_secret(SECRET):
            out.append("Enter, paste, load or generate the secret.")
        elif state.get("secret_typed") and not state.get("typed_confirmed"):
            out.append(
                "The second entry is missing: type the credential a second time to confirm it."
            )
        elif self.secret_length > MAX_SECRET_BYTES:
            out.append(f"The secret is longer than {MAX_SECRET_BYTES} bytes.")
        return out

    # -- policy -------------------------------------------------------------------------------
    def choose_preset(self, key: str) -> Policy:
        preset = next((p for p in PRESETS if p.key == key), None)
        if preset is None:
            raise PolicyError(f"unknown preset {key!r}")
        self.state["preset"] = key
        return self.set_policy(preset.policy, preset=key)

    def set_policy(self, policy: Policy, *, preset: str | None = None) -> Policy:
        policy.validate()
        self.state["policy"] = policy
        self.state["preset"] = preset
        entries = self.custodians
        total = policy.total_shares
        self.state["custodians"] = (entries + [CustodianEntry()] * total)[:total]
        self._invalidate_shares()
        return policy

    def _check_policy(self, state: WizardState) -> list[str]:
        if self.policy is None:
            return ["Choose a preset, an M-of-N or a group policy."]
        try:
            self.policy.validate()
        except PolicyError as exc:
            return [str(exc)]
        return []

    # -- custodians ---------------------------------------------------------------------------
    def set_custodians(self, entries: Sequence[CustodianEntry]) -> None:
        policy = self.policy
        if policy is None:
            raise PolicyError("choose a policy before naming custodians")
        if len(entries) != policy.total_shares:
            raise PolicyError(f"{len(entries)} custodians given for {policy.total_shares} shares")
        self.state["custodians"] = [
            CustodianEntry(
                e.name.strip(),
                e.role.strip(),
                e.contact.strip(),
                e.location.strip(),
                e.alternate.strip(),
            )
            for e in entries
        ]
        self._invalidate_shares()

    def set_custodian_risk_reason(self, reason: str) -> None:
        """The host's reason for going on although custodians do not fail independently."""
        self.state["custodian_risk_reason"] = " ".join(reason.split())
        self._changed()

    @property
    def custodian_risk_reason(self) -> str:
        return str(self.state.get("custodian_risk_reason") or "")

    def custodian_risks(self) -> list[CustodianRisk]:
        policy = self.policy
        return [] if policy is None else custodian_risks(policy, self.custodians)

    def set_runbook_details(self, incident_channel: str, alternate_after_minutes: int) -> None:
        """What the runbook needs beyond the custodians: where to post, when to call alternates."""
        if not 1 <= alternate_after_minutes <= 1440:
            raise PolicyError("call the alternates after 1 to 1440 minutes")
        self.state["incident_channel"] = incident_channel.strip()
        self.state["alternate_after_minutes"] = alternate_after_minutes
        self._changed()

    def set_custodian(self, number: int, entry: CustodianEntry) -> None:
        entries = self.custodians
        entries[number - 1] = entry
        self.set_custodians(entries)

    def custodian_warnings(self) -> list[str]:
        policy = self.policy
        if policy is None:
            return []
        return custodian_warnings(policy, self.custodians)

    def _warn_custodians(self, state: WizardState) -> list[str]:
        return self.custodian_warnings()

    def _check_custodians(self, state: WizardState) -> list[str]:
        policy = self.policy
        if policy is None:
            return ["Choose a policy first."]
        out = custodian_problems(policy, self.custodians, self.custodian_risk_reason)
        out += printable_problems([("The incident channel", state.get("incident_channel", ""))])
        return out

    def group_of(self, number: int) -> str:
        policy = self.policy
        if policy is None or policy.is_simple:
            return ""
        return policy.groups[policy.locate(number)[0]].name

    # -- review: making the shares ------------------------------------------------------------
    def compute_shares(self) -> ShareSet:
        """Split the secret (reads state only; safe on a worker thread while the page waits)."""
        secret = self.state.secret(SECRET)
        policy = self.policy
        if secret is None or secret.is_wiped or policy is None:
            raise PolicyError("the secret and the policy are needed first")
        people = [Custodian(e.name, e.role) for e in self.custodians]
        return split_credential(
            secret,
            policy=policy,
            label=self.state["name"],
            custodians=people,
            created=self.ports.clock.now().date(),
            drill=bool(self.state.get("drill_set")),
        )

    def set_drill_set(self, drill: bool) -> None:
        """A drill set: made for rehearsal with a throwaway secret, marked in its header (the
        set digest covers it) and printed DRILL; only a drill set is ever shown in a drill."""
        self.state["drill_set"] = bool(drill)
        self._invalidate_shares()

    def accept_shares(self, share_set: ShareSet) -> None:
        self.state.objects["share_set"] = share_set
        self.state["fingerprint"] = share_set.fingerprint_text
        self.state["documents"] = self._document_list(share_set)
        slug = _slug(share_set.header.label) or "credential"
        self.state.objects["record_item"] = DocumentItem(
            "record",
            "Ceremony record",
            f"{slug}-ceremony-record-{share_set.fingerprint_text}.pdf",
        )
        self.state["verified"] = {}
        self.state["test_combined"] = None
        self._assembler.clear()
        self.timings["review_ready"] = time.perf_counter()
        self._changed()

    def make_shares(self) -> ShareSet:
        """Both halves at once, for headless use."""
        share_set = self.compute_shares()
        self.accept_shares(share_set)
        return share_set

    def _invalidate_shares(self) -> None:
        if self.state.objects.pop("share_set", None) is not None:
            self.state.data.pop("fingerprint", None)
            self.state["documents"] = []
            self.state.objects.pop("record_item", None)
            self.state["verified"] = {}
            self._assembler.clear()

    def _check_review(self, state: WizardState) -> list[str]:
        if self.share_set is None:
            return ["The shares are being made."]
        if not self.secret_confirmed:
            return [
                "Nobody has seen the generated credential yet: show it once, set it on the "
                "target system, then type back the two groups asked for (or copy it) before "
                "anything is printed."
            ]
        return []

    def _leave_review(self, state: WizardState, direction: Direction) -> None:
        if direction is Direction.BACK:
            self._invalidate_shares()
        elif direction is Direction.FORWARD and not state.get("started_logged"):
            share_set = self.share_set
            assert share_set is not None
            self.ports.recorder.started(
                share_set,
                operator=self.ports.host or None,
                replaces=self.replaces.fingerprint if self.replaces else None,
            )
            state["started_logged"] = True
            risks = self.custodian_risks()
            if risks:
                self.ports.recorder.note(
                    "custodian_risk_accepted",
                    {
                        "reason": self.custodian_risk_reason,
                        "risks": [r.describe() for r in risks],
                    },
                )

    def _secret_review(self) -> str:
        """``32 bytes (hidden); strength: 190 bits, exact`` (or the estimate, labelled)."""
        text = f"{self.secret_length} bytes (hidden)"
        strength = self.strength
        if strength is not None:
            figure = strength.describe().removeprefix("Strength: ")
            text += f"; strength: {figure[0].lower()}{figure[1:]}"
        return text

    def review_lines(self) -> list[tuple[str, str]]:
        """Everything on one page, as (label, value) pairs; no secret, no share material."""
        policy = self.policy
        rows: list[tuple[str, str]] = [
            ("Credential", self.state.get("name", "")),
            ("Scope", self.state.get("scope", "") or "—"),
            ("Notes", self.state.get("notes", "") or "—"),
            ("Secret", self._secret_review()),
            ("Policy", f"{policy.short()}: {policy.describe()}" if policy else "—"),
        ]
        if self.replaces is not None:
            rows.append(("Replaces", f"{self.replaces.label} ({self.replaces.fingerprint})"))
        for k, e in enumerate(self.custodians, start=1):
            group = self.group_of(k)
            where = ", ".join(
                x
                for x in (e.role, e.contact, e.location, e.alternate and f"alt. {e.alternate}")
                if x
            )
            value = (e.name or "(nobody named)") + (f" — {where}" if where else "")
            rows.append((f"Share {k}" + (f" ({group})" if group else ""), value))
        if self.custodian_risks():
            rows.append(("Custodian risk accepted", self.custodian_risk_reason or "—"))
        rows.append(("Incident channel", self.state.get("incident_channel", "") or "—"))
        share_set = self.share_set
        rows.append(("Set fingerprint", share_set.fingerprint_text if share_set else "…"))
        return rows

    # -- print and save -----------------------------------------------------------------------
    def _document_list(self, share_set: ShareSet) -> list[DocumentItem]:
        fp = share_set.fingerprint_text
        slug = _slug(share_set.header.label) or "credential"
        docs = []
        for s in share_set.shares:
            who = _slug(s.custodian) or "custodian"
            docs.append(
                DocumentItem(
                    f"share-{s.number}",
                    f"Share sheet {s.number} of {s.total} — {s.holder}",
                    f"{slug}-share-{s.number}-of-{s.total}-{who}.pdf",
                    share_number=s.number,
                )
            )
        # the ceremony record is not among them: it carries the split's audit anchor, which
        # exists once the set is registered (see ``record_item`` / ``render_record``)
        docs.append(DocumentItem("runbook", "Runbook", f"{slug}-runbook-{fp}.pdf", required=False))
        return docs

    @property
    def record_item(self) -> DocumentItem | None:
        """The ceremony record, made at the end (None until the shares exist)."""
        value = self.state.objects.get("record_item")
        return value if isinstance(value, DocumentItem) else None

    @property
    def record_anchor(self) -> str:
        """The audit anchor the record carries: the split's announced ``COUNT:HEAD`` ("" with
        no signed log to anchor, or before the set is registered)."""
        return str(self.state.get("record_anchor") or "")

    def render_record(self) -> bytes:
        """PDF bytes of the ceremony record, with the split's audit anchor.

        Only once the set is registered (after :meth:`finish`): before, the anchor does not
        exist, and a record without it would ask for the anchor to be copied by hand. The
        record holds no share material (fingerprint, policy, custodians, verification words),
        so it is safe to print after the sheets are out. Reads state only (worker thread)."""
        if self.wizard.status is not WizardStatus.FINISHED:
            raise WizardError(
                "The ceremony record is made once the set is registered: it carries the "
                "split's audit anchor."
            )
        pdf = self.state.objects.get("record_pdf")
        if not isinstance(pdf, bytes):
            raise WizardError(
                "The ceremony record could not be made at Finish ("
                + str(self.state.get("record_error") or "no record")
                + "); make it with: breakglass record SET_JSON"
            )
        return pdf

    def mark_record_emitted(self, how: str) -> None:
        """Record that the ceremony record was saved (``"saved to …"``) or printed."""
        item = self.record_item
        if item is None:
            raise WizardError("there is no ceremony record for this split")
        item.emitted.append(how)
        self._changed()
        # the record is out whatever the trail says; a trail that refuses raises (said by the
        # front end next to "saved" / "printed")
        fields = {"set": str(self.state.get("fingerprint") or ""), "how": clip_for_log(how)}
        if self.record_anchor:
            fields["anchor"] = self.record_anchor
        self.ports.recorder.note("record_emitted", fields)

    def document(self, doc_id: str) -> DocumentItem:
        for d in self.documents:
            if d.id == doc_id:
                return d
        raise KeyError(doc_id)

    def document_context(self) -> dict[str, Any]:
        """Public facts the renderer prints on the record and the runbook."""
        return {
            "label": self.state.get("name", ""),
            "scope": self.state.get("scope", ""),
            "notes": self.state.get("notes", ""),
            "host": self.ports.host,
            "when": self.state.get("started"),
            "custodians": [
                {
                    "number": k,
                    "name": e.name,
                    "role": e.role,
                    "contact": e.contact,
                    "location": e.location,
                    "alternate": e.alternate,
                    "group": self.group_of(k),
                }
                for k, e in enumerate(self.custodians, start=1)
            ],
            "replaces": self.replaces.fingerprint if self.replaces else None,
            "custodian_risk": self.custodian_risk_reason if self.custodian_risks() else "",
            "incident_channel": self.state.get("incident_channel", ""),
            "alternate_after_minutes": self.state.get("alternate_after_minutes", 15),
        }

    def render_document(self, doc_id: str) -> bytes:
        """PDF bytes of one document (reads state only; may run on a worker thread)."""
        share_set = self.share_set
        if share_set is None:
            raise PolicyError("the shares have not been made yet")
        if doc_id == "record":  # made at the end, with the anchor
            return self.render_record()
        item = self.document(doc_id)
        context = self.document_context()
        if item.share_number is not None:
            share = share_set.shares[item.share_number - 1]
            return self.ports.renderer.share_sheet(share, share_set, context)
        return self.ports.renderer.runbook(share_set, context)

    def mark_emitted(self, doc_id: str, how: str) -> None:
        """Record that a document was saved (``"saved to …"``) or printed."""
        item = self.document(doc_id)
        item.emitted.append(how)
        share_set = self.share_set
        if item.share_number is not None and share_set is not None:
            share = share_set.shares[item.share_number - 1]
            medium = "paper" if how.startswith("printed") else "pdf"
            self.ports.recorder.share_printed(share, medium=medium)
        self.state["documents"] = self.documents  # same objects; keeps the key present
        self.wizard.steps["print"].can_go_back = False  # the set is on paper now
        if all(d.done for d in self.documents):
            self.timings.setdefault("all_written", time.perf_counter())
        self._changed()

    def envelope_folder(self, doc_id: str) -> str:
        """The sub-folder for one custodian's envelope ("" for the record and runbook)."""
        item = self.document(doc_id)
        share_set = self.share_set
        if item.share_number is None or share_set is None:
            return ""
        share = share_set.shares[item.share_number - 1]
        return f"envelope-{share.number}-{_slug(share.custodian) or 'custodian'}"

    def saved_files(self) -> list[str]:
        """The PDFs this ceremony saved that are still on disk."""
        out = []
        for d in self.documents:
            for how in d.emitted:
                if how.startswith("saved to ") and Path(how[len("saved to ") :]).is_file():
                    out.append(how[len("saved to ") :])
        return out

    def delete_saved(self) -> list[str]:
        """Overwrite each saved PDF with zeros, flush it, then unlink it; the paths deleted.

        Honest limits: on SSDs, flash drives and copy-on-write or journalled file systems
        (btrfs, ZFS, APFS) the old blocks may survive the overwrite; backups and sync copies
        are untouched. Only printing to paper without saving avoids that altogether.
        """
        done = []
        for path in self.saved_files():
            try:
                size = os.path.getsize(path)
                with open(path, "r+b", buffering=0) as f:
                    zeros = bytes(min(size, 1 << 20))
                    left = size
                    while left > 0:
                        left -= f.write(zeros[: min(left, len(zeros))]) or 0
                    os.fsync(f.fileno())
                os.unlink(path)
            except OSError:
                continue
            done.append(path)
        if done:
            self.state["deleted_files"] = [*self.state.get("deleted_files", []), *done]
            self._changed()
        return done

    def save_all(self, sink: Any, *, only_missing: bool = False) -> list[str]:
        """Render and save every document through ``sink`` (a DocumentSink); headless helper."""
        out = []
        for item in self.documents:
            if only_missing and item.done:
                continue
            data = self.render_document(item.id)
            where = sink.save(item.file_name, data)
            del data
            self.mark_emitted(item.id, f"saved to {where}")
            out.append(where)
        return out

    def _check_print(self, state: WizardState) -> list[str]:
        missing = [d.title for d in self.documents if d.required and not d.done]
        if not self.documents:
            return ["The shares have not been made yet."]
        if missing:
            return ["Print or save: " + "; ".join(missing) + "."]
        return []

    def _warn_print(self, state: WizardState) -> list[str]:
        out = []
        for d in self.documents:
            if not d.required and not d.done:
                out.append(f"The {d.title.lower()} has not been printed or saved.")
        return out

    # -- verify -------------------------------------------------------------------------------
    def _expected(self, number: int) -> Share:
        share_set = self.share_set
        if share_set is None:
            raise PolicyError("the shares have not been made yet")
        return share_set.shares[number - 1]

    def _mark_verified(self, number: int, how: str) -> None:
        verified = dict(self.state.get("verified") or {})
        share_set = self.share_set
        if number not in verified and share_set is not None:
            share = share_set.shares[number - 1]
            self.ports.recorder.share_verified(share, how=how)
        verified[number] = how
        self.state["verified"] = verified
        self._changed()

    def verified(self) -> dict[int, str]:
        return dict(self.state.get("verified") or {})

    def verify_scanned_text(self, text: str, how: str = "scanned") -> VerifyOutcome:
        """Check a QR text (or typed transcription) read back from a printed sheet.

        ``how`` says how it was read ("scanned" from the camera, "photo", "typed"); any of
        them proves the sheet readable. Verification words never do (see verify_words).
        """
        share_set = self.share_set
        if share_set is None:
            return VerifyOutcome(False, "The shares have not been made yet.")
        try:
            parsed = parse_share_text(text)
        except ShareError as exc:
            return VerifyOutcome(False, f"That code is not a readable share: {exc.reason}.")
        except BreakglassError as exc:
            return VerifyOutcome(False, f"That code is not a readable share: {exc}.")
        if isinstance(parsed, Share):
            share: Share | None = parsed
        else:
            if parsed.fingerprint != share_set.fingerprint:
                return VerifyOutcome(False, "That code belongs to another set.")
            try:
                share = self._assembler.add(parsed)
            except ShareError as exc:
                return VerifyOutcome(False, f"That part does not fit: {exc.reason}.")
            if share is None:
                return VerifyOutcome(
                    True,
                    f"Part {parsed.index} of {parsed.count} of share {parsed.number} read; "
                    "scan the other parts.",
                    parsed.number,
                    partial=True,
                )
        assert share is not None
        if share.fingerprint != share_set.fingerprint:
            return VerifyOutcome(
                False,
                f"That sheet is from set {share.fingerprint_text}, not this ceremony's "
                f"{share_set.fingerprint_text}.",
            )
        expected = share_set.shares[share.number - 1]
        if not hmac.compare_digest(share.to_bytes(), expected.to_bytes()):
            return VerifyOutcome(
                False, f"{share.describe()} does not match what was printed for it."
            )
        already = share.number in self.verified()
        self._mark_verified(share.number, how)
        note = " (again)" if already else ""
        return VerifyOutcome(True, f"{expected.describe()} verified{note}.", share.number)

    def verify_words(self, number: int, typed: str) -> VerifyOutcome:
        """Check the three verification words read off sheet ``number``."""
        expected = self._expected(number)
        words = [w for w in re.split(r"[\s,;.-]+", typed.casefold()) if w]
        if words == [w.casefold() for w in expected.verification_words()]:
            matched = dict(self.state.get("matched") or {})
            matched[number] = "words"
            self.state["matched"] = matched
            self._changed()
            return VerifyOutcome(
                True,
                f"{expected.describe()} matched to the record by its words. That does not "
                "prove the sheet can be read: scan its code or type its whole transcription.",
                number,
            )
        return VerifyOutcome(
            False,
            f"Those are not the verification words of {expected.describe()}; read them again "
            "from the top of its sheet.",
            number,
        )

    def unverified(self) -> list[int]:
        share_set = self.share_set
        if share_set is None:
            return []
        done = self.verified()
        return [s.number for s in share_set.shares if s.number not in done]

    def quorum_for_test(self) -> list[Share]:
        """The first quorum by the policy: used for the optional in-memory test-combine."""
        share_set = self.share_set
        if share_set is None:
            return []
        policy = share_set.header.policy
        chosen: list[Share] = []
        for gi, g in enumerate(policy.groups[: policy.group_threshold]):
            chosen += [s for s in share_set.shares if s.group_index == gi][: g.threshold]
        return chosen

    def compute_test_combine(self) -> bool:
        """Recover from a quorum in memory and compare with the secret; shows nothing."""
        share_set = self.share_set
        secret = self.state.secret(SECRET)
        if share_set is None or secret is None or secret.is_wiped:
            return False
        try:
            recovery = recover(self.quorum_for_test(), expected_fingerprint=share_set.fingerprint)
        except (RecoveryError, BreakglassError):
            return False
        try:
            return len(recovery.secret) == len(secret) and hmac.compare_digest(
                recovery.secret, secret
            )
        finally:
            recovery.wipe()

    def accept_test_combine(self, ok: bool | None) -> None:
        self.state["test_combined"] = ok
        self._changed()

    def _check_verify(self, state: WizardState) -> list[str]:
        missing = self.unverified()
        if self.share_set is None:
            return ["The shares have not been made yet."]
        out = []
        if missing:
            out.append(
                "Read back sheet"
                + ("s " if len(missing) > 1 else " ")
                + ", ".join(map(str, missing))
                + ": scan its code (camera or a photo of it) or type its whole transcription. "
                "Verification words only match a sheet to the record."
            )
        if state.get("test_combined") is False:
            out.append("The test combination failed: do not hand out these sheets.")
        if not state.get("credential_set"):
            out.append(
                "Confirm \u201cI have set this as the new credential\u201d once the target "
                "system uses it: until then the shares protect a credential nobody can log in with."
            )
        return out

    # -- finish and cancel ----------------------------------------------------------------------
    def _finish(self, state: WizardState) -> None:
        share_set = self.share_set
        assert share_set is not None
        policy = share_set.header.policy
        kept, deleted = self.saved_files(), list(state.get("deleted_files") or [])
        if kept or deleted:  # what was kept where, on the record
            self.ports.recorder.note("saved_pdfs", {"kept": kept, "deleted": deleted})
        self.ports.recorder.finished(
            share_set,
            replaces=self.replaces.fingerprint if self.replaces else None,
            operator=self.ports.host or None,
            contacts={k: (e.contact, e.location) for k, e in enumerate(self.custodians, 1)},
            scope=state.get("scope", ""),
        )
        self.summary = [
            f"Set {share_set.fingerprint_text} for “{share_set.header.label}” is registered: "
            f"{policy.describe()}.",
            f"{len(share_set.shares)} share sheets handed out and verified.",
            "The secret has been wiped from this program's memory.",
        ]
        if self.replaces is not None:
            self.summary.append(
                f"The old set {self.replaces.fingerprint} is retired: collect and destroy its "
                "sheets."
            )
        ann = self.ports.recorder.announcement()
        state["record_anchor"] = ann.anchor if ann is not None else ""
        self._make_record_and_drop_shares(state, share_set)
        if ann is not None:
            self.summary.append(
                f"Audit anchor of this split: {ann.anchor}. Post the announcement to the "
                "incident channel; the ceremony record printed now carries the same anchor "
                f"(check later: breakglass audit verify --anchor {ann.anchor})."
            )
        if state.get("record_error"):
            self.summary.append(
                f"The ceremony record could not be made ({state['record_error']}): print it "
                "later with `breakglass record` and copy the audit anchor into its box."
            )
        self.summary += self._saved_files_lines(state)
        self.summary.append(
            "Next: print or save the ceremony record, give each custodian their sheet (they "
            "initial the record), file the record, and schedule a drill within the quarter."
        )

    def _make_record_and_drop_shares(self, state: WizardState, share_set: ShareSet) -> None:
        """Make the ceremony record now (public facts and the anchor; about 0.1 s), then drop
        the share set: every custodian's share, enough together to rebuild the credential,
        must not stay referenced in this program after Finish while the last page is open.
        A record that cannot be made is said at the end; the set stays registered."""
        context = {**self.document_context(), "audit_anchor": state.get("record_anchor", "")}
        try:
            state.objects["record_pdf"] = self.ports.renderer.ceremony_record(share_set, context)
        except Exception as exc:  # the set is registered: say it at the end, do not lose it
            state["record_error"] = str(exc) or type(exc).__name__
        state.objects.pop("share_set", None)
        self._assembler.clear()

    def _saved_files_lines(self, state: WizardState) -> list[str]:
        """What is still on disk, said at the end (the print page is behind the host now)."""
        out = []
        kept = self.saved_files()
        if kept:
            sheets = sum(
                1
                for d in self.documents
                if d.id.startswith("share-")
                for how in d.emitted
                if how.startswith("saved to ") and how[len("saved to ") :] in kept
            )
            folders = sorted({str(Path(p).parent) for p in kept})
            out.append(
                f"{len(kept)} saved PDF(s) are still on disk in {', '.join(folders)}"
                + (f", {sheets} of them custodians' share sheets" if sheets else "")
                + ": move them into the safe with the paper, or delete them. Deleting does not "
                "reliably erase them on SSDs, USB sticks or copy-on-write file systems."
            )
        deleted = state.get("deleted_files") or []
        if deleted:
            out.append(f"{len(deleted)} saved PDF(s) were overwritten and deleted.")
        return out

    def _cancel(self, state: WizardState) -> None:
        share_set = self.share_set
        out = [d.file_name for d in self.documents if d.done]
        reason = f"cancelled at the {STEP_TITLES[self.wizard.current].lower()} step"
        if share_set is not None:
            reason += f" (set {share_set.fingerprint_text}"
            reason += f", {len(out)} documents already out)" if out else ", nothing printed)"
        self.ports.recorder.aborted(reason)
        self._assembler.clear()

    def finish(self) -> list[str]:
        self.wizard.finish()
        return self.summary

    def announcement(self) -> Announcement | None:
        """The split's announcement for the incident channel (the same text the CLI prints),
        once the set is registered; None before, or without a signed log to anchor."""
        return self.ports.recorder.announcement()

    def announcement_posted(self, posted: bool, how: str) -> None:
        """Whether the operator posted the split's announcement: logged either way."""
        if self.announcement() is None:
            raise WizardError("there is no announcement for this split yet")
        self.ports.recorder.announcement_posted(posted, how)

    def cancel(self) -> None:
        self.wizard.cancel()
        self._assembler.clear()


_SHORT_SIMPLE = re.compile(r"^(\d+)-of-(\d+)$")
_SHORT_GROUPS = re.compile(r"^(\d+) of (\d+) groups \((.*)\)$")
_SHORT_GROUP = re.compile(r"^(.*) (\d+)/(\d+)$")


def _policy_from_short(text: str) -> Policy | None:
    """The policy back from ``Policy.short()`` ("2-of-3", "2 of 2 groups (a 1/2, b 2/3)")."""
    text = text.strip()
    try:
        if m := _SHORT_SIMPLE.match(text):
            return Policy.simple(int(m[1]), int(m[2]))
        if m := _SHORT_GROUPS.match(text):
            groups = []
            for part in m[3].split(", "):
                g = _SHORT_GROUP.match(part)
                if g is None:
                    return None
                groups.append((g[1], int(g[2]), int(g[3])))
            return Policy.grouped(int(m[1]), groups)
    except PolicyError:
        return None
    return None


def secret_from_text(text: str) -> SecretBytes:
    """UTF-8 of ``text`` in a SecretBytes (the intermediate buffer is overwritten).

    The ``str`` itself cannot be wiped from Python; the GUI clears its widget right after.
    """
    tmp = bytearray(text, "utf-8")
    try:
        return SecretBytes(tmp)
    finally:
        wipe_buffer(tmp)
