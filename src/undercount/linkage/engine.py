"""The matching engine: Splink (Fellegi-Sunter) on the compared columns.

:func:`settings` turns our compared columns (:mod:`.features`) into Splink
comparisons, most of them custom SQL levels built for Kazakh and Russian lists:
initials against full names, surname and given name swapped, diminutives
already resolved by the domain layer, place against region. :func:`train`
estimates the model the same way on every run (u from a hash-based sample, m
by EM over three fixed blocking rules), :func:`predict` scores the candidate
pairs that the configured blocking rules propose, and :class:`PairScorer`
scores any other pair the clustering asks about.

Backends: DuckDB (embedded, the default) and Spark (``backend="spark"``, a
local or existing Spark session; needs the ``spark`` extra and Java).
"""

from __future__ import annotations

import contextlib
import copy
import logging
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ..errors import UndercountError

#: Blocking rules of the default config: lists of compared columns that must agree.
DEFAULT_BLOCKING = (
    ("surname", "given_initial"),
    ("given", "day"),
    ("surname", "day"),
    ("name_key",),
)
#: A blocking rule proposing more pairs than this stops the run (config ``linkage.max_pairs``).
DEFAULT_MAX_PAIRS = 50_000_000
#: Pairs EM is trained on, per training rule (a deterministic hash sample beyond).
EM_PAIRS = 2_000_000
#: Blocking rules EM is trained on, one session each: every comparison is estimated in a
#: session that does not block on its columns (names from pairs agreeing on day, age and
#: place; the initials level of the given name from pairs agreeing on surname and day).
TRAINING_RULES = (("surname", "given"), ("surname", "day"), ("given", "day", "age"), ("day", "age", "place"))
#: Pairs u is estimated from (every pair when there are fewer).
U_PAIRS = 5_000_000
#: Seed of the u sample (hash-based in Splink: the same rows on every run).
U_SEED = 20220105
#: Recall assumed for the deterministic rule that sets the prior share of matches.
PRIOR_RECALL = 0.7
BACKENDS = ("duckdb", "spark")
#: Comparison order; also the columns of per-field weights (``mw_<name>``).
COMPARISONS = ("surname", "given", "order", "patronymic", "sex", "age", "date", "place", "list")

log = logging.getLogger("undercount.linkage")


class LinkageError(UndercountError):
    """Linkage cannot go on: a blocking rule too broad, a backend missing."""


def _level(
    sql: str, label: str, m: float | None = None, *, null: bool = False, tf: str | None = None
) -> dict:
    level: dict = {"sql_condition": sql, "label_for_charts": label}
    if m is not None:
        level["m_probability"] = m
    if null:
        level["is_null_level"] = True
    if tf is not None:
        level["tf_adjustment_column"] = tf
        level["tf_adjustment_weight"] = 1.0
    return level


def _jw(dialect: str, a: str, b: str) -> str:
    if dialect == "spark":
        return f"jaro_winkler({a}, {b})"
    return f"jaro_winkler_similarity({a}, {b})"


#: A pair whose names have the same words in another order: one record's surname is the other's
#: given name (two given-name-like words whose order the lists read differently). Written with
#: ``name_key`` (every word stem, sorted) and one part of the name only, so that the surname
#: comparison still trains on pairs blocked on the given name, and the given name on pairs
#: blocked on the surname.
SWAPPED = "(name_key_l = name_key_r AND surname_l <> surname_r)"
SWAPPED_GIVEN = "(name_key_l = name_key_r AND given_l <> given_r)"


def comparisons(dialect: str, tf: bool = True) -> list[dict]:
    """Splink comparison dicts for one SQL dialect (``duckdb`` or ``spark``)."""
    jw = _jw
    surname = {
        "output_column_name": "surname",
        "comparison_description": "surname stem",
        "comparison_levels": [
            # a pair whose surname and given name are written the other way round is weighed by
            # the order comparison alone (its names agree crosswise): here it carries no evidence
            _level(f"surname_l IS NULL OR surname_r IS NULL OR {SWAPPED}", "missing, or swapped", null=True),
            _level("surname_l = surname_r", "same stem", 0.8, tf="surname" if tf else None),
            _level(
                "surname_l = surname_alt_r OR surname_alt_l = surname_r", "same stem, another reading", 0.02
            ),
            _level(f"{jw(dialect, 'surname_l', 'surname_r')} >= 0.92", "spelling variant (JW >= 0.92)", 0.08),
            _level(f"{jw(dialect, 'surname_l', 'surname_r')} >= 0.8", "similar (JW >= 0.8)", 0.04),
            _level("ELSE", "differs", 0.03),
        ],
    }
    given = {
        "output_column_name": "given",
        "comparison_description": "given name (key), or its initial",
        "comparison_levels": [
            _level(
                f"given_initial_l IS NULL OR given_initial_r IS NULL OR {SWAPPED_GIVEN}",
                "missing, or swapped",
                null=True,
            ),
            _level("given_l = given_r", "same name", 0.75, tf="given" if tf else None),
            _level(f"{jw(dialect, 'given_l', 'given_r')} >= 0.9", "spelling variant (JW >= 0.9)", 0.05),
            # a letter dropped, doubled, replaced or two swapped: a typing error in a short name
            # that Jaro-Winkler scores below 0.9 (Tlgat, Kirat)
            _level("damerau_levenshtein(given_l, given_r) <= 1", "one letter apart", 0.02),
            _level(
                "(given_l IS NULL OR given_r IS NULL) AND given_initial_l = given_initial_r",
                "initial fits the name",
                0.1,
            ),
            _level("given_initial_l = given_initial_r", "other name, same initial", 0.02),
            _level("ELSE", "differs", 0.05),
        ],
    }
    swap = {
        "output_column_name": "order",
        "comparison_description": "surname and given name written the other way round",
        "comparison_levels": [
            _level(
                "surname_l IS NULL OR surname_r IS NULL OR given_l IS NULL OR given_r IS NULL",
                "missing",
                null=True,
            ),
            _level(SWAPPED, "surname and given name swapped", 0.05),
            _level("ELSE", "as written", 0.95),
        ],
    }
    patronymic = {
        "output_column_name": "patronymic",
        "comparison_description": "father's name in the patronymic, or its initial",
        "comparison_levels": [
            _level("patronymic_initial_l IS NULL OR patronymic_initial_r IS NULL", "missing", null=True),
            _level("patronymic_l = patronymic_r", "same father's name", 0.85),
            _level(f"{jw(dialect, 'patronymic_l', 'patronymic_r')} >= 0.9", "spelling variant", 0.04),
            _level("patronymic_initial_l = patronymic_initial_r", "initial agrees", 0.06),
            _level("ELSE", "differs", 0.05),
        ],
    }
    sex = {
        "output_column_name": "sex",
        "comparison_description": "sex (given, or implied by the name)",
        "comparison_levels": [
            _level("sex_l IS NULL OR sex_r IS NULL", "missing", null=True),
            _level("sex_l = sex_r", "same", 0.98),
            _level("ELSE", "differs", 0.02),
        ],
    }
    # an age unknown on one side (no age, or a date of birth without the record's date) is read
    # from the two dates of birth, in days (365.25 a year)
    by_birth = "((age_l IS NULL OR age_r IS NULL) AND abs(birth_l - birth_r) <= {days})"
    age = {
        "output_column_name": "age",
        "comparison_description": "date of birth, or age in years",
        "comparison_levels": [
            _level(
                "(age_l IS NULL OR age_r IS NULL) AND (birth_l IS NULL OR birth_r IS NULL)",
                "missing",
                null=True,
            ),
            _level("birth_l = birth_r", "same date of birth", 0.3),
            _level(f"age_l = age_r OR {by_birth.format(days=182)}", "same", 0.45),
            _level(f"abs(age_l - age_r) <= 1 OR {by_birth.format(days=548)}", "within 1 year", 0.15),
            _level(f"abs(age_l - age_r) <= 2 OR {by_birth.format(days=913)}", "within 2 years", 0.05),
            _level(f"abs(age_l - age_r) <= 5 OR {by_birth.format(days=2009)}", "within 5 years", 0.025),
            _level("ELSE", "more than 5 years apart", 0.025),
        ],
    }
    day = {
        "output_column_name": "date",
        "comparison_description": "date of death or detention",
        "comparison_levels": [
            _level("day_l IS NULL OR day_r IS NULL", "missing", null=True),
            _level("day_l = day_r", "same day", 0.8),
            _level("abs(day_l - day_r) <= 1", "within 1 day", 0.12),
            _level("abs(day_l - day_r) <= 3", "within 3 days", 0.05),
            _level("ELSE", "more than 3 days apart", 0.03),
        ],
    }
    place = {
        "output_column_name": "place",
        "comparison_description": "place, or region when one side gives only that",
        "comparison_levels": [
            _level(
                "(place_l IS NULL AND region_l IS NULL) OR (place_r IS NULL AND region_r IS NULL)",
                "missing",
                null=True,
            ),
            _level("place_l = place_r", "same place", 0.75),
            _level("region_l = region_r", "same region", 0.1),
            _level(
                "place_l IS NULL OR place_r IS NULL OR region_l IS NULL OR region_r IS NULL",
                "cannot tell",
                0.1,
            ),
            _level("ELSE", "differs", 0.05),
        ],
    }
    same_list = {
        "output_column_name": "list",
        "comparison_description": "both records from one list (a list names a person once)",
        "comparison_levels": [
            _level("source_l = source_r", "same list", 0.02),
            _level("ELSE", "two lists", 0.98),
        ],
    }
    return [surname, given, swap, patronymic, sex, age, day, place, same_list]


def blocking_sql(rule: Sequence[str]) -> str:
    """A blocking rule (columns that must agree) as Splink SQL."""
    return " AND ".join(f"l.{c} = r.{c}" for c in rule)


def rule_name(rule: Sequence[str]) -> str:
    return " + ".join(rule)


def settings(dialect: str, blocking: Sequence[Sequence[str]], tf: bool = True) -> dict:
    return {
        "link_type": "dedupe_only",
        "unique_id_column_name": "unique_id",
        "comparisons": comparisons(dialect, tf),
        "blocking_rules_to_generate_predictions": [
            {"blocking_rule": blocking_sql(r), "sql_dialect": dialect} for r in blocking
        ],
        "retain_matching_columns": False,
        "retain_intermediate_calculation_columns": True,
        "max_iterations": 100,
        "em_convergence": 1e-5,
        "probability_two_random_records_match": 1e-4,
        "linker_uid": "undercount",
    }


# ---------------------------------------------------------------- backends
@dataclass
class Backend:
    """One database session for Splink: DuckDB in memory, or a (local) Spark session."""

    name: str = "duckdb"
    spark: object | None = None
    threads: int | None = None
    _api: object | None = field(default=None, repr=False)

    @property
    def dialect(self) -> str:
        return "spark" if self.name == "spark" else "duckdb"

    def api(self):
        if self._api is not None:
            return self._api
        if self.name not in BACKENDS:
            raise LinkageError(f"unknown linkage backend {self.name!r}; known: {', '.join(BACKENDS)}")
        if self.name == "duckdb":
            import duckdb
            from splink import DuckDBAPI

            con = duckdb.connect(":memory:")
            if self.threads:
                con.execute(f"SET threads TO {int(self.threads)}")
            self._api = DuckDBAPI(con)
        else:
            try:
                from splink import SparkAPI
            except ImportError as exc:
                raise LinkageError(
                    "linkage.backend spark needs pyspark and a Java runtime: "
                    "pip install 'undercount[spark]' and apt-get install default-jre-headless"
                ) from exc
            spark = self.spark if self.spark is not None else local_spark()
            self._api = SparkAPI(spark_session=spark)
        return self._api


def local_spark(cores: int = 2):
    """A local Spark session for linkage (UTC, few shuffle partitions, no UI)."""
    try:
        from pyspark.sql import SparkSession
    except ImportError as exc:
        raise LinkageError(
            "linkage.backend spark needs pyspark: pip install 'undercount[spark]' "
            "(and a Java runtime, apt-get install default-jre-headless)"
        ) from exc
    import tempfile

    from splink.backends.spark import similarity_jar_location

    session = (
        SparkSession.builder.master(f"local[{cores}]")
        # Splink's string similarity functions (jaro_winkler), shipped inside the splink wheel
        .config("spark.jars", similarity_jar_location())
        .appName("undercount-linkage")
        .config("spark.sql.shuffle.partitions", "4")
        .config("spark.default.parallelism", "4")
        .config("spark.ui.enabled", "false")
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.driver.memory", "2g")
        .getOrCreate()
    )
    # Splink checkpoints intermediate tables (compared columns, no raw names): a private temp folder
    session.sparkContext.setCheckpointDir(tempfile.mkdtemp(prefix="undercount-spark-"))
    return session


# ---------------------------------------------------------------- model
@dataclass
class Model:
    """A trained Splink linker over one table of compared columns."""

    #: splink.Linker (Splink is imported lazily, so it is not named here)
    linker: Any
    backend: Backend
    table: pd.DataFrame
    blocking: tuple[tuple[str, ...], ...]
    pair_counts: dict[str, int]
    prior: float
    converged: bool
    iterations: int
    _pairs_registered: int = 0

    def parameters(self) -> pd.DataFrame:
        """One row per comparison level: m, u and the match weight log2(m/u)."""
        model = self.linker.misc.save_model_to_json()
        rows = []
        for comp in model["comparisons"]:
            levels = [lv for lv in comp["comparison_levels"] if not lv.get("is_null_level")]
            for k, lv in enumerate(levels, start=1):
                m, u = lv.get("m_probability"), lv.get("u_probability")
                weight = math.log2(m / u) if m and u else math.nan
                rows.append(
                    {
                        "comparison": comp["output_column_name"],
                        "level": k,
                        "label": lv.get("label_for_charts", ""),
                        "m": np.nan if m is None else float(m),
                        "u": np.nan if u is None else float(u),
                        "weight": weight,
                        "tf_adjusted": bool(lv.get("tf_adjustment_column")),
                    }
                )
        return pd.DataFrame(rows)


def _tf_table(values: pd.Series, column: str, reference: Mapping[str, float] | None) -> pd.DataFrame:
    """Term frequencies of one column: the lists' own, averaged with a reference where it has the name."""
    counts = values.dropna().value_counts()
    own = counts / max(int(counts.sum()), 1)
    if reference:
        ref = pd.Series(reference, dtype=float)
        both = own.index.intersection(ref.index)
        own = own.copy()
        own[both] = (own[both] + ref[both]) / 2.0
    frame = pd.DataFrame({column: own.index.astype(str), f"tf_{column}": own.to_numpy(dtype=float)})
    return frame.sort_values(column, kind="stable").reset_index(drop=True)


def _splink_input(table: pd.DataFrame) -> pd.DataFrame:
    cols = ["unique_id", "source", *COMPARED]
    out = table[cols].copy()
    for c in ("age", "birth", "day"):
        out[c] = out[c].astype("float64")
    for c in COMPARED:
        if c not in ("age", "birth", "day"):
            out[c] = out[c].astype(object).where(out[c].notna(), None)
    return out


COMPARED = (
    "surname",
    "surname_alt",
    "surname_initial",
    "given",
    "given_initial",
    "name_key",
    "patronymic",
    "patronymic_initial",
    "sex",
    "age",
    "birth",
    "day",
    "place",
    "region",
)


def rule_pairs(table: pd.DataFrame, blocking: Sequence[Sequence[str]]) -> dict[str, int]:
    """Pairs each blocking rule proposes on its own (records agreeing on every column of it).

    Counted from block sizes, without forming a pair: cheap, so it runs before
    any heavy work and a rule that would propose too many pairs stops the run.
    """
    out = {}
    for rule in blocking:
        keys = table[list(rule)].dropna()
        sizes = keys.groupby(list(rule), sort=False).size().to_numpy(dtype=np.int64)
        out[rule_name(rule)] = int((sizes * (sizes - 1) // 2).sum())
    return out


def check_rules(counts: Mapping[str, int], max_pairs: int) -> None:
    too_many = {r: c for r, c in counts.items() if c > max_pairs}
    if too_many:
        rule, count = max(too_many.items(), key=lambda kv: kv[1])
        raise LinkageError(
            f"blocking rule '{rule}' would propose {count:,} candidate pairs, more than "
            f"linkage.max_pairs ({max_pairs:,}); make the rule narrower (add a column) or raise "
            "linkage.max_pairs if the machine can take it"
        )


#: Weight of the prior on each comparison's m, in matched pairs: EM's m step is the posterior
#: mean under a Dirichlet prior centred on the starting m of :func:`comparisons` (see
#: :func:`_smoothed_em`).
PRIOR_PAIRS = 5.0


def _prior_centres(linker) -> dict[str, dict[int, float]]:
    """Per comparison, the starting m of each level (scaled to sum to one): the prior's centre."""
    out: dict[str, dict[int, float]] = {}
    for comp in linker._settings_obj.comparisons:
        levels = comp._comparison_levels_excluding_null
        ms = {lv.comparison_vector_value: float(lv._m_probability) for lv in levels}
        total = sum(ms.values())
        out[comp.output_column_name] = {k: v / total for k, v in ms.items()}
    return out


@contextlib.contextmanager
def _smoothed_em(centres: Mapping[str, Mapping[int, float]], seen: set[tuple[str, int]]):
    """EM whose m step is the posterior mean under a weak Dirichlet prior.

    Splink's m step sets each level's m to its share of the expected matches
    in the training pairs. A level that none of them shows gets m = 0 (its
    weight minus infinity; Splink refuses such a value and drops the session),
    and one that a handful show is estimated from that handful: on a small list,
    or for a comparison that few pairs can make (patronymics known on both
    sides), a level's weight would swing by ten bits on one pair. Here
    m = (expected matches at the level + a x c) / (expected matches + a), with
    a = :data:`PRIOR_PAIRS` and c the prior centre (:func:`_prior_centres`):
    the estimate where matches are many, the centre where there are none
    (Winkler 1988; the numpy engine does the same). Levels that some training
    pair shows are added to ``seen`` (so that :func:`_complete` can tell them
    from levels no pair showed).
    """
    from splink.internals import expectation_maximisation as em

    original = em.compute_proportions_for_new_parameters

    def smoothed(df_params):
        records = original(df_params)
        counts = df_params.as_pandas_dataframe()
        out = [r for r in records if r["output_column_name"] == "_probability_two_random_records_match"]
        given_u = {
            (r["output_column_name"], int(r["comparison_vector_value"])): r["u_probability"] for r in records
        }
        counts = counts[counts["comparison_vector_value"] != -1]
        for name, block in counts.groupby("output_column_name", sort=True):
            if name not in centres:
                continue
            m_count = dict(zip(block["comparison_vector_value"].astype(int), block["m_count"].astype(float)))
            seen.update((name, v) for v in m_count)
            # levels that no pair of this session shows are left out (Splink then leaves this
            # session out of their estimate), and the prior is spread over the levels it shows
            shown = {v: c for v, c in centres[name].items() if v in m_count}
            weight = sum(shown.values())
            total = sum(m_count.values())
            for value, centre in sorted(shown.items()):
                m = (m_count[value] + PRIOR_PAIRS * centre / weight) / (total + PRIOR_PAIRS)
                out.append(
                    {
                        "comparison_vector_value": value,
                        "output_column_name": name,
                        "m_probability": m,
                        "u_probability": given_u.get((name, value)),
                    }
                )
        return out

    em.compute_proportions_for_new_parameters = smoothed
    try:
        yield
    finally:
        em.compute_proportions_for_new_parameters = original


def fit(
    table: pd.DataFrame,
    *,
    blocking: Sequence[Sequence[str]] = DEFAULT_BLOCKING,
    backend: Backend | None = None,
    max_pairs: int = DEFAULT_MAX_PAIRS,
    reference_frequencies: Mapping[str, Mapping[str, float]] | None = None,
    tf: bool = True,
) -> Model:
    """Train a Splink model on one table of compared columns, the same way on every run.

    1. Every blocking rule is counted first; one that proposes more than
       ``max_pairs`` pairs stops here (:class:`LinkageError`, naming rule and count).
    2. Term frequencies of ``surname`` and ``given`` are the lists' own, averaged
       with ``reference_frequencies`` (per column, name key -> share) where
       the reference has the name.
    3. u from a hash-based sample of random pairs (the same sample on every
       run); m by EM over the pairs of each of :data:`TRAINING_RULES` (each
       capped at :data:`EM_PAIRS` by a deterministic hash sample), with a weak
       Dirichlet prior on m (:func:`_smoothed_em`).
    4. The prior share of matches starts from pairs agreeing on every name
       word and the day (assumed to find :data:`PRIOR_RECALL` of the
       matches) and is then estimated by EM over the candidate pairs, m and u
       fixed (:func:`_fit_prior`).
    """
    from splink import Linker

    backend = backend or Backend()
    rules: tuple[tuple[str, ...], ...] = tuple(tuple(r) for r in blocking)
    counts = rule_pairs(table, rules)
    check_rules(counts, max_pairs)
    api = backend.api()
    data = _splink_input(table)
    sdf = api.register(data, table_name=f"__undercount_records_{id(data)}")
    linker = Linker(sdf, settings(backend.dialect, rules, tf), log_level=None)
    if tf:
        refs = reference_frequencies or {}
        for column in ("surname", "given"):
            lookup = _tf_table(table[column], column, refs.get(column))
            registered = api.register(lookup, table_name=f"__undercount_tf_{column}_{id(data)}")
            linker.table_management.register_term_frequency_lookup(registered, column)
    n = len(table)
    total = n * (n - 1) // 2
    agree = rule_pairs(table, [("name_key", "day")])["name_key + day"]
    prior = min(max(agree / PRIOR_RECALL, 1.0) / max(total, 1), 0.5)
    linker._settings_obj._probability_two_random_records_match = prior
    linker.training.estimate_u_using_random_sampling(
        max_pairs=min(max(total, 1), U_PAIRS), seed=U_SEED, min_count_per_level=None, num_chunks=1
    )
    converged, iterations = True, 0
    skipped: list[str] = []
    centres = _prior_centres(linker)
    seen: set[tuple[str, int]] = set()
    for rule in TRAINING_RULES:
        pairs = rule_pairs(table, [rule])[rule_name(rule)]
        if pairs == 0:
            continue
        saved = copy.deepcopy(linker._settings_obj.core_model_settings)
        try:
            with _smoothed_em(centres, seen):
                session = linker.training.estimate_parameters_using_expectation_maximisation(
                    blocking_sql(rule),
                    fix_u_probabilities=True,
                    max_pairs=EM_PAIRS if pairs > EM_PAIRS else None,
                )
        except ValueError as exc:  # a degenerate fit on a small list: keep the other sessions'
            # Splink has already narrowed the model to the comparisons this session trains
            linker._settings_obj.core_model_settings = saved
            log.warning("EM on pairs agreeing on %s gave no usable estimate (%s)", rule_name(rule), exc)
            skipped.append(rule_name(rule))
            continue
        done = max(len(session._core_model_settings_history) - 1, 0)
        iterations += done
        if done >= linker._settings_obj.training_settings.max_iterations:
            converged = False
    _complete(linker, max(total, 1), seen)
    prior = _fit_prior(linker, max(total, 1), prior)
    return Model(linker, backend, table, rules, counts, prior, converged, iterations)


#: Pairs below this match probability (under the starting prior) are left out of the prior's
#: estimate: practically all non-matches, their sum is negligible beside the matches.
PRIOR_SCAN = 1e-5


def _fit_prior(linker, pairs: int, start: float) -> float:
    """The share of matches among all pairs, estimated by EM over the candidate pairs.

    With m and u trained, the share lambda is the fixed point of
    lambda = (sum over candidate pairs of P(match | lambda)) / pairs: the
    expected number of matches among the pairs blocking proposes (the pairs it
    leaves out are taken for non-matches) over all pairs. This is the EM
    estimate of lambda with m and u fixed; it replaces the starting value (pairs
    agreeing on every name word and the day, divided by an assumed recall),
    which counts namesakes detained the same day as matches on large lists and
    misses every match with a date or a name word missing on small ones.
    """
    predicted = linker.inference.predict(threshold_match_probability=PRIOR_SCAN)
    weights = linker.misc.query_sql(
        f"select match_weight from {predicted.physical_name}", output_type="pandas"
    )["match_weight"].to_numpy(dtype=float)
    predicted.drop_table_from_database_and_remove_from_cache()
    if len(weights) == 0:
        return start
    # log2 Bayes factor of each pair: its match weight without the prior's part
    factor = weights - math.log2(start / (1.0 - start))
    lam = start
    for _ in range(1000):
        odds = np.exp2(factor + math.log2(lam / (1.0 - lam)))
        new = min(float(np.sum(odds / (1.0 + odds))) / pairs, 0.5)
        if abs(new - lam) <= 1e-9 * lam:
            lam = new
            break
        lam = new
    linker._settings_obj._probability_two_random_records_match = lam
    return lam


def _complete(linker, pairs: int, seen: set[tuple[str, int]]) -> None:
    """m of every comparison summing to one; a u for levels no random pair showed.

    Splink takes each level's m as the median over the training sessions that
    estimated it, so a comparison's m can drift from a distribution; they are
    rescaled. A level that no sampled random pair showed gets u = 1 / (2 x pairs
    sampled), half the smallest share the sample could have seen, when some
    training pair showed it (``seen``); a level seen nowhere gets u = m (no
    evidence either way).
    """
    floor = 0.5 / min(pairs, U_PAIRS)
    for comp in linker._settings_obj.comparisons:
        levels = comp._comparison_levels_excluding_null
        # Splink's getters fall back on default values for untrained levels: read the stored ones
        ms = [lv._m_probability for lv in levels]
        ms = [m if isinstance(m, float) else None for m in ms]
        known = [m for m in ms if m is not None]
        if known:
            total = sum(known)
            for lv, m in zip(levels, ms):
                if m is not None:
                    lv.m_probability = m / total
        for lv in levels:
            u = lv._u_probability
            if not isinstance(u, float) or u <= 0:
                # seen among training pairs but never among random pairs: rarer than the sample
                # could show; seen nowhere: no evidence either way (Bayes factor 1)
                shown = (comp.output_column_name, lv.comparison_vector_value) in seen
                lv.u_probability = floor if shown else lv.m_probability


def predictions(model: Model, min_probability: float = 0.0) -> pd.DataFrame:
    """Every candidate pair the blocking rules propose: ids, probability, per-field weights.

    Columns ``i, j`` (record positions, i < j), ``probability``, ``weight``
    (total match weight) and ``mw_<comparison>`` for each of :data:`COMPARISONS`.
    """
    df = model.linker.inference.predict(threshold_match_probability=min_probability or None)
    return _pairs_frame(df.as_pandas_dataframe())


def _pairs_frame(raw: pd.DataFrame) -> pd.DataFrame:
    i = raw["unique_id_l"].to_numpy(dtype=np.int64)
    j = raw["unique_id_r"].to_numpy(dtype=np.int64)
    out = pd.DataFrame(
        {
            "i": np.minimum(i, j),
            "j": np.maximum(i, j),
            "probability": raw["match_probability"].to_numpy(dtype=float),
            "weight": raw["match_weight"].to_numpy(dtype=float),
        }
    )
    for comp in COMPARISONS:
        out[f"mw_{comp}"] = _field_weight(raw, comp)
    return out.sort_values(["i", "j"], kind="stable").reset_index(drop=True)


def _field_weight(raw: pd.DataFrame, comp: str) -> np.ndarray:
    """log2 of a comparison's Bayes factor in each pair (with its term-frequency part)."""
    mw = raw.get(f"mw_{comp}")
    w = np.zeros(len(raw)) if mw is None else mw.to_numpy(dtype=float)
    tf = raw.get(f"mw_tf_adj_{comp}")
    if tf is not None:
        w = w + tf.to_numpy(dtype=float)
    return w


def score_pairs(model: Model, i: np.ndarray, j: np.ndarray) -> pd.DataFrame:
    """Score given pairs (record positions), whether blocking proposed them or not."""
    if len(i) == 0:
        return _pairs_frame(
            pd.DataFrame(columns=["unique_id_l", "unique_id_r", "match_probability", "match_weight"])
        )
    api = model.backend.api()
    a, b = np.minimum(i, j), np.maximum(i, j)
    blocked = pd.DataFrame({"match_key": "0", "join_key_l": a.astype(str), "join_key_r": b.astype(str)})
    if model.backend.dialect == "duckdb":
        blocked["join_key_l"] = a
        blocked["join_key_r"] = b
    model._pairs_registered += 1
    sdf = api.register(blocked, table_name=f"__undercount_pairs_{model._pairs_registered}")
    linker = model.linker
    cache = linker._intermediate_table_cache
    key = [k for k in list(cache.keys()) if "blocked" in k]
    saved = {k: cache[k] for k in key}
    try:
        linker.table_management.register_blocked_pairs_for_predict(sdf)
        raw = linker.inference.predict(warning_mode="never").as_pandas_dataframe()
    finally:
        for k in [k for k in list(cache.keys()) if "blocked" in k]:
            del cache[k]
        for k, v in saved.items():
            cache[k] = v
    return _pairs_frame(raw)
