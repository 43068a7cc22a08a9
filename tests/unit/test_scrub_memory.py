"""scrub_freed_memory takes back the C library's freed blocks and overwrites them.

Libraries such as zxing-cpp keep a decoded QR text in small malloc blocks that CPython never
sees; freed, such a block keeps its bytes until reused. The check runs in a child process (a
fresh heap, nothing else allocating in between): blocks of several sizes are filled with a
marker and freed; the control reads the marker back from the freed blocks, then after
``scrub_freed_memory()`` not one byte of it is left in them.
"""

from __future__ import annotations

import json
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent(
    """
    import ctypes, json, sys
    from breakglass_gui.core import secret

    malloc, free, usable, _trim = secret._C_ALLOCATOR
    sizes = [24, 40, 120, 300, 600, 1000]
    blocks = []
    for size in sizes:
        p = malloc(size)
        ctypes.memset(p, 0x5A, usable(p))  # "ZZZZ..."
        blocks.append((p, usable(p)))
    for p, _n in blocks:
        free(p)
    # the allocator's own bookkeeping overwrites the first 16 bytes of a freed block
    def left(p, n):
        return ctypes.string_at(p + 16, n - 16).count(b"Z")
    before = [left(p, n) for p, n in blocks]
    secret.scrub_freed_memory() if sys.argv[1] == "scrub" else None
    after = [left(p, n) for p, n in blocks]
    print(json.dumps({"before": before, "after": after}))
    """
)


def _run(mode: str) -> dict[str, list[int]]:
    out = subprocess.run(
        [sys.executable, "-c", CHILD, mode],
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    result: dict[str, list[int]] = json.loads(out.stdout.strip().splitlines()[-1])
    return result


@pytest.mark.skipif(
    not sys.platform.startswith("linux"), reason="reads freed glibc blocks: Linux only"
)
def test_freed_c_blocks_are_overwritten_by_the_scrub() -> None:
    control = _run("none")
    # the control: freed, the blocks still hold the marker (else the check proves nothing)
    assert all(n > 0 for n in control["before"]), control
    assert control["after"] == control["before"], control
    scrubbed = _run("scrub")
    assert all(n > 0 for n in scrubbed["before"]), scrubbed
    assert scrubbed["after"] == [0] * len(scrubbed["after"]), scrubbed
