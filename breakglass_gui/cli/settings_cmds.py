"""``settings show`` and ``settings set KEY VALUE...``: the ceremony rules of this installation.

The rules live in the data directory (``ceremony.json``) and are read by ``ceremony/`` for the
GUI and the CLI alike: the incident reference's form (with the example people see), the
trigger conditions, and the reveal, clipboard and hold timings.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from .common import EXIT_OK, add_json_flag, out

__all__ = ["register"]


def register(sub: Any) -> None:
    settings = sub.add_parser(
        "settings",
        help="the ceremony rules of this installation: show, set",
        description="The ceremony rules both front ends follow, kept in the data directory "
        "(ceremony.json): incident-pattern and incident-example, triggers, reveal-seconds, "
        "clipboard-seconds, hold-seconds, require-witness.",
    )
    ssub = settings.add_subparsers(dest="settings_command", metavar="ACTION")
    ssub.required = True
    p = ssub.add_parser("show", help="print every setting", description="Print every setting.")
    add_json_flag(p)
    p.set_defaults(func=cmd_settings_show)
    p = ssub.add_parser(
        "set",
        help="change one setting",
        description="Change one setting. triggers takes one VALUE per condition; every other "
        "key takes one VALUE ('default' restores the default). The whole set of rules is "
        "checked before it is saved (e.g. incident-example must match incident-pattern).",
    )
    p.add_argument("key", metavar="KEY")
    p.add_argument("values", nargs="+", metavar="VALUE")
    p.set_defaults(func=cmd_settings_set)


def cmd_settings_show(args: argparse.Namespace) -> int:
    from breakglass_gui.ceremony.rules import KEYS, load_rules, rules_path  # noqa: PLC0415
    from breakglass_gui.platform.dirs import resolve_home  # noqa: PLC0415

    home = resolve_home(args.home)
    rules = load_rules(home)
    values = rules.values()
    if args.json:
        out(json.dumps(values, indent=2, ensure_ascii=False))
        return EXIT_OK
    path = rules_path(home)
    out(f"# {path}" + ("" if path.exists() else " (not written yet: the defaults)"))
    for key in KEYS:
        value = values[key]
        if key == "triggers":
            out(f"{key}:")
            for k, t in enumerate(value, start=1):
                out(f"  {k}. {t}")
        elif isinstance(value, bool):
            out(f"{key}: {'yes' if value else 'no'}")
        elif isinstance(value, float):
            out(f"{key}: {value:g}")
        else:
            out(f"{key}: {value}")
    return EXIT_OK


def cmd_settings_set(args: argparse.Namespace) -> int:
    from breakglass_gui.ceremony.rules import (  # noqa: PLC0415
        CeremonyRules,
        load_rules,
        save_rules,
    )
    from breakglass_gui.platform.dirs import ensure_private_dir, resolve_home  # noqa: PLC0415

    home = resolve_home(args.home)
    rules = load_rules(home)
    if args.values == ["default"] and args.key in rules.values():
        defaults = CeremonyRules().values()
        value = defaults[args.key]
        values = [str(v) for v in value] if isinstance(value, list) else [str(value)]
        if args.key == "incident-pattern":  # the default pattern comes with its example
            values.append(str(defaults["incident-example"]))
        if isinstance(value, bool):
            values = ["yes" if value else "no"]
        rules = rules.with_setting(args.key, values)
    else:
        rules = rules.with_setting(args.key, args.values)
    ensure_private_dir(home)
    path = save_rules(home, rules)
    shown = rules.values()[args.key]
    out(f"{args.key} = {json.dumps(shown, ensure_ascii=False)} (saved in {path})")
    return EXIT_OK
