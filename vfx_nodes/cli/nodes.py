"""``vfx-style nodes``: list the registered nodes, their knobs and where they came from.

Nodes that failed to load are listed too (name, where from, reason), after the nodes;
the command still exits 0 because listing worked.  ``--json`` prints one JSON object
``{"nodes": [...], "failures": [...], "search_path": [...]}`` for pipeline tools.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..nodes.registry import ENTRY_POINT_GROUP, PATH_VARIABLE, NodeInfo, Registry


def configure(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("names", nargs="*", metavar="NODE",
                        help="show only these nodes (default: every node)")
    parser.add_argument("--json", action="store_true", help="print JSON instead of text")
    parser.add_argument("--path", default=None,
                        help=f"folders of node modules to search instead of ${PATH_VARIABLE}")
    parser.epilog = (f"Search order (the first definition of a name wins): ${PATH_VARIABLE} "
                     f"folders, then the '{ENTRY_POINT_GROUP}' entry points of installed "
                     f"packages, then the built-ins.")


def run(args: argparse.Namespace) -> int:
    registry = Registry(path=args.path)
    infos = registry.infos()
    if args.names:
        infos = [registry.info(n) for n in args.names]  # unknown names raise a clear error
    failures = registry.failures
    if args.json:
        doc: dict[str, Any] = {
            "nodes": [i.describe() for i in infos],
            "failures": [{"name": f.name, "origin": f.origin, "source": f.source, "reason": f.reason}
                         for f in failures],
            "search_path": registry.search_path(),
        }
        print(json.dumps(doc, indent=2, default=str))
        return 0
    for info in infos:
        print(_text(info))
    if failures:
        print(f"{len(failures)} node(s) failed to load:")
        for f in failures:
            print(f"  {f}")
    return 0


def _text(info: NodeInfo) -> str:
    cls = info.cls
    lines = [f"{info.name}  [{info.origin}: {info.source}]"]
    if cls.help:
        lines.append(f"  {cls.help}")
    lines.append(f"  inputs: {', '.join(cls.inputs) or '(none)'}")
    for k in cls.knobs:
        extra = ""
        if k.range is not None:
            lo, hi = k.range
            extra = f" [{'' if lo is None else lo}..{'' if hi is None else hi}]"
        if k.choices:
            extra = " {" + ", ".join(repr(c) for c in k.choices) + "}"
        lines.append(f"  {k.name} ({k.type}{extra}) = {k.default!r}: {k.help}")
    for s in info.shadows:
        lines.append(f"  shadows {s}")
    return "\n".join(lines) + "\n"
