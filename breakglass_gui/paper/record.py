"""The ceremony record: what a later audit asks for.

Set fingerprint, credential label, policy, each custodian with their share's number and
verification words, and lines for the date, place, host and witness signatures. It holds no
share material and no secret: file it, scan it, show it to auditors.
"""

from __future__ import annotations

from pathlib import Path

from reportlab.platypus import Flowable, Paragraph, Spacer

from breakglass_gui.core.sealing import ShareSet
from breakglass_gui.core.share import FORMAT_VERSION

from .document import APP_VERSION, mm, write_pdf
from .flow import (
    Styles,
    build_pdf,
    content_width,
    esc,
    grid_table,
    key_value_table,
    signature_table,
)
from .fonts import fonts_for
from .script import ScriptText
from .setinfo import SetInfo

__all__ = ["ceremony_record_pdf", "render_ceremony_record"]


def render_ceremony_record(
    share_set: ShareSet | SetInfo,
    *,
    out: Path,
    paper: str = "a4",
    app_version: str = APP_VERSION,
    custodian_risk: str = "",
    set_card: str = "",
    set_card_signer: str = "",
    audit_anchor: str = "",
) -> Path:
    """Write the ceremony record of a set (a ``ShareSet`` or its ``set.json`` facts)."""
    return write_pdf(
        out,
        ceremony_record_pdf(
            share_set,
            paper,
            app_version,
            custodian_risk,
            set_card=set_card,
            set_card_signer=set_card_signer,
            audit_anchor=audit_anchor,
        ),
        private=False,
    )


def ceremony_record_pdf(
    share_set: ShareSet | SetInfo,
    paper: str = "a4",
    app_version: str = APP_VERSION,
    custodian_risk: str = "",
    *,
    set_card: str = "",
    set_card_signer: str = "",
    audit_anchor: str = "",
) -> bytes:
    """The record; ``custodian_risk`` is the host's reason for accepting custodians who do
    not fail independently (printed in its own box), empty if none was needed; ``set_card``
    is the signed set card's QR text (printed as a QR code, with ``set_card_signer``)."""
    info = share_set if isinstance(share_set, SetInfo) else SetInfo.from_share_set(share_set)
    texts = [info.label, custodian_risk]
    texts += [t for s in info.shares for t in (s.custodian, s.role, s.group)]
    fonts = fonts_for(texts)

    def people(text: str, size: float = 8.8, face: str = "regular") -> ScriptText:
        return ScriptText(text, fonts, size=size, leading=size * 1.27, face=face)

    st = Styles(fonts)
    width = content_width(paper)
    grouped = not info.policy.is_simple

    story: list[Flowable] = [
        Paragraph("CEREMONY RECORD", st.title),
        Paragraph(
            "Break-glass share set. This record holds no share material and no secret: keep it "
            "with the audit records and the review record of every use.",
            st.subtitle,
        ),
        Spacer(1, 5 * mm),
        key_value_table(
            st,
            [
                ("Set fingerprint", Paragraph(info.fingerprint_text, st.big_mono)),
                *(
                    [("Set digest (full)", Paragraph(info.digest_lines, st.mono))]
                    if info.digest_text
                    else []
                ),
                ("Credential", people(info.label or "(no label)", 10)),
                (
                    "Quorum",
                    f"{esc(info.policy.describe())}<br/>"
                    f"<font size='8'>{esc(info.policy.short())}</font>",
                ),
                ("Shares", str(info.total)),
                ("Created", info.created.isoformat()),
                ("Printed by", f"Breakglass {esc(app_version)}, share format v{FORMAT_VERSION}"),
                (
                    "Audit anchor",
                    Paragraph(
                        f"<font name='{fonts.mono_bold}'>{esc(audit_anchor)}</font>"
                        "<font size='7'> (announced when the set was registered; check: "
                        "breakglass audit verify --anchor)</font>"
                        if audit_anchor
                        else "<font size='7'>copy here the anchor the split announced at its "
                        "end:</font> ________________________",
                        st.body,
                    ),
                ),
            ],
            width,
        ),
        Paragraph("Custodians and their shares", st.h2),
        Paragraph(
            "Each custodian checks that their sheet shows this set fingerprint, their share "
            "number and these verification words, seals it in a tamper-evident envelope, "
            "writes the envelope's serial here and initials the row.",
            st.body,
        ),
        Spacer(1, 3 * mm),
    ]
    header = ["#", "Custodian", "Role"]
    widths = [9 * mm, 36 * mm, 28 * mm]
    if grouped:
        header.append("Group")
        widths.append(22 * mm)
    header += ["Verification words", "Envelope serial", "Initials"]
    rest = width - sum(widths)
    widths += [rest * 0.42, rest * 0.38, rest * 0.20]
    rows: list[list[str | Flowable]] = []
    for s in info.shares:
        row: list[str | Flowable] = [
            str(s.number),
            people(s.custodian or "(not named)"),
            people(s.role or "-"),
        ]
        if grouped:
            row.append(people(s.group))
        row += [
            f"<font name='{fonts.mono_bold}'>{esc(' '.join(s.verification_words).upper())}</font>",
            "",
            "",
        ]
        rows.append(row)
    story += [grid_table(st, header, rows, widths, min_row_height=10 * mm)]
    if custodian_risk:
        story += [
            Paragraph("Custodian risk accepted by the host", st.h2),
            Paragraph(
                "Some custodians do not fail independently: one person, one location or one "
                "role alone reaches the quorum. The host accepted this, for this reason:",
                st.body,
            ),
            Spacer(1, 2 * mm),
            people(custodian_risk, 10, "bold"),
        ]
    story += [
        Paragraph("The ceremony", st.h2),
        Paragraph(
            "Kind (tick one):&nbsp;&nbsp;[&nbsp;&nbsp;] first split&nbsp;&nbsp;&nbsp;"
            "[&nbsp;&nbsp;] re-split after a use&nbsp;&nbsp;&nbsp;[&nbsp;&nbsp;] drill",
            st.body,
        ),
        Spacer(1, 3 * mm),
        signature_table(
            st,
            [
                "Date and time",
                "Location",
                "Host: name",
                "Host: signature",
                "Witness: name",
                "Witness: signature",
                "Device used (and that it was wiped or powered off)",
                "Old shares destroyed (if a re-split): by whom, how",
            ],
            width,
        ),
        Paragraph("Notes", st.h2),
        signature_table(st, ["", "", "", ""], width),
    ]
    if set_card:
        from .cardqr import set_card_section  # noqa: PLC0415

        story += set_card_section(st, set_card, set_card_signer, width)
    return build_pdf(
        story,
        paper=paper,
        title=f"Ceremony record - {info.label}",
        subject=f"Set {info.fingerprint_text}",
        fonts=fonts,
        footer=lambda page, total: (
            f"Ceremony record - set {info.fingerprint_text} - Breakglass {app_version} - "
            f"page {page} of {total}"
        ),
    )
