"""Provenance: what exactly a set of results was computed from."""

from __future__ import annotations

import hashlib
import os
import platform
import sys
from collections.abc import Iterable, Mapping
from importlib import metadata
from pathlib import Path
from typing import Any

PACKAGES = (
    "undercount",
    "numpy",
    "scipy",
    "pandas",
    "statsmodels",
    "plotnine",
    "matplotlib",
    "snakemake",
    "jsonschema",
    "openpyxl",
    "numba",
    "splink",
    "duckdb",
)


def sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def tree_digest(paths: Iterable[str | Path], root: str | Path) -> str:
    """One SHA-256 over files (relative path and content), independent of their order."""
    digest = hashlib.sha256()
    root = Path(root)
    for path in sorted(Path(p) for p in paths):
        digest.update(str(path.relative_to(root)).encode("utf-8") + b"\0")
        digest.update(Path(path).read_bytes() + b"\0")
    return digest.hexdigest()


def package_versions(names: Iterable[str] = PACKAGES) -> dict[str, str]:
    out = {"python": platform.python_version()}
    for name in names:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def project_path(path: str | Path, project: str | Path) -> str:
    """``path`` as the results may show it: relative to the project, never absolute.

    A file inside the project is given by its path relative to the project
    (``config/config.yaml``), so that two checkouts in different places write
    the same provenance; a file outside it by its name alone, with a note
    (``lists.yaml (outside the project)``), so that no analyst's directory
    layout reaches the results. Its SHA-256 identifies it either way.
    """
    project = Path(project).resolve()
    resolved = (project / path).resolve() if not Path(path).is_absolute() else Path(path).resolve()
    try:
        return resolved.relative_to(project).as_posix()
    except ValueError:
        return f"{resolved.name} (outside the project)"


def provenance_rows(
    inputs: Mapping[str, str],
    config_files: Iterable[str],
    code_root: str | Path,
    seeds: Mapping[str, int],
    master_seed: int,
    project: str | Path = ".",
) -> list[dict[str, Any]]:
    """Rows of ``kind, name, value``: input and config digests, code digest, versions, seeds.

    ``seeds`` are the seeds the workflow gave its jobs, by job; paths are shown
    relative to ``project`` (:func:`project_path`).
    """

    rows: list[dict[str, Any]] = []
    for name, path in inputs.items():
        rows.append(
            {"kind": "input sha256", "name": f"{name}: {project_path(path, project)}", "value": sha256(path)}
        )
    for path in config_files:
        rows.append({"kind": "config sha256", "name": project_path(path, project), "value": sha256(path)})
    code_root = Path(code_root)
    code = [p for p in code_root.rglob("*") if p.is_file() and p.suffix in (".py", ".yaml")]
    rows.append(
        {
            "kind": "code sha256",
            "name": "src/undercount (all .py and .yaml files)",
            "value": tree_digest(code, code_root),
        }
    )
    for name, version in package_versions().items():
        rows.append({"kind": "version", "name": name, "value": version})
    rows.append({"kind": "seed", "name": "master seed (config)", "value": str(master_seed)})
    for name, seed in sorted(seeds.items()):
        rows.append({"kind": "seed", "name": name, "value": str(seed)})
    rows.append({"kind": "platform", "name": "interpreter", "value": sys.implementation.name})
    # the BLAS kernels every job loads (undercount._blas): results can differ in digits between kernels
    kernels = os.environ.get("OPENBLAS_CORETYPE") or "not pinned (each CPU's own)"
    rows.append({"kind": "platform", "name": "OpenBLAS kernels (OPENBLAS_CORETYPE)", "value": kernels})
    disabled = os.environ.get("NPY_DISABLE_CPU_FEATURES") or "none (no AVX-512 here, or not pinned)"
    rows.append(
        {"kind": "platform", "name": "numpy kernels disabled (NPY_DISABLE_CPU_FEATURES)", "value": disabled}
    )
    return rows
