"""Record linkage: which records, within and across sources, are the same person.

The package: :mod:`.features` (the compared columns our Kazakh/Russian name
logic makes), :mod:`.engine` (Splink on DuckDB or Spark), :mod:`.core`
(fitting, clustering with conflict rules and labelled constraints, the
deterministic baseline, accuracy against truth), :mod:`.labels` (clerical-review
labels: reading, constraints, accuracy estimated from them).
"""

from .core import (
    ACCURACY_COLUMNS,
    AGE_TOLERANCE,
    CAVEATS,
    CONFLICT,
    DECIMALS,
    DEFAULT_THRESHOLD,
    METHODS,
    PERSON_COLUMNS,
    TRUTH_COLUMNS,
    Conflicts,
    LabelConflictError,
    Linkage,
    accuracy_table,
    cluster,
    fit_linkage,
    hard_conflict,
    link,
    link_deterministic,
    link_population,
    link_population_thresholds,
    memberships,
    names_compatible,
    pairwise_accuracy,
    place_column,
    read_truth,
)

__all__ = [
    "ACCURACY_COLUMNS",
    "AGE_TOLERANCE",
    "CAVEATS",
    "CONFLICT",
    "DECIMALS",
    "DEFAULT_THRESHOLD",
    "METHODS",
    "PERSON_COLUMNS",
    "TRUTH_COLUMNS",
    "Conflicts",
    "LabelConflictError",
    "Linkage",
    "accuracy_table",
    "cluster",
    "fit_linkage",
    "hard_conflict",
    "link",
    "link_deterministic",
    "link_population",
    "link_population_thresholds",
    "memberships",
    "names_compatible",
    "pairwise_accuracy",
    "place_column",
    "read_truth",
]
