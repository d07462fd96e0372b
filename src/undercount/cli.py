"""The ``undercount`` command line.

Sub-commands call the same library functions the workflow uses, so a number
from the command line and the same number in ``results/`` cannot differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

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
    if args.format == "json":
        print(json.dumps(result.to_dict(), indent=2, ensure_ascii=False, allow_nan=False))
    else:
        print(result.summary())
    return 0


def cmd_simulate(args: argparse.Namespace) -> int:
    from .simulate import write_demo

    written = write_demo(args.out, seed=args.seed)
    for path in written:
        print(path)
    return 0


def _parse_lists(pairs: Sequence[str]) -> list[tuple[str, str]]:
    import re

    out: list[tuple[str, str]] = []
    for item in pairs:
        label, sep, path = item.partition("=")
        label = label.strip()
        if not sep or not path.strip():
            raise UndercountError(f"each list is LABEL=FILE, got {item!r}")
        if not re.fullmatch(r"[A-Za-z][A-Za-z0-9_]*", label):
            raise UndercountError(
                f"list label {label!r} must start with a letter and hold only letters, digits, _"
            )
        if label in {x for x, _ in out}:
            raise UndercountError(f"list label {label!r} is given twice")
        out.append((label, path.strip()))
    return out


def _list_kind(path: str, kind: str | None) -> str:
    from .errors import InputError
    from .records import read_raw

    if kind is not None:
        return kind
    headers = {str(c).strip() for c in read_raw(path).columns}
    found = [
        k
        for k, column in (("casualty", "date_of_death"), ("detention", "date_detained"))
        if column in headers
    ]
    if len(found) != 1:
        raise InputError(
            "cannot tell a casualty list (column date_of_death) from a detention list (date_detained); "
            "give --kind",
            file=path,
            row=1,
        )
    return found[0]


def cmd_link(args: argparse.Namespace) -> int:
    from .linkage import CAVEATS, fit_linkage, link, place_column
    from .records import SourceSpec, date_column, read_source

    lists = _parse_lists(args.lists)
    kinds = {label: _list_kind(path, args.kind) for label, path in lists}
    if len(set(kinds.values())) > 1:
        detail = ", ".join(f"{label}: {kind}" for label, kind in kinds.items())
        raise UndercountError(f"all lists must be of one kind to be linked ({detail}); use --kind")
    kind = next(iter(kinds.values()))
    frames = []
    for label, path in lists:
        records = read_source(SourceSpec(id=label, path=path, kind=kind))
        frames.append(records.assign(source=label))
    import pandas as pd

    records = pd.concat(frames, ignore_index=True)
    if args.method == "probabilistic":
        progress = sys.stderr.isatty() if args.progress is None else args.progress
        fitted = fit_linkage(
            records, date_column=date_column(kind), place=place_column(kind), progress=progress
        )
        persons = fitted.persons(args.threshold)
        if args.model and fitted.model is not None:
            model_table = fitted.model.table()  # type: ignore[attr-defined]  # linkage's model, untyped there
            model_table.round(6).to_csv(args.model, index=False, lineterminator="\n")
        pairs = len(fitted.i)
    else:
        persons = link(records, date_column=date_column(kind), method="deterministic")
        pairs = None
    persons.to_csv(args.out, index=False, lineterminator="\n")
    per_list = persons.groupby("source", sort=False)["person_id"].nunique()
    print(
        f"undercount link: {len(persons)} {kind} records from {len(lists)} list(s) -> "
        f"{persons['person_id'].nunique()} persons ({args.method}"
        + (f", threshold {args.threshold}, {pairs} candidate pairs" if pairs is not None else "")
        + ")",
        file=sys.stderr,
    )
    for label, count in per_list.items():
        print(
            f"  {label}: {int((persons['source'] == label).sum())} records, {count} persons", file=sys.stderr
        )
    print(f"wrote {args.out} (ids and match probabilities only, no names)", file=sys.stderr)
    print(f"note: {CAVEATS[args.method]}", file=sys.stderr)
    return 0


def _threshold(text: str) -> float:
    value = float(text)
    if not 0 < value < 1:
        raise argparse.ArgumentTypeError("the threshold is a probability strictly between 0 and 1")
    return value


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

    from .linkage import DEFAULT_THRESHOLD, METHODS

    lnk = sub.add_parser(
        "link",
        help="link source lists into persons (ids only) for review",
        description=(
            "Link canonical casualty or detention lists (CSV or XLSX with the canonical columns: "
            "record_id, full_name, sex, age, date_of_death or date_detained, place...) into persons, "
            "with the same code the workflow uses. Writes source, record_id, person_id and "
            "match_probability (each record's highest match probability with any other record); "
            "no names."
        ),
    )
    lnk.add_argument("lists", nargs="+", metavar="LABEL=FILE", help="a list and the label it gets")
    lnk.add_argument(
        "--out", required=True, help="output CSV (source, record_id, person_id, match_probability)"
    )
    lnk.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        help=f"match probability from which two records are one person (default {DEFAULT_THRESHOLD})",
    )
    lnk.add_argument(
        "--kind",
        choices=("casualty", "detention"),
        default=None,
        help="kind of the lists (default: from their date column)",
    )
    lnk.add_argument(
        "--method", choices=METHODS, default="probabilistic", help="matcher (default probabilistic)"
    )
    lnk.add_argument(
        "--model",
        default=None,
        metavar="CSV",
        help="also write the estimated m and u of every comparison level",
    )
    lnk.add_argument(
        "--progress",
        action=argparse.BooleanOptionalAction,
        default=None,
        help="progress bar while comparing pairs (default: when standard error is a terminal)",
    )
    lnk.set_defaults(func=cmd_link)

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
