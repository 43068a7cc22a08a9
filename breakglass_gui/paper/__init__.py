"""Paper: share sheets, the ceremony record and the runbook, as reproducible PDFs.

Nothing here is ever given the credential: sheets are made from ``Share`` objects (which
carry only the sealed credential), the record and runbook from the set's public metadata.
"""

from __future__ import annotations

from .document import APP_VERSION, PAPER_SIZES
from .record import ceremony_record_pdf, render_ceremony_record
from .runbook import (
    RunbookInputs,
    RunbookSettings,
    RunbookSettingsError,
    render_runbook,
    runbook_pdf,
)
from .setinfo import CustodianEntry, SetInfo, SetInfoError
from .sheets import SheetOptions, render_share_sheet, share_sheet_pdf

__all__ = [
    "APP_VERSION",
    "PAPER_SIZES",
    "CustodianEntry",
    "RunbookInputs",
    "RunbookSettings",
    "RunbookSettingsError",
    "SetInfo",
    "SetInfoError",
    "SheetOptions",
    "ceremony_record_pdf",
    "render_ceremony_record",
    "render_runbook",
    "render_share_sheet",
    "runbook_pdf",
    "share_sheet_pdf",
]
