"""The alphabets a generated credential is drawn from, and its length: one rule for the split
wizard and ``breakglass split --generate`` (kept free of heavy imports: the CLI's parser lists
the names)."""

from __future__ import annotations

__all__ = ["ALPHABETS", "ALPHABET_NAMES", "GENERATED_LENGTH"]

ALPHABETS: dict[str, bytes] = {
    "letters and digits": b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789",
    "letters, digits and symbols": (
        b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789!#$%&*+-=?@^_~"
    ),
    "hexadecimal": b"0123456789abcdef",
    "unambiguous (no 0/O, 1/l/I)": b"ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789",
    "digits only": b"0123456789",
}
#: the command line's short names for the same alphabets (``split --alphabet NAME``)
ALPHABET_NAMES: dict[str, str] = {
    "printable": "letters, digits and symbols",
    "alnum": "letters and digits",
    "hex": "hexadecimal",
    "unambiguous": "unambiguous (no 0/O, 1/l/I)",
    "digits": "digits only",
}
#: the length of a generated credential, in characters
GENERATED_LENGTH = (8, 1024)
