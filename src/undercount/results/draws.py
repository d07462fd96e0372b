"""Draws of N: posterior draws or bootstrap replicates, shaped (chain, draw)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ..errors import MethodError

#: What a set of draws is a sample of. ``posterior``: draws from a posterior
#: distribution of N (Markov chains, or evenly spaced quantiles of an exact
#: posterior); ``bootstrap``: replicates of an estimator over resampled tables.
KINDS = ("posterior", "bootstrap")


@dataclass(frozen=True, eq=False)
class Draws:
    """Draws of the total N, one row per chain.

    A bootstrap is one chain. A replicate without an estimate is NaN (it stays
    in ``values``, so that their number is known, and is left out of every
    quantile).

    Attributes
    ----------
    values
        Float array shaped ``(chain, draw)``; read-only.
    kind
        One of :data:`KINDS`.
    """

    values: np.ndarray
    kind: str

    def __post_init__(self) -> None:
        values = np.array(self.values, dtype=float)
        if values.ndim != 2:
            raise MethodError(f"draws are shaped (chain, draw); got an array of {values.ndim} dimension(s)")
        if self.kind not in KINDS:
            raise MethodError(f"draws are of kind {' or '.join(KINDS)}, not {self.kind!r}")
        values.setflags(write=False)
        object.__setattr__(self, "values", values)

    @classmethod
    def bootstrap(cls, replicates: Any) -> Draws:
        """Bootstrap replicates (one dimension) as one chain."""
        return cls(np.asarray(replicates, dtype=float).reshape(1, -1), "bootstrap")

    @classmethod
    def posterior(cls, by_chain: Any) -> Draws:
        """Posterior draws, ``(chain, draw)``; a single sequence is one chain."""
        values = np.asarray(by_chain, dtype=float)
        return cls(values.reshape(1, -1) if values.ndim == 1 else values, "posterior")

    @property
    def chains(self) -> int:
        return int(self.values.shape[0])

    @property
    def per_chain(self) -> int:
        return int(self.values.shape[1])

    @property
    def size(self) -> int:
        return int(self.values.size)

    @property
    def pooled(self) -> np.ndarray:
        """Every draw in one vector, chain after chain."""
        return self.values.reshape(-1)

    @property
    def finite(self) -> np.ndarray:
        """The pooled draws that have an estimate."""
        pooled = self.pooled
        return pooled[np.isfinite(pooled)]

    def quantiles(self, probabilities: Any) -> np.ndarray:
        """Quantiles of the finite pooled draws (numpy's default, linear interpolation)."""
        return np.quantile(self.finite, probabilities)

    def to_json(self) -> dict[str, Any]:
        return {"kind": self.kind, "chains": self.chains, "per_chain": self.per_chain, "values": self.values}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Draws:
        values = np.array(data["values"], dtype=float).reshape(int(data["chains"]), int(data["per_chain"]))
        return cls(values, str(data["kind"]))

    def __same__(self, other: Draws) -> bool:
        return self.kind == other.kind and bool(np.array_equal(self.values, other.values, equal_nan=True))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Draws) and self.__same__(other)

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return f"Draws(kind={self.kind!r}, chains={self.chains}, per_chain={self.per_chain})"
