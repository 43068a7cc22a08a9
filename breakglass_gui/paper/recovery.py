"""The short, independent recovery steps printed as an appendix page.

Written from the share format (``core/share.py``, ``core/sealing.py``): a quorum of SLIP-39
word lists gives the 32-byte set key with any SLIP-39 tool; the key opens the sealed
credential, which every share carries in its data lines. The script below is tested against
real sets (tests/unit/test_paper_recovery.py), so the page cannot drift from the format.
"""

from __future__ import annotations

__all__ = ["RECOVERY_SCRIPT", "RECOVERY_STEPS", "RECOVERY_TITLE", "SPEC_POINTER"]

RECOVERY_TITLE = "Recovering without Breakglass"
SPEC_POINTER = "resources/spec/FORMAT.md, section 'Recovering without Breakglass'"

RECOVERY_STEPS: tuple[str, ...] = (
    "Gather a quorum of share sheets of the same set (the set fingerprint printed on each must "
    "be the same). You need exactly the quorum: the rule is printed on every sheet.",
    "From each sheet, type the 33 numbered words (the share's SLIP-39 words) and the numbered "
    "DATA lines. On each data line, the last 2 characters are checks; the 8 before them are "
    "data, in Crockford base32 (0-9 A-Z without I L O U).",
    "The set key: combine the word lists with any SLIP-39 implementation, empty passphrase "
    "(for example Trezor's python-shamir-mnemonic: 'shamir recover'). The result is a 32-byte "
    "master secret K. In a group of the kind 'any 1 of ...', every member holds the same words: "
    "enter them once.",
    "The record: join the data characters of all lines in order and decode them as base32 "
    "(5 bits per character, drop the final spare bits). Bytes: kind (1), check (4), share "
    "number (1), custodian and role (each: length byte + UTF-8), then the set header "
    "H = flags (1) + creation day (2 bytes, days since 1970-01-01) + policy (1 byte + 1 byte "
    "per group, + length-prefixed group names if there are several groups) + label (length "
    "byte + UTF-8), then the Merkle path (8 bytes per level, 0 to 6 levels), then the sealed "
    "credential: C (as long as the credential) + a 20-byte commitment to the key.",
    "The credential: decrypt C with AES-256 in CTR mode under K, starting from the counter "
    "block of 12 zero bytes + 00000002 (GCM's keystream); re-encrypt the result with "
    "AES-256-GCM (key K, 12 zero bytes nonce, associated data 'BG2' + H) to get its 16-byte "
    "tag T; the credential is right only when SHA-256('BG2 commit' + K + nonce + 'BG2' + H + "
    "T) begins with the 20 commitment bytes. Only the right path length passes: try 0 to 6 "
    "levels. A wrong, forged or inconsistent share can never produce a wrong credential.",
    "The script below does steps 3-5 with Python 3 and the packages 'cryptography' and "
    "'shamir-mnemonic'. Save each typed share in its own file and run: "
    "python3 recover.py share-a.txt share-b.txt > credential",
)

RECOVERY_SCRIPT = """\
import hashlib, re, sys
import shamir_mnemonic
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
B32 = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
words, data = [], None
for name in sys.argv[1:]:
    text = open(name).read().upper()
    head, lines = re.split(r"(?m)^ *DATA\\b", text, maxsplit=1)
    w = re.findall(r"[A-Z]+", re.split(r"(?m)^ *WORDS\\b", head, maxsplit=1)[-1])
    words.append(" ".join(w).lower())
    chars = "".join(re.findall(r"(?m)^ *\\d+ +(\\S{1,4}(?: \\S{1,4})?) +\\S\\S *$", lines))
    chars = chars.replace(" ", "").replace("O", "0").replace("I", "1").replace("L", "1")
    n = len(chars) * 5 // 8
    value = 0
    for c in chars:
        value = value * 32 + B32.index(c)
    data = (value >> (len(chars) * 5 - n * 8)).to_bytes(n, "big")
key = shamir_mnemonic.combine_mnemonics(list(dict.fromkeys(words)), b"")
off = 6
off += 1 + data[off]  # custodian
off += 1 + data[off]  # role
h = off
groups = (data[off + 3] & 15) + 1
off += 4 + groups
if groups > 1:
    for _ in range(groups):
        off += 1 + data[off]
off += 1 + data[off]  # label
ad = b"BG2" + data[h:off]
for levels in range(7):
    body, commit = data[off + 8 * levels:-20], data[-20:]
    ctr = Cipher(algorithms.AES(key), modes.CTR(bytes(12) + bytes([0, 0, 0, 2]))).decryptor()
    plain = ctr.update(body) + ctr.finalize()
    tag = AESGCM(key).encrypt(bytes(12), plain, ad)[len(body):]
    if hashlib.sha256(b"BG2 commit" + key + bytes(12) + ad + tag).digest()[:20] == commit:
        sys.stdout.buffer.write(plain)
        break
else:
    sys.exit("these shares do not open the sealed credential")
"""
