"""The pages of the split wizard, one module per step of ``ceremony.split_flow``."""

from __future__ import annotations

from .base import SplitPage
from .credential import CredentialPage
from .custodians import CustodiansPage
from .policy import PolicyPage
from .printing import PrintPage
from .review import ReviewPage
from .verify import VerifyPage

__all__ = [
    "PAGE_CLASSES",
    "CredentialPage",
    "CustodiansPage",
    "PolicyPage",
    "PrintPage",
    "ReviewPage",
    "SplitPage",
    "VerifyPage",
]

PAGE_CLASSES: tuple[type[SplitPage], ...] = (
    CredentialPage,
    PolicyPage,
    CustodiansPage,
    ReviewPage,
    PrintPage,
    VerifyPage,
)
