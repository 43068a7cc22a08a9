"""The real adapters behind the ceremony ports: paper PDFs and the audit trail.

* :class:`PaperRenderer` makes the share sheets, ceremony record and runbook with
  ``breakglass_gui.paper``.
* :class:`TrailSplitRecorder` records a split ceremony through ``audit.AuditTrail`` (signed
  log, registry, mirrors), keeping the ceremony id the trail hands out.
* :func:`trail_rows` works out the main window's per-set rows from the trail's registry.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from typing import Any

from breakglass_gui.audit.service import AuditTrail
from breakglass_gui.core.sealing import ShareSet
from breakglass_gui.core.share import Share
from breakglass_gui.paper.record import ceremony_record_pdf
from breakglass_gui.paper.runbook import RunbookInputs, RunbookSettings, runbook_pdf
from breakglass_gui.paper.setinfo import SetInfo
from breakglass_gui.paper.sheets import SheetOptions, share_sheet_pdf

from .overview import SetRow

__all__ = ["PaperRenderer", "TrailSplitRecorder", "trail_rows"]


class PaperRenderer:
    """``PdfRenderer`` over ``breakglass_gui.paper`` (A4 or letter)."""

    def __init__(self, paper: str = "a4", *, appendix: bool = True) -> None:
        self.paper = paper
        self.appendix = appendix

    def share_sheet(self, share: Share, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        who = str(context.get("who_to_call") or "")
        return share_sheet_pdf(
            share, SheetOptions(self.paper, who_to_call=who, appendix=self.appendix)
        )

    def ceremony_record(self, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        return ceremony_record_pdf(share_set, self.paper)

    def runbook(self, share_set: ShareSet, context: Mapping[str, Any]) -> bytes:
        contacts: dict[str, tuple[str, ...]] = {}
        for person in context.get("custodians") or []:
            name, contact = str(person.get("name") or ""), str(person.get("contact") or "")
            if name and contact:
                contacts.setdefault(name, ())
                contacts[name] += (contact,)
        settings = RunbookSettings(contacts=contacts)
        inputs = RunbookInputs(SetInfo.from_share_set(share_set), settings)
        return runbook_pdf(inputs, self.paper)


class TrailSplitRecorder:
    """``SplitRecorder`` over an :class:`AuditTrail`: one ceremony id per split ceremony."""

    def __init__(self, trail: AuditTrail) -> None:
        self.trail = trail
        self.ceremony: int | None = None

    def started(self, share_set: ShareSet, *, operator: str | None, replaces: str | None) -> None:
        if self.ceremony is not None:
            return
        self.ceremony = self.trail.split_started(
            label=share_set.header.label,
            policy=share_set.header.policy,
            custodians=[s.holder for s in share_set.shares],
            operator=operator,
            replaces=replaces,
        )

    def share_printed(self, share: Share, *, medium: str) -> None:
        self.trail.share_printed(share, ceremony=self.ceremony, medium=medium)

    def share_verified(self, share: Share, *, how: str) -> None:
        self.trail.share_verified(share, ceremony=self.ceremony, how=how)

    def finished(
        self,
        share_set: ShareSet,
        *,
        replaces: str | None,
        operator: str | None,
        contacts: Mapping[int, tuple[str, str]],
        scope: str = "",
    ) -> None:
        if self.ceremony is None:
            self.started(share_set, operator=operator, replaces=replaces)
        assert self.ceremony is not None
        self.trail.split_finished(
            self.ceremony,
            share_set,
            replaces=replaces,
            operator=operator,
            contacts=dict(contacts),
        )

    def aborted(self, reason: str) -> None:
        if self.ceremony is None:
            # Nothing was recorded yet: open the ceremony so that its abort is on the record.
            self.ceremony = self.trail.registry.start_ceremony("split", self.trail.now())
        self.trail.ceremony_aborted(self.ceremony, reason)


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    return dt.date.fromisoformat(text[:10])


def trail_rows(trail: AuditTrail) -> list[SetRow]:
    """One row per set in the registry, newest first, retired sets last."""
    stale: dict[str, list[int]] = {}
    for s in trail.stale_shares():
        stale.setdefault(s.set_fp, []).append(s.number)
    rows = []
    for rec in trail.registry.sets():
        drill = trail.registry.last_drill(rec.credential_id)
        rate = trail.bypass_rate(rec.credential_id)
        rows.append(
            SetRow(
                rec.fingerprint,
                rec.label,
                rec.policy_short,
                rec.status,
                _date(rec.created) or dt.date.min,
                rec.total_shares,
                _date(drill.started_at) if drill else None,
                tuple(sorted(stale.get(rec.fingerprint, []))),
                rate.current,
            )
        )
    rows.sort(key=lambda r: (r.status == "retired", -r.created.toordinal()))
    return rows
