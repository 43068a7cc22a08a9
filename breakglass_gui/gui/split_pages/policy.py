"""Step 2: how many shares, and how many are needed (presets, custom, groups)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtWidgets import (
    QButtonGroup,
    QGridLayout,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QRadioButton,
    QSpinBox,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from breakglass_gui.ceremony.split_flow import (
    PRESETS,
)
from breakglass_gui.core.errors import PolicyError
from breakglass_gui.core.policy import Policy

from .base import SplitPage, named, note

if TYPE_CHECKING:
    from ..split_wizard import SplitWizard

__all__ = ["PolicyPage"]


class PolicyPage(SplitPage):
    step_id = "policy"

    def __init__(self, wizard: SplitWizard) -> None:
        super().__init__(wizard)
        layout = QVBoxLayout(self)
        self.group = QButtonGroup(self)
        self.radios: dict[str, QRadioButton] = {}
        for preset in PRESETS:
            radio = QRadioButton(preset.title)
            key = preset.key.replace("-", "")
            named(radio, f"preset_{key}", preset.title)
            radio.setAccessibleDescription(preset.guidance)
            self.group.addButton(radio)
            self.radios[preset.key] = radio
            layout.addWidget(radio)
            guide = note(preset.guidance)
            guide.setContentsMargins(28, 0, 0, 6)
            layout.addWidget(guide)
        self.custom = QRadioButton("Custom: any M of N shares")
        named(self.custom, "customPolicy", "Custom M of N policy")
        self.group.addButton(self.custom)
        layout.addWidget(self.custom)
        row = QHBoxLayout()
        row.setContentsMargins(28, 0, 0, 0)
        self.m = QSpinBox()
        named(self.m, "customM", "Shares needed (M)")
        self.m.setRange(2, 16)
        self.m.setValue(2)
        self.n = QSpinBox()
        named(self.n, "customN", "Shares in all (N)")
        self.n.setRange(2, 16)
        self.n.setValue(3)
        row.addWidget(QLabel("any"))
        row.addWidget(self.m)
        row.addWidget(QLabel("of"))
        row.addWidget(self.n)
        row.addWidget(QLabel("shares"))
        row.addStretch(1)
        layout.addLayout(row)

        self.grouped = QRadioButton("Groups: a quorum of groups, each with its own quorum")
        named(self.grouped, "groupPolicy", "Group policy")
        self.group.addButton(self.grouped)
        layout.addWidget(self.grouped)
        gbox = QWidget()
        g = QGridLayout(gbox)
        g.setContentsMargins(28, 0, 0, 0)
        self.groups = QTableWidget(2, 3)
        named(self.groups, "groupsTable", "Groups: name, shares needed, shares in all")
        self.groups.setHorizontalHeaderLabels(["Group", "Needed", "Shares"])
        self.groups.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        for r, (name, m, n) in enumerate((("leadership", 1, 2), ("on-call", 2, 3))):
            for c, v in enumerate((name, str(m), str(n))):
                self.groups.setItem(r, c, QTableWidgetItem(v))
        self.groups.setMaximumHeight(150)
        self.group_threshold = QSpinBox()
        named(self.group_threshold, "groupThreshold", "Groups needed")
        self.group_threshold.setRange(1, 16)
        self.group_threshold.setValue(2)
        add = QPushButton("Add group")
        named(add, "addGroupButton", "Add a group")
        add.clicked.connect(lambda: self.groups.insertRow(self.groups.rowCount()))
        remove = QPushButton("Remove group")
        named(remove, "removeGroupButton", "Remove the selected group")
        remove.clicked.connect(
            lambda: (
                self.groups.removeRow(max(self.groups.currentRow(), 0))
                if self.groups.rowCount() > 1
                else None
            )
        )
        g.addWidget(QLabel("Groups needed:"), 0, 0)
        g.addWidget(self.group_threshold, 0, 1)
        g.addWidget(add, 0, 2)
        g.addWidget(remove, 0, 3)
        g.addWidget(self.groups, 1, 0, 1, 4)
        layout.addWidget(gbox)
        self.description = note("", "policyDescription")
        f = self.description.font()
        f.setBold(True)
        self.description.setFont(f)
        layout.addWidget(self.description)
        layout.addStretch(1)
        self.radios["2-of-3"].setChecked(True)
        self.group.buttonToggled.connect(lambda *_: self._update_description())
        self.m.valueChanged.connect(lambda _v: self._select(self.custom))
        self.n.valueChanged.connect(lambda _v: self._select(self.custom))
        self.groups.itemChanged.connect(lambda _i: self._select(self.grouped))
        self.group_threshold.valueChanged.connect(lambda _v: self._select(self.grouped))
        self.setFocusProxy(self.radios["2-of-3"])
        self._update_description()

    def _select(self, radio: QRadioButton) -> None:
        radio.setChecked(True)
        self._update_description()

    def build(self) -> tuple[Policy, str | None]:
        for key, radio in self.radios.items():
            if radio.isChecked():
                preset = next(p for p in PRESETS if p.key == key)
                return preset.policy, key
        if self.custom.isChecked():
            return Policy.simple(self.m.value(), self.n.value()), None
        spec = []
        for r in range(self.groups.rowCount()):
            cells = [self.groups.item(r, c) for c in range(3)]
            texts = [c.text().strip() if c else "" for c in cells]
            if not any(texts):
                continue
            try:
                spec.append((texts[0], int(texts[1]), int(texts[2])))
            except ValueError as exc:
                raise PolicyError(f"group row {r + 1}: needed and shares are numbers") from exc
        return Policy.grouped(self.group_threshold.value(), spec), None

    def _update_description(self) -> None:
        try:
            policy, _ = self.build()
        except PolicyError as exc:
            self.description.setText(f"Not a valid policy: {exc}")
            return
        self.description.setText(
            f"{policy.short()}: {policy.describe()} ({policy.total_shares} sheets to print)"
        )

    def enter(self) -> None:
        policy = self.ceremony.policy
        preset = self.ceremony.state.get("preset")
        if preset in self.radios:
            self.radios[preset].setChecked(True)
        elif policy is not None and policy.is_simple:
            self.m.setValue(policy.groups[0].threshold)
            self.n.setValue(policy.groups[0].count)
            self.custom.setChecked(True)
        elif policy is not None:  # a group policy (a rotation carries it over)
            self.groups.blockSignals(True)
            self.groups.setRowCount(len(policy.groups))
            for r, grp in enumerate(policy.groups):
                for c, v in enumerate((grp.name, str(grp.threshold), str(grp.count))):
                    self.groups.setItem(r, c, QTableWidgetItem(v))
            self.groups.blockSignals(False)
            self.group_threshold.setValue(policy.group_threshold)
            self.grouped.setChecked(True)
        self._update_description()

    def commit(self) -> list[str]:
        try:
            policy, preset = self.build()
            if preset:
                self.ceremony.choose_preset(preset)
            else:
                self.ceremony.set_policy(policy)
        except PolicyError as exc:
            return [f"Not a valid policy: {exc}"]
        return []
