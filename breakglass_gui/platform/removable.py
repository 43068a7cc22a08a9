"""Removable drives mounted right now (Linux): where share sheets should go, not the laptop.

Read from the kernel's own tables, no new dependency: ``/proc/mounts`` (what is mounted
where, read-write or not) and ``/sys/block`` (which disks are removable). A mounted
filesystem counts when its disk says ``removable`` = 1 (SD cards, most USB sticks) or sits on
the USB bus (USB hard disks and SSDs often report 0). Read-only mounts, pseudo and loop
devices, and anything that cannot be traced to a disk are left out. On other systems the list
is empty (Windows drive types and macOS ``/Volumes`` are not read here).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = ["RemovableDrive", "removable_drives"]

#: File systems that a removable drive may carry and a host may write share sheets to.
_FS_TYPES = frozenset(
    {"vfat", "exfat", "ntfs", "ntfs3", "fuseblk", "ext2", "ext3", "ext4", "btrfs", "xfs", "f2fs"}
    | {"hfsplus", "apfs", "udf"}
)


@dataclass(frozen=True)
class RemovableDrive:
    """One mounted filesystem on a removable disk."""

    mount_point: Path
    device: str  # as in the mount table, e.g. /dev/sdb1
    disk: str  # the kernel's disk name, e.g. sdb
    fs_type: str
    usb: bool

    @property
    def name(self) -> str:
        """What the host recognises: the mount point's last part (usually the volume label)."""
        return self.mount_point.name or str(self.mount_point)


def _unescape(field: str) -> str:
    """The mount table writes space, tab, newline and backslash as octal escapes (\\040)."""
    out, i = [], 0
    while i < len(field):
        if field[i] == "\\" and i + 3 < len(field) and field[i + 1 : i + 4].isdigit():
            out.append(chr(int(field[i + 1 : i + 4], 8)))
            i += 4
        else:
            out.append(field[i])
            i += 1
    return "".join(out)


def _disk_of(block: str, sys_block: Path) -> str | None:
    """The disk a block device belongs to: ``sdb`` for ``sdb1``, ``mmcblk0`` for
    ``mmcblk0p1`` (partitions are sub-folders of their disk in /sys/block)."""
    if (sys_block / block).exists():
        return block
    try:
        disks = sorted(p.name for p in sys_block.iterdir())
    except OSError:
        return None
    for disk in disks:
        if (sys_block / disk / block).is_dir():
            return disk
    return None


def _read(path: Path) -> str:
    try:
        return path.read_text(encoding="ascii", errors="replace").strip()
    except OSError:
        return ""


def removable_drives(
    mounts: Path = Path("/proc/mounts"),
    sys_block: Path = Path("/sys/block"),
    dev: Path = Path("/dev"),
) -> list[RemovableDrive]:
    """Writable mounted filesystems on removable or USB disks, in mount-table order."""
    if not sys.platform.startswith("linux") and mounts == Path("/proc/mounts"):
        return []
    try:
        table = mounts.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return []
    found: list[RemovableDrive] = []
    seen: set[Path] = set()
    for line in table.splitlines():
        fields = line.split()
        if len(fields) < 4:
            continue
        device, where, fs_type, options = fields[0], _unescape(fields[1]), fields[2], fields[3]
        if fs_type not in _FS_TYPES or "rw" not in options.split(","):
            continue
        if not device.startswith(str(dev) + "/"):
            continue
        real = Path(os.path.realpath(device)) if dev == Path("/dev") else Path(device)
        block = real.name
        if block.startswith(("loop", "ram", "zram", "dm-", "md")):
            continue
        disk = _disk_of(block, sys_block)
        if disk is None:
            continue
        removable = _read(sys_block / disk / "removable") == "1"
        try:
            usb = "/usb" in os.path.realpath(sys_block / disk)
        except OSError:
            usb = False
        mount_point = Path(where)
        if not (removable or usb) or mount_point in seen:
            continue
        seen.add(mount_point)
        found.append(RemovableDrive(mount_point, device, disk, fs_type, usb))
    return found
