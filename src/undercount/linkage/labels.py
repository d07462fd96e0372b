"""Clerical-review labels: reading them, turning them into constraints, accuracy from them.

A labels file (written by the review page, :mod:`undercount.review`) has one row
per reviewed pair and no names::

    source_a,record_id_a,source_b,record_id_b,label
    official,ГП-012,azattyq,AZ-101,match

``label`` is ``match``, ``non-match`` or ``unsure``. Matches become must-link
and non-matches cannot-link constraints of the clustering; ``unsure`` rows are
kept for the record but used for nothing.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import InputError

LABEL_COLUMNS = ["source_a", "record_id_a", "source_b", "record_id_b", "label"]
LABELS = ("match", "non-match", "unsure")
#: Match-probability bands the review page samples from, and that weight labels for accuracy.
BANDS = (0.0, 0.01, 0.1, 0.3, 0.5, 0.7, 0.9, 0.99, 1.000001)
LABEL_ACCURACY_COLUMNS = [
    "event",
    "population",
    "threshold",
    "records",
    "precision",
    "recall",
    "f1",
    "persons_found",
    "true_persons",
    "basis",
    "labelled_pairs",
]


def read_label_accuracy_exact(path: str | Path) -> pd.DataFrame:
    """A :func:`label_accuracy` table written without a float format, with the same values and types."""
    from .core import read_exact

    frame = read_exact(
        path,
        floats=("threshold", "precision", "recall", "f1", "true_persons"),
        ints=("records", "persons_found", "labelled_pairs"),
    )
    return frame if len(frame) else pd.DataFrame(columns=LABEL_ACCURACY_COLUMNS)


def read_labels(path: str | Path, known: Mapping[str, Iterable[str]] | None = None) -> pd.DataFrame:
    """Read and check a labels file.

    ``known`` maps each source id to its record ids (None: a list of another kind,
    whose pairs are checked by that population's job); a row naming a source or a
    record not in it is an error naming the file and the row (ids only: record
    ids are echoed, never a name).
    """
    path = Path(path)
    if not path.is_file():
        raise InputError("labels file not found", file=str(path))
    frame = pd.read_csv(path, dtype=str, keep_default_na=False)
    missing = [c for c in LABEL_COLUMNS if c not in frame.columns]
    if missing:
        raise InputError(
            f"missing column(s) {', '.join(missing)} (a labels file has {', '.join(LABEL_COLUMNS)})",
            file=str(path),
            row=1,
            column=missing[0],
        )
    frame = frame[LABEL_COLUMNS].apply(lambda c: c.str.strip())
    sets = {s: None if ids is None else set(map(str, ids)) for s, ids in (known or {}).items()}
    for k, row in enumerate(frame.itertuples(index=False), start=2):
        if row.label not in LABELS:
            raise InputError(
                f"label must be one of {', '.join(LABELS)}", file=str(path), row=k, column="label"
            )
        for side in ("a", "b"):
            source, record = getattr(row, f"source_{side}"), getattr(row, f"record_id_{side}")
            if not source or not record:
                raise InputError(
                    "a value is required here but the cell is blank",
                    file=str(path),
                    row=k,
                    column=f"source_{side}" if not source else f"record_id_{side}",
                )
            if known is None:
                continue
            if source not in sets:
                raise InputError(
                    f"unknown source {source!r} (the lists are {', '.join(sorted(sets))})",
                    file=str(path),
                    row=k,
                    column=f"source_{side}",
                )
            if sets[source] is not None and record not in sets[source]:
                raise InputError(
                    f"no record {record!r} in list {source!r}",
                    file=str(path),
                    row=k,
                    column=f"record_id_{side}",
                )
        if (row.source_a, row.record_id_a) == (row.source_b, row.record_id_b):
            raise InputError("a record is paired with itself", file=str(path), row=k, column="record_id_b")
    return frame


def constraints(labels: pd.DataFrame) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
    """(must-link, cannot-link) pairs of record keys ``source\\x1frecord_id`` from labels.

    When one pair is labelled more than once, the last label counts.
    """
    last: dict[tuple[str, str], str] = {}
    for row in labels.itertuples(index=False):
        a = f"{row.source_a}\x1f{row.record_id_a}"
        b = f"{row.source_b}\x1f{row.record_id_b}"
        last[(min(a, b), max(a, b))] = row.label
    must = [pq for pq, lab in last.items() if lab == "match"]
    cannot = [pq for pq, lab in last.items() if lab == "non-match"]
    return must, cannot


def band_of(probability: np.ndarray) -> np.ndarray:
    return np.searchsorted(np.asarray(BANDS), np.asarray(probability, dtype=float), side="right") - 1


def label_accuracy(
    labels: pd.DataFrame,
    linkage,
    *,
    thresholds: Sequence[float],
    event: str,
    population: str,
) -> pd.DataFrame:
    """Pairwise precision and recall estimated from labelled pairs, at every threshold.

    The linkage is clustered *without* the labels as constraints (else it would
    agree with them by construction). Each labelled pair (``unsure`` left out)
    stands for the candidate pairs of its match-probability band
    (:data:`BANDS`): its weight is the band's candidate pairs divided by the
    band's labelled pairs. Estimated true positives, false positives and false
    negatives are weighted sums; pairs blocking never proposed are not covered.
    """
    must, cannot = constraints(labels)
    pairs = [(a, b, 1) for a, b in must] + [(a, b, 0) for a, b in cannot]
    where = {k: p for p, k in enumerate(linkage.keys)}
    saved = (linkage.must_link, linkage.cannot_link)
    linkage.must_link, linkage.cannot_link = [], []
    rows = []
    try:
        if pairs:
            a = np.array([where[x] for x, _, _ in pairs])
            b = np.array([where[y] for _, y, _ in pairs])
            truth = np.array([t for _, _, t in pairs], dtype=bool)
            prob = linkage.pair_probability(np.minimum(a, b), np.maximum(a, b))
            band = band_of(prob)
            in_band = np.bincount(band_of(linkage.probability), minlength=len(BANDS) - 1).astype(float)
            labelled = np.bincount(band, minlength=len(BANDS) - 1).astype(float)
            weight = np.maximum(in_band[band], 1.0) / labelled[band]
        for t in sorted(set(float(x) for x in thresholds)):
            labels_t = linkage.labels(t)
            if pairs:
                linked = labels_t[a] == labels_t[b]
                tp = float(weight[linked & truth].sum())
                fp = float(weight[linked & ~truth].sum())
                fn = float(weight[~linked & truth].sum())
                precision = tp / (tp + fp) if tp + fp else np.nan
                recall = tp / (tp + fn) if tp + fn else np.nan
                f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
            else:
                precision = recall = f1 = np.nan
            rows.append(
                {
                    "event": event,
                    "population": population,
                    "threshold": t,
                    "records": linkage.n,
                    "precision": precision,
                    "recall": recall,
                    "f1": f1,
                    "persons_found": int(len(np.unique(labels_t))),
                    "true_persons": np.nan,
                    "basis": "labels",
                    "labelled_pairs": len(pairs),
                }
            )
    finally:
        linkage.must_link, linkage.cannot_link = saved
    return pd.DataFrame(rows, columns=LABEL_ACCURACY_COLUMNS)
