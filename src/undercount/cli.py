"""The ``undercount`` command line.

Sub-commands call the same library functions the workflow uses, so a number
from the command line and the same number in ``results/`` cannot differ.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
from typing import Sequence

from . import __version__
from .errors import UndercountError

EXIT_BAD_INPUT = 2


def _methods_epilog() -> str:
    from .estimators import REGISTRY

    lines = ["methods:"]
    for name in sorted(REGISTRY):
        spec = REGISTRY[name]
        lines.append(f"  {name:<18} {spec.summary}")
        for s in spec.settings:
            default = "" if s.default is None else f" (default {s.default})"
            lines.append(f"  {'':<20}--set {s.name}=...  {s.help}{default}")
    return "\n".join(lines)


def _parse_sets(pairs: Sequence[str]) -> dict[str, str]:
    out: dict[str, str] = {}
    for item in pairs:
        key, sep, value = item.partition("=")
        if not sep or not key.strip():
            raise UndercountError(f"--set takes KEY=VALUE, got {item!r}")
        out[key.strip()] = value.strip()
    return out


def _format_count(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "-"
    if math.isinf(value):
        return "unbounded"
    return f"{value:,.1f}"


def _render_table(result: dict) -> str:
    level = round(100 * result["ci_level"])
    rows = [
        ("method", result["method"]),
        ("model", result["model"] or "-"),
        ("lists", ", ".join(result["lists"])),
        ("observed", f"{result['n_observed']:,}"),
        ("estimate", _format_count(result["n_hat"])),
        (f"{level}% interval", f"{_format_count(result['ci_low'])} to {_format_count(result['ci_high'])}"),
    ]
    for key, value in result["settings"].items():
        rows.append((f"setting {key}", str(value)))
    width = max(len(k) for k, _ in rows)
    text = "\n".join(f"{k:<{width}}  {v}" for k, v in rows)
    if result["warnings"]:
        text += "\nwarnings:\n" + "\n".join(f"  - {w}" for w in result["warnings"])
    return text


def cmd_estimate(args: argparse.Namespace) -> int:
    from .estimators import estimate
    from .histories import CaptureTable

    table = CaptureTable.from_csv(args.table)
    result = estimate(
        table,
        args.method,
        model=args.model,
        settings=_parse_sets(args.set),
        seed=args.seed,
        level=args.level,
    )
    payload = result.to_dict()
    if args.format == "json":
        print(json.dumps(payload, indent=2, ensure_ascii=False, allow_nan=True))
    else:
        print(_render_table(payload))
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import write_demo

    written = write_demo(args.out, seed=args.seed)
    for path in written:
        print(path)
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="undercount",
        description="Multiple systems estimation of undocumented victims.",
    )
    parser.add_argument("--version", action="version", version=f"undercount {__version__}")
    sub = parser.add_subparsers(dest="command", required=True)

    est = sub.add_parser(
        "estimate",
        help="estimate the total from a capture-history table",
        description=(
            "Estimate the total population from a capture-history CSV (one 0/1 column "
            "per list, then 'count')."
        ),
        epilog=_methods_epilog(),
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    est.add_argument("table", help="capture-history CSV file")
    est.add_argument("--method", required=True, help="estimator name (see the list below)")
    est.add_argument("--model", default=None, help="model formula, for methods that take one")
    est.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a method setting (repeatable)"
    )
    est.add_argument("--seed", type=int, default=None, help="random seed (Monte Carlo methods)")
    est.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    est.add_argument("--format", choices=("json", "table"), default="table", help="output format")
    est.set_defaults(func=cmd_estimate)

    sim = sub.add_parser(
        "simulate",
        help="write the synthetic demonstration lists",
        description="Generate the synthetic demo source lists (and their truth) from the documented, seeded model.",
    )
    sim.add_argument("--out", default="data/demo", help="output folder (default data/demo)")
    sim.add_argument("--seed", type=int, default=None, help="seed (default: the one the committed demo uses)")
    sim.set_defaults(func=cmd_simulate)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except UndercountError as exc:
        print(f"undercount {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
