"""Process hardening: core dumps off, PR_SET_DUMPABLE outside tests, mlock helper.

The prctl is checked in a child process so this test process stays readable.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from breakglass_gui.platform import hardening

linux_only = pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")


def _child(code: str, env_testing: str) -> str:
    import os

    env = dict(os.environ, BREAKGLASS_TESTING=env_testing)
    out = subprocess.run(
        [sys.executable, "-c", textwrap.dedent(code)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=True,
    )
    return out.stdout.strip()


@linux_only
def test_outside_tests_core_dumps_are_off_and_the_process_is_not_dumpable() -> None:
    out = _child(
        """
        import resource
        from breakglass_gui.platform.hardening import harden_process, is_dumpable
        before = is_dumpable()
        report = harden_process()
        print(before, report.core_dumps_disabled, report.not_dumpable, is_dumpable(),
              resource.getrlimit(resource.RLIMIT_CORE), report.summary())
        """,
        env_testing="0",
    )
    assert out == "True True True False (0, 0) core dumps off; not dumpable"


@linux_only
def test_under_tests_the_process_stays_dumpable_but_core_dumps_are_off() -> None:
    out = _child(
        """
        from breakglass_gui.platform.hardening import harden_process, is_dumpable
        report = harden_process()
        print(report.core_dumps_disabled, report.not_dumpable, is_dumpable(), report.notes)
        """,
        env_testing="1",
    )
    assert out.startswith("True None True (")
    assert "left alone under tests" in out


def test_lock_and_unlock_a_buffer() -> None:
    buf = bytearray(64)
    locked = hardening.lock_buffer(buf)
    if sys.platform.startswith("linux"):
        # mlock of 64 bytes is within every default RLIMIT_MEMLOCK
        assert locked
        assert hardening.unlock_buffer(buf)
    assert not hardening.lock_buffer(bytearray())
