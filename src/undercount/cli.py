"""The ``undercount`` command line.

Sub-commands call the same library functions the workflow uses, so a number
from the command line and the same number in ``results/`` cannot differ.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence

from . import __version__, tabular
from .errors import UndercountError

EXIT_BAD_INPUT = 2
#: Exit status when the reader closed the pipe (128 + SIGPIPE, as a shell reports it).
EXIT_BROKEN_PIPE = 141

#: The matchers and default threshold of :mod:`undercount.linkage`, repeated here so that building
#: the parser does not import linkage (and pandas) for every command; a test checks they agree.
LINK_METHODS = ("splink", "probabilistic", "deterministic")
LINK_DEFAULT_THRESHOLD = 0.5


class _Parser(argparse.ArgumentParser):
    """A parser whose epilog may be a function, called only when the help is shown.

    The list of methods under ``estimate --help`` comes from the registry, which
    would import every estimator module; an estimate run never shows it.
    """

    def __init__(self, *args, lazy_epilog=None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._lazy_epilog = lazy_epilog

    def format_help(self) -> str:
        if self._lazy_epilog is not None:
            self.epilog = self._lazy_epilog()
            self._lazy_epilog = None
        return super().format_help()


def _methods_epilog() -> str:
    from .estimators import REGISTRY

    stochastic = sorted(n for n, m in REGISTRY.items() if m.stochastic)
    lines = [
        "seeds: Monte Carlo methods need --seed (there is no default: without one they stop with an",
        "error, so that no result depends on an unrecorded seed). They are: " + ", ".join(stochastic) + ".",
        "Every other method is deterministic and ignores --seed.",
        "",
        "methods:",
    ]
    for name in sorted(REGISTRY):
        spec = REGISTRY[name]
        mark = " [needs --seed]" if spec.stochastic else ""
        lines.append(f"  {name:<18} {spec.summary}{mark}")
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


def _read_table(path: str):
    """A capture-history table from a file, or from standard input when ``path`` is ``-``."""
    import csv
    import io

    from .errors import TableError
    from .histories import CaptureTable

    if path != "-":
        return CaptureTable.from_csv(path)
    text = sys.stdin.read()
    records = [row for row in csv.reader(io.StringIO(text.lstrip("\ufeff"))) if row]
    if not records:
        raise TableError("not a CSV table: standard input is empty", file="<stdin>")
    return CaptureTable.from_rows(records[0], records[1:], source="<stdin>")


def cmd_histories(args: argparse.Namespace) -> int:
    """persons.csv (the output of ``undercount link``) -> the capture-history table ``estimate`` reads."""
    import pandas as pd

    from .errors import TableError
    from .histories import table_from_memberships

    source = "<stdin>" if args.persons == "-" else args.persons
    try:
        persons = pd.read_csv(
            sys.stdin if args.persons == "-" else args.persons, dtype=str, keep_default_na=False
        )
    except FileNotFoundError:
        raise TableError("file not found", file=source) from None
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise TableError(f"not a CSV table ({type(exc).__name__})", file=source) from None
    missing = [c for c in ("source", "person_id") if c not in persons.columns]
    if missing:
        raise TableError(
            f"no column {', '.join(missing)}: expected the persons table of undercount link "
            f"(columns source, record_id, person_id); found {', '.join(map(str, persons.columns))}",
            file=source,
        )
    blank = persons.index[(persons["source"] == "") | (persons["person_id"] == "")]
    if len(blank):
        raise TableError(
            f"blank source or person_id in data row(s) {', '.join(str(i + 2) for i in blank[:5])}",
            file=source,
        )
    lists = args.lists.split(",") if args.lists else list(dict.fromkeys(persons["source"]))
    unknown = sorted(set(persons["source"]) - set(lists))
    if unknown:
        raise TableError(f"sources {', '.join(unknown)} are not in --lists ({', '.join(lists)})", file=source)
    memberships = persons.groupby("person_id", sort=True)["source"].agg(lambda s: sorted(set(s)))
    table = table_from_memberships(lists, memberships, source=source)
    frame = table.to_frame()
    if args.out:
        tabular.write_csv(frame, args.out)
    else:
        tabular.write_csv(frame, sys.stdout)
    print(
        f"undercount histories: {table.n_observed} people on {len(lists)} lists, {len(frame)} patterns",
        file=sys.stderr,
    )
    return 0


def cmd_estimate(args: argparse.Namespace) -> int:
    from .errors import TableError
    from .estimators import estimate

    if args.lists is not None:
        return _estimate_persons(args)
    for option in ("strata", "bands", "impute"):
        if getattr(args, option) is not None:
            raise UndercountError(
                f"--{option} is for a person-level table: give its list columns with --lists"
            )
    try:
        table = _read_table(args.table)
    except TableError as exc:
        if "no 'count' column" in str(exc):
            exc.message = (
                f"{exc.message}; for a table of one row per person, name its 0/1 columns with --lists A,B,C"
            )
        raise
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


def _split(text: str | None) -> list[str]:
    return [x.strip() for x in (text or "").split(",") if x.strip()]


def _parse_bands(items: Sequence[str]) -> list[int] | None:
    """``--bands age=0,15,30`` -> [0, 15, 30, 121] (the last band open up to 120 years)."""
    edges: list[int] | None = None
    for item in items:
        name, sep, values = item.partition("=")
        if name.strip() != "age" or not sep:
            raise UndercountError(f"--bands takes age=EDGE,EDGE,... (years), got {item!r}")
        try:
            edges = [int(v) for v in _split(values)]
        except ValueError:
            raise UndercountError(f"--bands {item!r}: the edges are whole numbers of years") from None
        if len(edges) < 2 or edges != sorted(set(edges)) or edges[0] < 0:
            raise UndercountError(f"--bands {item!r}: give at least two increasing edges from 0 up")
    if edges is not None and edges[-1] <= 120:
        edges.append(121)
    return edges


def _estimate_persons(args: argparse.Namespace) -> int:
    """``undercount estimate persons.xlsx --lists A,B,C [--strata ...] [--impute ...]``."""
    from .linked import LINKED, estimate_persons, ignored_text
    from .records import SourceSpec, read_source

    lists = _split(args.lists)
    strata = _split(args.strata)
    fields = _split(args.impute)
    if "period" in strata:
        raise UndercountError("--strata period needs an event's start date: use a config (config/README.md)")
    if "date" in fields:
        raise UndercountError(
            "--impute date: the date is imputed for period strata only, which need an event's start date: "
            "use a config (config/README.md, 'Multiple imputation')"
        )
    spec = SourceSpec(id="persons", path=args.table, kind=LINKED, lists=tuple(lists), sheet=args.sheet)
    frame = read_source(spec)
    ignored = ignored_text(frame)
    if ignored:
        print(f"undercount estimate: {ignored}", file=sys.stderr)
    seed = 20220105 if args.seed is None else args.seed

    def progress(j: int, m: int) -> None:
        if sys.stderr.isatty() or j == m:
            print(
                f"\rundercount estimate: imputation {j} of {m}", end="\n" if j == m else "", file=sys.stderr
            )

    out = estimate_persons(
        frame,
        lists,
        method=args.method,
        by=strata,
        age_bands=_parse_bands(args.bands or []),
        impute_fields=fields,
        m=args.m,
        model=args.model,
        settings=_parse_sets(args.set),
        seed=seed,
        level=args.level,
        progress=progress,
    )
    total, by_stratum = out["total"], out["strata"]
    if args.format == "json":
        data = total.to_dict()
        data["strata"] = {s: r.to_dict() for s, r in by_stratum.items()}
        print(json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False))
        return 0
    if by_stratum:
        print(f"{'stratum':<32} {'documented':>10} {'estimate':>10} {'interval':>24}")
        for name, r in [*by_stratum.items(), ("total", total)]:
            interval = "-" if not r.estimable else f"({r.ci_low:,.0f}, {r.ci_high:,.0f})"
            point = "-" if not r.estimable else f"{r.n_hat:,.0f}"
            print(f"{name:<32} {r.n_observed:>10,} {point:>10} {interval:>24}")
        if out["imputation"]:
            info = out["imputation"]
            counts = ", ".join(f"{f} {n}" for f, n in info["imputed"].items())
            print(f"\npooled over {info['m']} imputations (seed {seed}); values imputed: {counts}")
        print(f"\ntotal over strata, {total.method}:")
    print(total.summary())
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

    headers = {str(c).strip() for c in read_raw(path).columns}
    if not {"record_id", "full_name"} <= headers:
        missing = ", ".join(c for c in ("record_id", "full_name") if c not in headers)
        raise InputError(
            f"not a list with canonical columns (no {missing}): to link an analyst's own list, map "
            "its headers under 'columns' in a config and run with --config my.yaml --event E "
            "--population P (see config/README.md)",
            file=path,
            row=1,
        )
    if kind is not None:
        return kind
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


def _check_outputs(outputs: dict[str, str | None], inputs: Sequence[str]) -> None:
    """Refuse an output into a missing folder, or one that would overwrite an input list."""
    from pathlib import Path

    given = {Path(p).resolve() for p in inputs}
    for option, path in outputs.items():
        if path is None:
            continue
        target = Path(path)
        if target.is_dir():
            raise UndercountError(f"{option} {path}: is a folder; give a file name")
        if not target.parent.resolve().is_dir():
            raise UndercountError(
                f"{option} {path}: the folder {target.parent} does not exist; create it first"
            )
        if target.resolve() in given:
            raise UndercountError(
                f"{option} {path}: is one of the input lists; refusing to overwrite it "
                "(choose another output file)"
            )


def _records_from_args(args: argparse.Namespace):
    """(records of one kind with ``source``, kind, input paths, labels) from lists or a config."""
    import pandas as pd

    from .records import SourceSpec, read_source

    if args.config is not None:
        from .config import POPULATIONS, load_config, population_sources

        if args.lists:
            raise UndercountError("give either lists (LABEL=FILE) or --config, not both")
        if not args.event or not args.population:
            raise UndercountError("--config needs --event E and --population P")
        config = load_config(args.config)
        if args.event not in config["events"]:
            raise UndercountError(
                f"--event {args.event!r} is not in {args.config} ({', '.join(config['events'])})"
            )
        if args.population not in POPULATIONS:
            raise UndercountError(f"--population must be one of {', '.join(POPULATIONS)}")
        kind, _flag = POPULATIONS[args.population]
        specs = population_sources(config, args.event, args.population)
        if not specs:
            raise UndercountError(f"event {args.event!r} has no {kind} list in {args.config}")
        frames = [read_source(spec).assign(source=spec.id) for spec in specs]
        labels = config["linkage"]["labels"].get(args.event, [])
        return pd.concat(frames, ignore_index=True), kind, [s.path for s in specs], labels, config
    if not args.lists:
        raise UndercountError(
            "give the lists to link (LABEL=FILE ...), or --config, --event and --population"
        )
    lists = _parse_lists(args.lists)
    kinds = {label: _list_kind(path, args.kind) for label, path in lists}
    if len(set(kinds.values())) > 1:
        detail = ", ".join(f"{label}: {kind}" for label, kind in kinds.items())
        raise UndercountError(f"all lists must be of one kind to be linked ({detail}); use --kind")
    kind = next(iter(kinds.values()))
    frames = [
        read_source(SourceSpec(id=label, path=path, kind=kind)).assign(source=label) for label, path in lists
    ]
    return pd.concat(frames, ignore_index=True), kind, [p for _, p in lists], [], None


def _fit_from_args(args, records, kind, labels, config):
    from .linkage import fit_linkage, place_column
    from .linkage.core import fit_options, known_records
    from .linkage.labels import constraints, read_labels
    from .records import date_column

    options = fit_options(config["linkage"]) if config is not None else {}
    if args.method is not None:
        options["method"] = args.method
    options.setdefault("method", "splink")
    if getattr(args, "backend", None):
        options["backend"] = args.backend
    progress = sys.stderr.isatty() if args.progress is None else args.progress
    fitted = fit_linkage(
        records,
        date_column=date_column(kind),
        place=place_column(kind),
        progress=progress,
        **{k: v for k, v in options.items()},
    )
    if labels:
        import pandas as pd

        by_source = {s: g for s, g in records.groupby("source", sort=False)}
        known = known_records(by_source)
        # lists of the event's other kind: their pairs belong to the other population
        others = {s: None for s in config["events"][args.event]["sources"] if s not in known}
        rows = pd.concat([read_labels(p, known | others) for p in labels], ignore_index=True)
        rows = rows[rows["source_a"].isin(known) & rows["source_b"].isin(known)]
        must, cannot = constraints(rows)
        fitted.with_constraints(must, cannot)
    return fitted, options["method"]


def cmd_link(args: argparse.Namespace) -> int:
    from .linkage import CAVEATS, link
    from .linkage.core import model_table, pairs_table
    from .records import date_column

    records, kind, inputs, labels, config = _records_from_args(args)
    _check_outputs({"--out": args.out, "--model": args.model, "--pairs": args.pairs}, inputs + list(labels))
    method = args.method or (config["linkage"]["method"] if config is not None else "splink")
    if method != "deterministic":
        fitted, method = _fit_from_args(args, records, kind, labels, config)
        persons = fitted.persons(args.threshold)
        if args.model:
            tabular.write_csv(model_table(fitted).round(6), args.model, index=False, lineterminator="\n")
        if args.pairs:
            tabular.write_csv(
                pairs_table(fitted), args.pairs, index=False, lineterminator="\n", float_format="%.6g"
            )
        pairs = len(fitted.i)
    else:
        if args.pairs or args.model:
            raise UndercountError(
                "--pairs and --model need a fitted matcher (--method splink or probabilistic)"
            )
        persons = link(records, date_column=date_column(kind), method="deterministic")
        pairs = None
    tabular.write_csv(persons, args.out, index=False, lineterminator="\n")
    sources = list(dict.fromkeys(records["source"]))
    per_list = persons.groupby("source", sort=False)["person_id"].nunique()
    print(
        f"undercount link: {len(persons)} {kind} records from {len(sources)} list(s) -> "
        f"{persons['person_id'].nunique()} persons ({method}"
        + (f", threshold {args.threshold}, {pairs} candidate pairs" if pairs is not None else "")
        + ")",
        file=sys.stderr,
    )
    for label, count in per_list.items():
        print(
            f"  {label}: {int((persons['source'] == label).sum())} records, {count} persons", file=sys.stderr
        )
    print(f"wrote {args.out} (ids and match probabilities only, no names)", file=sys.stderr)
    if args.pairs:
        print(
            f"wrote {args.pairs} (candidate pairs: ids, probabilities, per-field weights; no names)",
            file=sys.stderr,
        )
    print(f"note: {CAVEATS[method]}", file=sys.stderr)
    return 0


def cmd_review(args: argparse.Namespace) -> int:
    from pathlib import Path

    from .review import review_page, write_review

    records, kind, inputs, labels, config = _records_from_args(args)
    out = args.out
    if out is None:
        if config is None:
            raise UndercountError("--out PAGE.html is required without --config (with it: under private_dir)")
        out = str(Path(config["private_dir"]) / "review" / args.event / f"{args.population}.html")
        Path(out).parent.mkdir(parents=True, exist_ok=True)
    resolved = Path(out).resolve()
    if "results" in resolved.parts or "logs" in resolved.parts:
        raise UndercountError(
            f"--out {out}: the review page shows names; it never goes under results/ or logs/ "
            "(write it under private_dir)"
        )
    _check_outputs({"--out": out}, inputs + list(labels))
    fitted, _method = _fit_from_args(args, records, kind, labels, config)
    title = (
        f"{args.event} {args.population}"
        if config is not None
        else ", ".join(dict.fromkeys(records["source"]))
    )
    page = review_page(
        records,
        fitted,
        threshold=args.threshold,
        title=title,
        uncertain=args.uncertain,
        per_band=args.per_band,
    )
    write_review(out, page)
    print(
        f"undercount review: wrote {out} ({page.count(chr(34) + 'n' + chr(34) + ': ')} pairs); it shows names: keep it private",
        file=sys.stderr,
    )
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
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)

    est = sub.add_parser(
        "estimate",
        help="estimate the total from a capture-history table or a person-level table",
        description=(
            "Estimate the total population from a capture-history CSV (one 0/1 column "
            "per list, then 'count'), or from a table of one row per person (CSV or XLSX) with "
            "--lists A,B,C: totals by stratum (--strata), over strata, and pooled over multiple "
            "imputations of missing fields (--impute)."
        ),
        lazy_epilog=_methods_epilog,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    est.add_argument(
        "table",
        help="capture-history CSV file ('-': read standard input), or a person-level table (CSV or XLSX) "
        "with --lists",
    )
    est.add_argument(
        "--lists",
        default=None,
        metavar="A,B,C",
        help="the table has one row per person: these are its 0/1 list columns (other columns: person_id, "
        "sex, age, date_of_death, place, region, victim_group; any other is ignored, and said so)",
    )
    est.add_argument(
        "--strata", default=None, metavar="sex,age_band", help="stratify a person-level table by these"
    )
    est.add_argument(
        "--bands", action="append", default=None, metavar="age=0,15,30,45,60", help="age band edges (years)"
    )
    est.add_argument(
        "--impute", default=None, metavar="sex,age", help="impute these missing fields (chained equations)"
    )
    est.add_argument("--m", type=int, default=20, help="number of imputations (default 20)")
    est.add_argument("--sheet", default=None, help="worksheet of an XLSX person table (default the first)")
    est.add_argument("--method", required=True, help="estimator name (see the list below)")
    est.add_argument("--model", default=None, help="model formula, for methods that take one")
    est.add_argument(
        "--set", action="append", default=[], metavar="KEY=VALUE", help="a method setting (repeatable)"
    )
    est.add_argument(
        "--seed",
        type=int,
        default=None,
        help="random seed: required by Monte Carlo methods (no default; see 'seeds' below), ignored by others",
    )
    est.add_argument("--level", type=float, default=0.95, help="interval level (default 0.95)")
    est.add_argument("--format", choices=("json", "table"), default="table", help="output format")
    est.set_defaults(func=cmd_estimate)

    his = sub.add_parser(
        "histories",
        help="turn the persons table of 'undercount link' into a capture-history table",
        description=(
            "Count the people of a persons table (the output of 'undercount link': source, record_id, "
            "person_id) by the set of lists each is on: the capture-history CSV that 'undercount "
            "estimate' reads. Written to standard output unless --out is given."
        ),
    )
    his.add_argument("persons", help="persons CSV from 'undercount link' ('-': read standard input)")
    his.add_argument(
        "--lists", default=None, help="lists in order, comma-separated (default: order of first appearance)"
    )
    his.add_argument("--out", default=None, help="write the table here instead of standard output")
    his.set_defaults(func=cmd_histories)

    DEFAULT_THRESHOLD, METHODS = LINK_DEFAULT_THRESHOLD, LINK_METHODS

    def linkage_inputs(p: argparse.ArgumentParser) -> None:
        p.add_argument(
            "lists", nargs="*", metavar="LABEL=FILE", help="a canonical list and the label it gets"
        )
        p.add_argument(
            "--config", default=None, help="read the lists and their column mappings from this config"
        )
        p.add_argument("--event", default=None, help="event of the config (with --config)")
        p.add_argument("--population", default=None, help="population of the config (with --config)")
        p.add_argument(
            "--threshold",
            type=_threshold,
            default=DEFAULT_THRESHOLD,
            help=f"match probability from which two records are one person (default {DEFAULT_THRESHOLD})",
        )
        p.add_argument(
            "--kind",
            choices=("casualty", "detention"),
            default=None,
            help="kind of the lists (default: from their date column)",
        )
        p.add_argument(
            "--method", choices=METHODS, default=None, help="matcher (default splink, or the config's)"
        )
        p.add_argument(
            "--backend", choices=("duckdb", "spark"), default=None, help="Splink backend (default duckdb)"
        )
        p.add_argument(
            "--progress",
            action=argparse.BooleanOptionalAction,
            default=None,
            help="progress bar while comparing pairs (numpy engine; default: when standard error is a terminal)",
        )

    lnk = sub.add_parser(
        "link",
        help="link source lists into persons (ids only) for review",
        description=(
            "Link casualty or detention lists into persons, with the same code the workflow uses: "
            "canonical lists (CSV or XLSX with the canonical columns record_id, full_name, sex, age, "
            "date_of_death or date_detained, place...) given as LABEL=FILE, or an analyst's own lists "
            "read with their column mappings from a config (--config my.yaml --event E --population P). "
            "Writes source, record_id, person_id and match_probability (each record's highest match "
            "probability with any other record); no names."
        ),
    )
    linkage_inputs(lnk)
    lnk.add_argument(
        "--out", required=True, help="output CSV (source, record_id, person_id, match_probability)"
    )
    lnk.add_argument(
        "--model",
        default=None,
        metavar="CSV",
        help="also write the estimated m and u of every comparison level",
    )
    lnk.add_argument(
        "--pairs",
        default=None,
        metavar="CSV",
        help="also write the candidate pairs with probabilities and per-field match weights (ids only)",
    )
    lnk.set_defaults(func=cmd_link)

    rev = sub.add_parser(
        "review",
        help="write a clerical-review page of uncertain pairs (it shows names: private)",
        description=(
            "Link the lists as `undercount link` does and write a self-contained HTML page of the pairs "
            "nearest the threshold and a stratified sample of the others, field by field with match "
            "weights; the analyst marks each pair and saves a labels file (ids only) to name under "
            "linkage.labels in the config. The page shows names: it is written under private_dir "
            "(with --config) and never under results/ or logs/."
        ),
    )
    linkage_inputs(rev)
    rev.add_argument(
        "--out", default=None, help="the page (default with --config: private_dir/review/E/P.html)"
    )
    rev.add_argument("--uncertain", type=int, default=40, help="pairs nearest the threshold (default 40)")
    rev.add_argument("--per-band", type=int, default=5, help="sampled pairs per probability band (default 5)")
    rev.set_defaults(func=cmd_review)

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
    """Run one command; ``argv`` None (the console script, ``python -m``) means ``sys.argv``.

    Called from the command line (``argv`` None), the process is about to end
    when this returns, so the objects left are moved out of the garbage
    collector's reach (:func:`gc.freeze`): the collections that interpreter
    shutdown runs over numba's and scipy's hundreds of thousands of objects
    cost about 0.25 s of CPU, a third of a whole ``estimate --method mt``
    (``benchmarks/bench_startup.py``). Everything this command writes is
    closed and flushed before that; a caller passing ``argv`` (tests, other
    programs) keeps a normal collector.
    """
    try:
        return _main(argv)
    finally:
        if argv is None:
            import gc

            gc.freeze()


def _main(argv: Sequence[str] | None) -> int:
    parser = build_parser()
    command = None
    try:
        args = parser.parse_args(argv)  # --help prints here: it may meet a closed pipe too
        command = args.command
        code = int(args.func(args) or 0)
        sys.stdout.flush()
        return code
    except UndercountError as exc:
        print(f"undercount {command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BrokenPipeError:
        # the reader (head, less) closed the pipe: stop quietly, as other command-line tools do;
        # point stdout at /dev/null so that the interpreter's final flush does not fail again
        import os

        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
