"""Record linkage: which records, within and across sources, are the same person.

The package: :mod:`.features` (the compared columns our Kazakh/Russian name
logic makes), :mod:`.engine` (Splink on DuckDB or Spark), :mod:`.core`
(fitting, clustering with conflict rules and labelled constraints, the
deterministic baseline, accuracy against truth), :mod:`.labels` (clerical-review
labels: reading, constraints, accuracy estimated from them), :mod:`.draws`
(plausible partitions drawn from the pairs' match probabilities, their
calibration, and estimates pooled over them).
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
from .draws import (
    PartitionDraws,
    Recalibration,
    calibration_table,
    draw_partitions,
    fit_recalibration,
    pooled_estimate,
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
    "PartitionDraws",
    "Recalibration",
    "accuracy_table",
    "calibration_table",
    "cluster",
    "draw_partitions",
    "fit_linkage",
    "fit_recalibration",
    "hard_conflict",
    "link",
    "link_deterministic",
    "link_population",
    "link_population_thresholds",
    "memberships",
    "names_compatible",
    "pairwise_accuracy",
    "place_column",
    "pooled_estimate",
    "read_truth",
]
