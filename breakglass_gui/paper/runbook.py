"""The runbook: what to do at 3 a.m., generated from the set and its settings.

Written for someone sleep-deprived, mildly panicked and possibly not the most senior person
on the team, in the seven parts break-glass practice has settled on: trigger conditions,
authorisation, convening the quorum, reconstruction, using the credential, mandatory
post-use steps, escalation. Whatever the settings leave out of the procedure gets a sensible
default, worded so that the reader can act on it; what only the team knows (the incident
channel, how to reach each custodian and their alternate) is printed as blank lines to fill
in by hand, never as a placeholder sentence.

People's text (labels, names, channels, reasons) may be in any script: it is drawn by
``script.ScriptText``, never interpolated into paragraph markup.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

from reportlab.lib import colors
from reportlab.platypus import Flowable, KeepTogether, Paragraph, Spacer, Table, TableStyle

from breakglass_gui.core.share import FORMAT_VERSION

from .document import APP_VERSION, mm, write_pdf
from .flow import Styles, build_pdf, content_width, esc, grid_table, key_value_table
from .fonts import fonts_for
from .script import ScriptText
from .setinfo import CustodianEntry, SetInfo, read_json_object

__all__ = ["RunbookInputs", "RunbookSettings", "RunbookSettingsError", "render_runbook"]

DEFAULT_ALTERNATE_MINUTES = 15


class RunbookSettingsError(ValueError):
    """A runbook settings file that cannot be used."""


@dataclass(frozen=True)
class RunbookSettings:
    """What the set does not know: when, who, how to reach people, where to escalate."""

    triggers: tuple[str, ...] = ()
    who_may_invoke: str = ""
    approval: str = ""
    incident_channel: str = ""
    contacts: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    """Custodian name -> contact channels, in the order to try them."""
    alternates: Mapping[str, str] = field(default_factory=dict)
    """Custodian name -> who stands in for them (name and how to reach them)."""
    locations: Mapping[str, str] = field(default_factory=dict)
    """Custodian name -> where their envelope is kept (city, site, safe)."""
    primaries: tuple[str, ...] = ()
    """Custodians to call first (by name); default: the first quorum of each group."""
    alternate_after_minutes: int = DEFAULT_ALTERNATE_MINUTES
    escalation: tuple[str, ...] = ()
    """Who to call if reconstruction fails, in order, with their authority."""
    device: str = ""
    audit_public_key: str | None = None
    """The audit log's public key, printed so the log can be verified against paper."""
    incident_example: str = ""
    """An incident reference of the form the installation requires (its ceremony rules)."""
    reveal_seconds: int = 0
    """How long the credential is shown (0: not printed); the ceremony rules again."""
    clipboard_seconds: int = 0

    @classmethod
    def load(cls, path: Path) -> RunbookSettings:
        data = read_json_object(path, RunbookSettingsError, "expected a JSON object")
        try:
            return cls.from_mapping(data)
        except RunbookSettingsError as exc:
            raise RunbookSettingsError(f"{path}: {exc}") from exc

    def to_mapping(self) -> dict[str, object]:
        """The JSON form that ``from_mapping`` reads back."""
        return {
            "triggers": list(self.triggers),
            "who_may_invoke": self.who_may_invoke,
            "approval": self.approval,
            "incident_channel": self.incident_channel,
            "contacts": {k: list(v) for k, v in self.contacts.items()},
            "alternates": dict(self.alternates),
            "locations": dict(self.locations),
            "primaries": list(self.primaries),
            "alternate_after_minutes": self.alternate_after_minutes,
            "escalation": list(self.escalation),
            "device": self.device,
            "audit_public_key": self.audit_public_key,
            "incident_example": self.incident_example,
            "reveal_seconds": self.reveal_seconds,
            "clipboard_seconds": self.clipboard_seconds,
        }

    @classmethod
    def from_mapping(cls, data: Mapping[str, object]) -> RunbookSettings:
        known = {
            "triggers",
            "who_may_invoke",
            "approval",
            "incident_channel",
            "contacts",
            "alternates",
            "locations",
            "primaries",
            "alternate_after_minutes",
            "escalation",
            "device",
            "audit_public_key",
            "incident_example",
            "reveal_seconds",
            "clipboard_seconds",
        }
        unknown = sorted(set(data) - known)
        if unknown:
            raise RunbookSettingsError(
                f"unknown setting(s) {', '.join(unknown)}; known: {', '.join(sorted(known))}"
            )
        contacts_raw = data.get("contacts", {})
        if not isinstance(contacts_raw, dict):
            raise RunbookSettingsError("'contacts' maps custodian names to lists of channels")
        contacts = {str(k): _texts(v, f"contacts[{k!r}]") for k, v in contacts_raw.items()}
        named: dict[str, dict[str, str]] = {}
        for table in ("alternates", "locations"):
            raw = data.get(table, {})
            if not isinstance(raw, dict) or not all(isinstance(v, str) for v in raw.values()):
                raise RunbookSettingsError(f"'{table}' maps custodian names to texts")
            named[table] = {str(k): v.strip() for k, v in raw.items() if v.strip()}
        minutes = data.get("alternate_after_minutes", DEFAULT_ALTERNATE_MINUTES)
        if not isinstance(minutes, int) or isinstance(minutes, bool) or not 1 <= minutes <= 1440:
            raise RunbookSettingsError("'alternate_after_minutes' must be 1 to 1440")
        key = data.get("audit_public_key")
        if key is not None and not isinstance(key, str):
            raise RunbookSettingsError("'audit_public_key' must be text")
        timings = {}
        for name in ("reveal_seconds", "clipboard_seconds"):
            value = data.get(name, 0)
            if not isinstance(value, int) or isinstance(value, bool) or not 0 <= value <= 3600:
                raise RunbookSettingsError(f"'{name}' must be 0 to 3600")
            timings[name] = value
        return cls(
            incident_example=_text(data, "incident_example"),
            **timings,
            triggers=_texts(data.get("triggers", []), "triggers"),
            who_may_invoke=_text(data, "who_may_invoke"),
            approval=_text(data, "approval"),
            incident_channel=_text(data, "incident_channel"),
            contacts=contacts,
            alternates=named["alternates"],
            locations=named["locations"],
            primaries=_texts(data.get("primaries", []), "primaries"),
            alternate_after_minutes=minutes,
            escalation=_texts(data.get("escalation", []), "escalation"),
            device=_text(data, "device"),
            audit_public_key=key,
        )


@dataclass(frozen=True)
class RunbookInputs:
    set_info: SetInfo
    settings: RunbookSettings = field(default_factory=RunbookSettings)
    app_version: str = APP_VERSION
    set_card: str = ""  # the signed set card's QR text (BGC1…), printed as a QR code
    set_card_signer: str = ""  # the fingerprint of the key that signed it


def render_runbook(inputs: RunbookInputs, *, out: Path, paper: str = "a4") -> Path:
    return write_pdf(out, runbook_pdf(inputs, paper), private=False)


def runbook_pdf(inputs: RunbookInputs, paper: str = "a4") -> bytes:
    return _Runbook(inputs, paper).build()


def call_order(info: SetInfo, primaries: tuple[str, ...]) -> dict[int, bool]:
    """Share number -> True if that custodian is called first.

    Named ``primaries`` win; otherwise the first quorum of each group (the first M members
    of a plain M-of-N set). Everyone else is an alternate.
    """
    if primaries:
        wanted = {p.strip().casefold() for p in primaries}
        return {s.number: s.custodian.strip().casefold() in wanted for s in info.shares}
    first: dict[int, bool] = {}
    for _, threshold, members in info.group_members():
        for pos, s in enumerate(members):
            first[s.number] = pos < threshold
    return first


class _Runbook:
    def __init__(self, inputs: RunbookInputs, paper: str) -> None:
        self.info = inputs.set_info
        self.cfg = inputs.settings
        self.version = inputs.app_version
        self.card = (inputs.set_card, inputs.set_card_signer)
        self.paper = paper
        texts = [self.info.label, self.cfg.who_may_invoke, self.cfg.approval]
        texts += [self.cfg.incident_channel, self.cfg.device, *self.cfg.triggers]
        texts += [*self.cfg.escalation, *(c for v in self.cfg.contacts.values() for c in v)]
        texts += [*self.cfg.alternates.values(), *self.cfg.locations.values()]
        texts += [t for s in self.info.shares for t in (s.custodian, s.role, s.group)]
        self.fonts = fonts_for(texts)
        self.st = Styles(self.fonts)
        self.width = content_width(paper)

    def people(
        self,
        text: str,
        *,
        size: float = 10,
        face: str = "regular",
        prefix: str = "",
        indent: float = 0.0,
        space_after: float = 0.0,
    ) -> ScriptText:
        return ScriptText(
            text,
            self.fonts,
            size=size,
            leading=size * 1.35,
            face=face,
            prefix=prefix,
            indent=indent,
            space_after=space_after,
        )

    def cell(self, text: str) -> ScriptText:
        return ScriptText(text, self.fonts, size=8.8, leading=11)

    def blank(self, lines: int = 1, height: float = 7 * mm) -> Table:
        """Lines to write on by hand (a field the host left empty)."""
        return _blank_lines(lines, height)

    def build(self) -> bytes:
        info = self.info
        story: list[Flowable] = [
            Paragraph("BREAK-GLASS RUNBOOK", self.st.title),
            self.people(info.label or "(unlabelled credential)", size=15, face="bold"),
            Paragraph(
                "Read it top to bottom. Do the steps in order. Nothing here needs to be "
                "remembered: it is all on this paper.",
                self.st.subtitle,
            ),
            Spacer(1, 4 * mm),
            key_value_table(
                self.st,
                [
                    ("Credential", self.people(info.label or "(no label)")),
                    ("Set fingerprint", Paragraph(info.fingerprint_text, self.st.big_mono)),
                    ("Quorum", esc(_capital(info.policy.describe()))),
                    ("Shares", f"{info.total}, created {info.created.isoformat()}"),
                    (
                        "Incident channel",
                        self.people(self.cfg.incident_channel, face="bold")
                        if self.cfg.incident_channel
                        else self.blank(),
                    ),
                ],
                self.width,
            ),
        ]
        story += self._triggers()
        story += self._authorisation()
        story += self._convene()
        story += self._reconstruct()
        story += self._use()
        story += self._after()
        story += self._escalation()
        if self.card[0]:
            from .cardqr import set_card_section  # noqa: PLC0415

            story += set_card_section(self.st, self.card[0], self.card[1], self.width)
        return build_pdf(
            story,
            paper=self.paper,
            title=f"Break-glass runbook - {info.label}",
            subject=f"Set {info.fingerprint_text}",
            fonts=self.fonts,
            footer=lambda page, total: (
                f"Runbook - set {info.fingerprint_text} - generated by Breakglass "
                f"{self.version} - page {page} of {total}"
            ),
        )

    def _section(self, number: int, title: str) -> Paragraph:
        return Paragraph(f"{number}. {title}", self.st.h2)

    # 1 -------------------------------------------------------------------------------------
    def _triggers(self) -> list[Flowable]:
        given: list[Flowable] = [
            self.people(t, prefix="\u2022", indent=7 * mm, space_after=2.5)
            for t in self.cfg.triggers
        ]
        triggers = [
            "Normal access to <b>this credential</b> has failed "
            "(for example single sign-on or the identity provider is down), <b>and</b> the "
            "failure has been confirmed by a second person for 15 minutes or more.",
            "The work cannot wait for normal access to come back: production is down, data is "
            "at risk, or a security incident needs this access now.",
        ]
        return [
            self._section(1, "Use this only if"),
            *(given or self.st.bullets(triggers)),
            Paragraph(
                "Not sure? Then it is not yet time. Ask in the incident channel (page 1) and "
                "keep trying normal access.",
                self.st.body,
            ),
            *self._rules(),
        ]

    def _rules(self) -> list[Flowable]:
        """This installation's ceremony rules (``breakglass settings show``), when given."""
        cfg = self.cfg
        parts = []
        if cfg.incident_example:
            parts.append(
                f"Have the incident reference ready, of the form <b>{esc(cfg.incident_example)}"
                "</b>: Breakglass refuses any other."
            )
        if cfg.reveal_seconds:
            parts.append(f"The credential is shown for {cfg.reveal_seconds} seconds")
            if cfg.clipboard_seconds:
                parts[-1] += f" and stays on the clipboard for {cfg.clipboard_seconds} seconds"
            parts[-1] += ", then it is wiped: have the target system open first."
        return [Paragraph(" ".join(parts), self.st.body)] if parts else []

    # 2 -------------------------------------------------------------------------------------
    def _authorisation(self) -> list[Flowable]:
        default_who = (
            "the incident commander, or any on-call engineer with the incident commander's "
            "agreement"
        )
        default_approval = "the incident commander (if that is not you)"
        out: list[Flowable] = [self._section(2, "Who may start it, and how it is recorded")]
        if self.cfg.who_may_invoke:
            out += [
                Paragraph("1.&nbsp;&nbsp;Who may start it:", self.st.step),
                self.people(self.cfg.who_may_invoke, indent=7 * mm, space_after=2.5),
            ]
        else:
            out.append(Paragraph(f"1.&nbsp;&nbsp;Who may start it: {default_who}.", self.st.step))
        if self.cfg.approval:
            out += [
                Paragraph("2.&nbsp;&nbsp;Get the go-ahead first, in writing, of:", self.st.step),
                self.people(self.cfg.approval, indent=7 * mm, space_after=2.5),
            ]
        else:
            out.append(
                Paragraph(
                    f"2.&nbsp;&nbsp;Get the go-ahead of {default_approval} first, in writing.",
                    self.st.step,
                )
            )
        out += [
            Paragraph(
                "3.&nbsp;&nbsp;Post in <b>the incident channel</b> (page 1) before you call "
                "anyone. Using break-glass is itself an event: it must be loud.",
                self.st.step,
            ),
            self.people(
                f"\u201cInvoking break-glass for {self.info.label or 'this credential'} "
                f"(set {self.info.fingerprint_text}). Reason: ... Approved by: ...\u201d",
                face="oblique",
                indent=7 * mm,
                space_after=2.5,
            ),
            Paragraph(
                "4.&nbsp;&nbsp;Breakglass records the reconstruction in its audit log (time, "
                "set, which shares were used). Keep the post's link for the review record.",
                self.st.step,
            ),
        ]
        return out

    # 3 -------------------------------------------------------------------------------------
    def _convene(self) -> list[Flowable]:
        info = self.info
        first = call_order(info, self.cfg.primaries)
        minutes = self.cfg.alternate_after_minutes
        grouped = not info.policy.is_simple
        header = ["#", "Custodian", "Role"]
        widths = [8 * mm, 36 * mm, 28 * mm]
        if grouped:
            header.append("Group")
            widths.append(22 * mm)
        header += ["How to reach them", "Alternate", "Call"]
        rest = self.width - sum(widths) - 24 * mm
        widths += [rest * 0.55, rest * 0.45, 24 * mm]
        rows: list[list[str | Flowable]] = []
        for s in info.shares:
            where = _lookup(self.cfg.locations, s.custodian)
            who = s.custodian or "(not named)"
            row: list[str | Flowable] = [
                str(s.number),
                self.cell(f"{who}\n({where})" if where else who),
                self.cell(s.role or "-"),
            ]
            if grouped:
                row.append(self.cell(s.group))
            row.append(self._channels(s))
            alternate = _lookup(self.cfg.alternates, s.custodian)
            row.append(self.cell(alternate) if alternate else _blank_lines(2, 5.5 * mm))
            row.append(
                "<b>first</b>"
                if first[s.number]
                else f"if a first-call custodian has not answered after {minutes} min"
            )
            rows.append(row)
        return [
            self._section(3, "Bring the quorum together"),
            Paragraph(
                f"You need <b>{esc(info.policy.describe())}</b>. Each custodian brings their "
                "own sealed envelope. No one else may open it.",
                self.st.body,
            ),
            Spacer(1, 2 * mm),
            grid_table(self.st, header, rows, widths),
            Spacer(1, 2 * mm),
            *self.st.steps(
                [
                    "Call everyone marked <b>first</b>, all at once. Say: <i>\u201cbreak-glass "
                    "for the credential on this runbook, bring your envelope, join the incident "
                    "channel\u201d</i>.",
                    f"If a first-call custodian has not answered after <b>{minutes} minutes</b>, "
                    "call their alternate, then the other custodians (same group, if the quorum "
                    "names groups). Do not wait longer.",
                    "A custodian who cannot come sends an encrypted envelope: give them the "
                    "one-time key from <b>Remote share…</b> (on the page that collects shares), "
                    "compare its safety code by voice; they use <b>Send my share from afar</b> "
                    "(or <i>age -r KEY -a</i>). Never a photo of a sheet; its words aloud only "
                    "if your policy allows it.",
                ]
            ),
        ]

    def _channels(self, s: CustodianEntry) -> Flowable:
        channels = self.cfg.contacts.get(s.custodian) or next(
            (v for k, v in self.cfg.contacts.items() if k.casefold() == s.custodian.casefold()),
            (),
        )
        if channels:
            return self.cell("\n".join(channels))
        return _blank_lines(2, 5.5 * mm)

    # 4 -------------------------------------------------------------------------------------
    def _reconstruct(self) -> list[Flowable]:
        device = (
            "the device below"
            if self.cfg.device
            else (
                "a clean, up-to-date company laptop that nobody else is logged in to, with a "
                "webcam, screen sharing and screen recording off, and no chat or cloud-sync tool "
                "watching the clipboard"
            )
        )
        return [
            self._section(4, "Reconstruct the credential"),
            Paragraph(
                f"Use <b>Breakglass {esc(self.version)}</b> (or any later version that reads "
                f"share format v{FORMAT_VERSION}) on {device}.",
                self.st.body,
            ),
            *([self.people(self.cfg.device, indent=7 * mm)] if self.cfg.device else []),
            Spacer(1, 2 * mm),
            *self.st.steps(
                [
                    "A clean laptop first needs the set card: <b>Import a set card</b>, "
                    + (
                        "photograph the code at the end of this runbook"
                        if self.card[0]
                        else "load its file"
                    )
                    + ", type the signer fingerprint printed there.",
                    "Open Breakglass and choose <b>Reconstruct</b>.",
                    "Each custodian checks their envelope is intact and its serial matches the "
                    "ceremony record, then opens it in front of the others.",
                    "Check that the set fingerprint on <b>every</b> sheet is "
                    f"<font name='{self.fonts.mono_bold}'>{self.info.fingerprint_text}</font>. "
                    "If a sheet shows another one, it is not part of this set: put it aside.",
                    "Hold each sheet's QR code 25 to 40 cm from the camera. A share printed in "
                    "several parts needs every part; the order does not matter.",
                    "If the camera cannot read a sheet, <b>type the share</b> instead: its "
                    "33 words and its numbered DATA lines. Each line has two check characters: "
                    "a typing mistake is caught on that line.",
                    "When the app says the quorum is reached, it shows the credential. If it "
                    "refuses a share it says which one and why: see section 7.",
                    "No computer can run Breakglass? The format is open: every share sheet "
                    "carries, on its last pages, the steps to recover the credential with any "
                    "SLIP-39 tool and AES-256-GCM.",
                ]
            ),
        ]

    # 5 -------------------------------------------------------------------------------------
    def _use(self) -> list[Flowable]:
        return [
            KeepTogether(
                [
                    self._section(5, "Use the credential, and only for this"),
                    Paragraph(
                        "Do only the action the incident needs. Nothing else, even if it "
                        "would be handy while you are in.",
                        self.st.warning,
                    ),
                    *self.st.bullets(
                        [
                            "<b>Do not save it</b>: not in a file, a password manager, a "
                            "browser or a note.",
                            "<b>Do not paste it into chat, tickets or e-mail</b>, and do not "
                            "read it aloud on a recorded call.",
                            "Type or paste it only into the system that needs it, then close "
                            "Breakglass: it wipes the credential from memory and the clipboard.",
                            "Post in the incident channel what you did with it, and when you "
                            "stopped.",
                        ]
                    ),
                ]
            )
        ]

    # 6 -------------------------------------------------------------------------------------
    def _after(self) -> list[Flowable]:
        return [
            KeepTogether(
                [
                    self._section(6, "After use: mandatory, the same day"),
                    *self.st.steps(
                        [
                            "<b>Rotate</b> the credential: the reconstructed value must not "
                            "stay in use beyond the in-scope action.",
                            "<b>Re-split</b> the new credential in a new ceremony and "
                            "<b>redistribute</b> the new portions. The old sheets are now "
                            "useless: collect them and shred them, and note it on the new "
                            "ceremony record.",
                            "<b>File the incident report</b>: why normal access failed, what "
                            "was done with the credential, by whom, when.",
                            "<b>Write the review record</b>: who invoked, who approved, which "
                            "custodians came, how long the quorum took, what in this runbook "
                            "was wrong or stale. Then update this runbook and reprint it.",
                        ]
                    ),
                ]
            )
        ]

    # 7 -------------------------------------------------------------------------------------
    def _escalation(self) -> list[Flowable]:
        given: list[Flowable] = [
            self.people(e, prefix=f"{n}.", indent=7 * mm, space_after=2.5)
            for n, e in enumerate(self.cfg.escalation, start=1)
        ]
        contacts = [
            "The security lead on call.",
            "The head of engineering or the CTO, who may authorise a bypass of this procedure "
            "(record who and why: every bypass counts against the bypass rate the review "
            "looks at).",
        ]
        items: list[Flowable] = [
            self._section(7, "If reconstruction fails"),
            *self.st.bullets(
                [
                    "<b>A share is refused as damaged or mistyped</b>: type it again from its "
                    "sheet; the app names the line with the mistake.",
                    "<b>A share belongs to another set</b>: that custodian brought the wrong "
                    "envelope. Ask for the right one, or call an alternate.",
                    "<b>Shares pass their own checks but do not open the credential</b>: one is "
                    "forged or from a tampered set. Bring one more custodian's share so the app "
                    "can tell which; report it as a security incident.",
                    "<b>Not enough custodians reachable</b>: call the alternates, then escalate.",
                ]
            ),
            Spacer(1, 2 * mm),
            Paragraph("Escalate, in this order:", self.st.body),
            *(given or self.st.steps(contacts)),
        ]
        if self.cfg.audit_public_key:
            items += [
                Paragraph("Audit log key", self.st.h2),
                Paragraph(
                    "The audit log of these ceremonies is signed with this public key; a "
                    "reviewer checks the log against it:",
                    self.st.body,
                ),
                Paragraph(_breakable(esc(self.cfg.audit_public_key)), self.st.mono),
            ]
        return items


def _lookup(table: Mapping[str, str], name: str) -> str:
    if name in table:
        return table[name]
    return next((v for k, v in table.items() if k.casefold() == name.casefold()), "")


def _blank_lines(lines: int, height: float) -> Table:
    """``lines`` ruled lines to write on by hand."""
    table = Table([[""]] * lines, rowHeights=[height] * lines)
    table.setStyle(
        TableStyle(
            [
                ("LINEBELOW", (0, 0), (-1, -1), 0.5, colors.grey),
                ("LEFTPADDING", (0, 0), (-1, -1), 0),
                ("RIGHTPADDING", (0, 0), (-1, -1), 0),
            ]
        )
    )
    return table


def _text(data: Mapping[str, object], key: str) -> str:
    value = data.get(key, "")
    if not isinstance(value, str):
        raise RunbookSettingsError(f"'{key}' must be text")
    return value.strip()


def _texts(value: object, what: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise RunbookSettingsError(f"'{what}' must be a list of texts")
    return tuple(v.strip() for v in value if v.strip())


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def _breakable(text: str) -> str:
    """Let a long key wrap: a line break every 64 characters (keys have no spaces)."""
    return "<br/>".join(text[i : i + 64] for i in range(0, len(text), 64))
