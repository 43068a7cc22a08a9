"""The step-graph engine, driven without any UI."""

from __future__ import annotations

import copy

import pytest

from breakglass_gui.ceremony.wizard import (
    Direction,
    Step,
    Wizard,
    WizardError,
    WizardState,
    WizardStatus,
)
from breakglass_gui.core.secret import SecretBytes


def _need_name(state: WizardState) -> list[str]:
    return [] if state.get("name") else ["give the credential a name"]


def _graph(log: list[str]) -> list[Step]:
    def enter(sid: str):  # type: ignore[no-untyped-def]
        return lambda s: log.append(f"enter {sid}")

    def leave(sid: str):  # type: ignore[no-untyped-def]
        return lambda s, d: log.append(f"leave {sid} {d.value}")

    return [
        Step("a", next="b", check=_need_name, on_enter=enter("a"), on_leave=leave("a")),
        Step(
            "b",
            next=lambda s: "c" if s.get("long") else "d",
            on_enter=enter("b"),
            on_leave=leave("b"),
        ),
        Step("c", next="d", on_enter=enter("c"), on_leave=leave("c"), can_go_back=False),
        Step("d", on_enter=enter("d"), on_leave=leave("d")),
    ]


def test_walks_forward_by_resolver_and_back_by_history() -> None:
    log: list[str] = []
    w = Wizard(_graph(log), start="a")
    assert w.current == "a" and log == ["enter a"]
    assert not w.can_go_next() and w.problems() == ["give the credential a name"]
    with pytest.raises(WizardError, match="name"):
        w.next()
    w.state["name"] = "db root"
    assert w.next() == "b"
    assert w.next() == "d"  # "long" not set: the resolver skips c
    assert w.is_last()
    assert w.back() == "b"
    w.state["long"] = True
    assert w.next() == "c"
    assert not w.can_go_back()
    with pytest.raises(WizardError, match="no going back"):
        w.back()
    assert w.next() == "d"
    assert list(w.path()) == ["a", "b", "c", "d"]
    assert log[:5] == ["enter a", "leave a forward", "enter b", "leave b forward", "enter d"]
    assert "leave d back" in log


def test_finish_wipes_secrets_and_runs_hook_first() -> None:
    seen: list[bool] = []
    w = Wizard(
        [Step("only")],
        start="only",
        on_finish=lambda s: seen.append(s.has_secret("credential")),
    )
    secret = SecretBytes(b"hunter2-hunter2")
    w.state.set_secret("credential", secret)
    w.finish()
    assert seen == [True]
    assert secret.is_wiped and w.state.secret_names() == []
    assert w.status is WizardStatus.FINISHED
    with pytest.raises(WizardError):
        w.next()


def test_cancel_wipes_even_when_the_hook_fails() -> None:
    def boom(state: WizardState) -> None:
        raise OSError("disk full")

    w = Wizard(_graph([]), start="a", on_cancel=boom)
    secret = SecretBytes(b"s3cret")
    w.state.set_secret("credential", secret)
    with pytest.raises(OSError):
        w.cancel()
    assert secret.is_wiped
    assert w.status is WizardStatus.CANCELLED
    w.cancel()  # idempotent


def test_finish_only_from_last_step_without_problems() -> None:
    w = Wizard(_graph([]), start="a")
    with pytest.raises(WizardError, match="not the last"):
        w.finish()
    w.steps["d"].check = lambda s: ["verify every share first"]
    w.state["name"] = "x"
    w.next()
    w.next()
    with pytest.raises(WizardError, match="verify"):
        w.finish()
    assert w.running


def test_state_refuses_plain_bytes_and_never_copies_secrets() -> None:
    state = WizardState({"name": "x"})
    with pytest.raises(TypeError):
        state["secret"] = b"raw"
    with pytest.raises(TypeError):
        state.set_secret("k", bytearray(b"raw"))  # type: ignore[arg-type]
    first = SecretBytes(b"one")
    state.set_secret("k", first)
    state.set_secret("k", SecretBytes(b"two"))
    assert first.is_wiped  # replaced secrets are wiped
    assert "two" not in repr(state) and "k" in repr(state)
    assert state.snapshot() == {"name": "x"}
    with pytest.raises(TypeError):
        copy.deepcopy(state)


def test_listeners_and_leave_directions() -> None:
    log: list[str] = []
    w = Wizard(_graph(log), start="a")
    moves: list[str] = []
    w.subscribe(lambda wiz: moves.append(wiz.current))
    w.state["name"] = "x"
    w.next()
    w.cancel()
    assert moves == ["b", "b"]
    assert log[-1] == f"leave b {Direction.CANCEL.value}"


def test_rejects_unknown_targets() -> None:
    with pytest.raises(WizardError):
        Wizard([Step("a", next="nowhere")], start="a")
    with pytest.raises(WizardError):
        Wizard([Step("a")], start="b")
    w = Wizard([Step("a", next=lambda s: "ghost")], start="a")
    with pytest.raises(WizardError, match="ghost"):
        w.next()


def test_can_go_back_may_be_decided_by_the_state() -> None:
    """A step may allow Back only to some steps (the reveal back to the announcement, never
    back into the reconstruction)."""
    w = Wizard(
        [
            Step("a", next="b"),
            Step("b", next="c"),
            Step("c", can_go_back=lambda s: bool(s.get("allow_back"))),
        ],
        start="a",
    )
    w.next()
    w.next()
    assert not w.can_go_back()
    with pytest.raises(WizardError):
        w.back()
    w.state["allow_back"] = True
    assert w.can_go_back()
    assert w.back() == "b"
