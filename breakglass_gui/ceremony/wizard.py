"""A UI-free step graph for ceremonies (after Electrum's ``electrum/wizard.py``).

A flow is a mapping of step ids to :class:`Step` objects. Each step says where to go next
(a fixed id, or a resolver reading the state), what blocks leaving it (``check`` returns
problems in plain words), what deserves a warning without blocking (``warn``), and hooks run
on entering and leaving it. :class:`Wizard` walks the graph: ``next()``, ``back()``,
``finish()``, ``cancel()``. The Qt pages (``breakglass_gui.gui``) only attach a widget to
each step id, and the tests drive the whole flow without Qt.

Secrets never sit in the plain ``state.data`` dict (which may be copied, logged or shown):
they are kept by reference in ``state.secrets`` as :class:`SecretBytes`, and every one of
them is wiped when the wizard is cancelled or finished (or when its slot is replaced).

Example::

    steps = {
        "credential": Step("credential", next="policy", check=need_secret),
        "policy": Step("policy", next=lambda s: "custodians"),
        "custodians": Step("custodians"),  # no next: the last step
    }
    wizard = Wizard(steps, start="credential")
    wizard.state.set_secret("credential", SecretBytes(b"..."))
    wizard.next()
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from enum import Enum
from typing import Any

from breakglass_gui.core.errors import BreakglassError
from breakglass_gui.core.secret import SecretBytes

__all__ = [
    "Direction",
    "Step",
    "Wizard",
    "WizardError",
    "WizardState",
    "WizardStatus",
]


class WizardError(BreakglassError):
    """A move the graph does not allow (leaving a step with problems, going back at the start)."""


class Direction(Enum):
    FORWARD = "forward"
    BACK = "back"
    FINISH = "finish"
    CANCEL = "cancel"


class WizardStatus(Enum):
    RUNNING = "running"
    FINISHED = "finished"
    CANCELLED = "cancelled"


class WizardState:
    """What the flow has gathered so far.

    ``data`` holds plain, non-secret values (names, choices, paths, fingerprints). Secrets are
    held only through :meth:`set_secret` as ``SecretBytes`` references and are wiped by
    :meth:`wipe_secrets`. Objects that are not secret but are not worth copying (a share set,
    a worker handle) go in ``objects``; they are dropped, not copied, by :meth:`snapshot`.
    """

    def __init__(self, data: Mapping[str, Any] | None = None) -> None:
        self.data: dict[str, Any] = dict(data or {})
        self.objects: dict[str, Any] = {}
        self._secrets: dict[str, SecretBytes] = {}

    # -- plain data -----------------------------------------------------------------------
    def __getitem__(self, key: str) -> Any:
        return self.data[key]

    def __setitem__(self, key: str, value: Any) -> None:
        if isinstance(value, (bytes, bytearray, memoryview)):
            raise TypeError(f"{key!r}: byte values go through set_secret(), not the plain state")
        self.data[key] = value

    def __contains__(self, key: object) -> bool:
        return key in self.data

    def get(self, key: str, default: Any = None) -> Any:
        return self.data.get(key, default)

    def snapshot(self) -> dict[str, Any]:
        """A deep copy of the plain data (never secrets, never ``objects``)."""
        return copy.deepcopy(self.data)

    # -- secrets ----------------------------------------------------------------------------
    def set_secret(self, name: str, secret: SecretBytes) -> None:
        """Hold ``secret`` by reference (the state owns it from now on). A previous one is wiped."""
        if not isinstance(secret, SecretBytes):
            raise TypeError("secrets must be SecretBytes")
        old = self._secrets.get(name)
        if old is not None and old is not secret:
            old.wipe()
        self._secrets[name] = secret

    def secret(self, name: str) -> SecretBytes | None:
        return self._secrets.get(name)

    def has_secret(self, name: str) -> bool:
        s = self._secrets.get(name)
        return s is not None and len(s) > 0 and not s.is_wiped

    def drop_secret(self, name: str) -> None:
        """Wipe and forget one secret."""
        s = self._secrets.pop(name, None)
        if s is not None:
            s.wipe()

    def wipe_secrets(self) -> None:
        """Wipe and forget every secret held."""
        for name in list(self._secrets):
            self.drop_secret(name)

    def secret_names(self) -> list[str]:
        return list(self._secrets)

    def __repr__(self) -> str:
        return f"<WizardState keys={sorted(self.data)} secrets={sorted(self._secrets)} (redacted)>"

    def __deepcopy__(self, memo: dict[int, Any]) -> WizardState:
        raise TypeError("copy WizardState.snapshot() instead: secrets are never copied")


Resolver = Callable[[WizardState], "str | None"]
Check = Callable[[WizardState], list[str]]
Hook = Callable[[WizardState], None]
LeaveHook = Callable[[WizardState, Direction], None]


def _no_problems(state: WizardState) -> list[str]:
    return []


def _nothing(state: WizardState) -> None:
    return None


def _nothing_on_leave(state: WizardState, direction: Direction) -> None:
    return None


@dataclass
class Step:
    """One step of a flow.

    ``next``: the id of the following step, a resolver ``state -> id``, or ``None`` when this
    is the last step (a resolver may also return ``None``). ``check`` lists what blocks going
    forward (or finishing), in words meant for the person at the keyboard; ``warn`` lists what
    they should see but may accept. ``on_enter`` runs when the step becomes current (forward
    or back); ``on_leave`` runs when it stops being current, with the direction.
    ``can_go_back`` False makes a point of no return (e.g. after the shares are printed); a
    callable decides from the state (e.g. back only to a step that may be seen again).
    """

    id: str
    title: str = ""
    next: str | Resolver | None = None
    check: Check = _no_problems
    warn: Check = _no_problems
    on_enter: Hook = _nothing
    on_leave: LeaveHook = _nothing_on_leave
    can_go_back: bool | Callable[[WizardState], bool] = True
    params: dict[str, Any] = field(default_factory=dict)

    def resolve_next(self, state: WizardState) -> str | None:
        if self.next is None or isinstance(self.next, str):
            return self.next
        return self.next(state)

    def may_go_back(self, state: WizardState) -> bool:
        if isinstance(self.can_go_back, bool):
            return self.can_go_back
        return bool(self.can_go_back(state))


Listener = Callable[["Wizard"], None]


class Wizard:
    """Walks a step graph, keeping a history for ``back()``.

    Listeners (``subscribe``) are called after every move, cancel and finish; the GUI uses
    that to show the page attached to ``current``. ``on_finish`` and ``on_cancel`` callbacks
    run before the secrets are wiped, so they may still read them (e.g. a final test-combine)
    and record what happened (registry, audit log). The secrets are wiped even if they raise.
    """

    def __init__(
        self,
        steps: Mapping[str, Step] | list[Step],
        start: str,
        state: WizardState | None = None,
        *,
        on_finish: Hook = _nothing,
        on_cancel: Hook = _nothing,
    ) -> None:
        if isinstance(steps, list):
            steps = {s.id: s for s in steps}
        if start not in steps:
            raise WizardError(f"the start step {start!r} is not in the graph")
        for step in steps.values():
            if isinstance(step.next, str) and step.next not in steps:
                raise WizardError(f"step {step.id!r} leads to unknown step {step.next!r}")
        self.steps: dict[str, Step] = dict(steps)
        self.start = start
        self.state = state if state is not None else WizardState()
        self.history: list[str] = []
        self.current = start
        self.status = WizardStatus.RUNNING
        self._on_finish = on_finish
        self._on_cancel = on_cancel
        self._listeners: list[Listener] = []
        self.steps[start].on_enter(self.state)

    # -- observation --------------------------------------------------------------------------
    def subscribe(self, listener: Listener) -> None:
        self._listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self._listeners:
            self._listeners.remove(listener)

    def _notify(self) -> None:
        for listener in list(self._listeners):
            listener(self)

    @property
    def step(self) -> Step:
        return self.steps[self.current]

    @property
    def running(self) -> bool:
        return self.status is WizardStatus.RUNNING

    def problems(self) -> list[str]:
        """What blocks leaving the current step forward (empty when it may be left)."""
        if not self.running:
            return ["the ceremony is over"]
        return list(self.step.check(self.state))

    def warnings(self) -> list[str]:
        if not self.running:
            return []
        return list(self.step.warn(self.state))

    def can_go_next(self) -> bool:
        return not self.problems()

    def is_last(self) -> bool:
        return self.step.resolve_next(self.state) is None

    def can_go_back(self) -> bool:
        return self.running and bool(self.history) and self.step.may_go_back(self.state)

    def path(self) -> Iterator[str]:
        """The steps visited so far and the current one, in order."""
        yield from self.history
        yield self.current

    # -- moves ----------------------------------------------------------------------------------
    def _require_running(self) -> None:
        if not self.running:
            raise WizardError(f"the ceremony is already {self.status.value}")

    def next(self) -> str:
        """Leave the current step forward; return the new current step id."""
        self._require_running()
        problems = self.problems()
        if problems:
            raise WizardError("; ".join(problems))
        target = self.step.resolve_next(self.state)
        if target is None:
            raise WizardError(f"{self.current!r} is the last step: finish instead")
        if target not in self.steps:
            raise WizardError(f"step {self.current!r} leads to unknown step {target!r}")
        self.step.on_leave(self.state, Direction.FORWARD)
        self.history.append(self.current)
        self.current = target
        self.step.on_enter(self.state)
        self._notify()
        return self.current

    def back(self) -> str:
        """Return to the previous step (data entered is kept); return its id."""
        self._require_running()
        if not self.history:
            raise WizardError("already at the first step")
        if not self.step.may_go_back(self.state):
            raise WizardError(f"there is no going back from {self.current!r}")
        self.step.on_leave(self.state, Direction.BACK)
        self.current = self.history.pop()
        self.step.on_enter(self.state)
        self._notify()
        return self.current

    def finish(self) -> None:
        """Complete the flow from its last step; the secrets are wiped whatever happens."""
        self._require_running()
        if not self.is_last():
            raise WizardError(f"{self.current!r} is not the last step")
        problems = self.problems()
        if problems:
            raise WizardError("; ".join(problems))
        try:
            self.step.on_leave(self.state, Direction.FINISH)
            self._on_finish(self.state)
            self.status = WizardStatus.FINISHED
        finally:
            self.state.wipe_secrets()
        self._notify()

    def cancel(self) -> None:
        """Abandon the flow: hooks record it, then every secret is wiped. Idempotent."""
        if not self.running:
            self.state.wipe_secrets()
            return
        self.status = WizardStatus.CANCELLED
        try:
            self.step.on_leave(self.state, Direction.CANCEL)
            self._on_cancel(self.state)
        finally:
            self.state.wipe_secrets()
        self._notify()
