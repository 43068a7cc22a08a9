"""Removable drives from a fake mount table and a fake /sys/block (platform.removable), and
the split's proposed folder on the first one (ceremony.split_flow.default_folder)."""

from __future__ import annotations

from pathlib import Path

from breakglass_gui.ceremony.split_flow import default_folder, folder_risk
from breakglass_gui.platform.removable import removable_drives

MOUNTS = """\
sysfs /sys sysfs rw,nosuid,nodev,noexec,relatime 0 0
/dev/nvme0n1p2 / ext4 rw,relatime 0 0
/dev/nvme0n1p1 /boot/efi vfat rw,relatime,fmask=0077 0 0
/dev/sdb1 /media/dee/KEYS\\040SAFE vfat rw,nosuid,nodev,relatime,uid=1000 0 0
/dev/sdc1 /media/dee/BACKUP ext4 rw,nosuid,nodev,relatime 0 0
/dev/sdd1 /media/dee/RO-STICK vfat ro,nosuid,nodev,relatime 0 0
/dev/mmcblk0p1 /media/dee/SDCARD exfat rw,nosuid,nodev,relatime 0 0
/dev/loop3 /snap/core/1 squashfs ro,nodev,relatime 0 0
/dev/sde1 /mnt/internal-data xfs rw,relatime 0 0
tmpfs /run tmpfs rw,nosuid,nodev 0 0
"""


def _sys_block(root: Path) -> Path:
    """nvme0n1 fixed, sdb removable stick, sdc a USB disk reporting removable=0, sdd a
    read-only-mounted stick, mmcblk0 an SD card, sde a fixed SATA disk."""
    devices = root / "devices"
    block = root / "block"
    block.mkdir(parents=True)
    layout = {
        "nvme0n1": ("pci0000:00/0000:00:1d.0/nvme/nvme0", "0", ["nvme0n1p1", "nvme0n1p2"]),
        "sdb": ("pci0000:00/0000:00:14.0/usb2/2-1/host6/target6:0:0/6:0:0:0", "1", ["sdb1"]),
        "sdc": ("pci0000:00/0000:00:14.0/usb2/2-2/host7/target7:0:0/7:0:0:0", "0", ["sdc1"]),
        "sdd": ("pci0000:00/0000:00:14.0/usb2/2-3/host8/target8:0:0/8:0:0:0", "1", ["sdd1"]),
        "mmcblk0": ("platform/mmc_host/mmc0/mmc0:0001", "1", ["mmcblk0p1"]),
        "sde": ("pci0000:00/0000:00:17.0/ata1/host0/target0:0:0/0:0:0:0", "0", ["sde1"]),
    }
    for disk, (path, removable, parts) in layout.items():
        real = devices / path / "block" / disk
        real.mkdir(parents=True)
        (real / "removable").write_text(removable + "\n")
        for part in parts:
            (real / part).mkdir()
        (block / disk).symlink_to(real)
    return block


def test_only_writable_removable_or_usb_filesystems(tmp_path: Path) -> None:
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    drives = removable_drives(mounts, _sys_block(tmp_path / "sys"), Path("/dev"))
    assert [(d.mount_point, d.disk, d.fs_type, d.usb) for d in drives] == [
        (Path("/media/dee/KEYS SAFE"), "sdb", "vfat", True),  # \040 is a space
        (Path("/media/dee/BACKUP"), "sdc", "ext4", True),  # USB disk saying removable=0
        (Path("/media/dee/SDCARD"), "mmcblk0", "exfat", False),  # SD card: removable=1
    ]
    assert drives[0].name == "KEYS SAFE"


def test_no_mount_table_or_no_sysfs_means_no_drives(tmp_path: Path) -> None:
    assert removable_drives(tmp_path / "missing", tmp_path / "sys", Path("/dev")) == []
    mounts = tmp_path / "mounts"
    mounts.write_text(MOUNTS)
    assert removable_drives(mounts, tmp_path / "no-sys-block", Path("/dev")) == []


def test_the_split_proposes_the_first_drive_and_does_not_warn_about_it(tmp_path: Path) -> None:
    home = tmp_path / "home"
    (home / "Documents").mkdir(parents=True)
    stick = Path("/media/dee/KEYS SAFE")  # not a temporary, synced or home folder
    proposed = default_folder("prod-db root", "AB12-CD34", home, drives=[stick])
    assert proposed == stick / "Breakglass" / "prod-db-root-AB12-CD34"
    assert folder_risk(proposed) is None
    fallback = default_folder("prod-db root", "AB12-CD34", home)
    assert fallback == home / "Documents" / "Breakglass" / "prod-db-root-AB12-CD34"
