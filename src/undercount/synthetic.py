"""Which source lists are synthetic: decided by the files themselves, never by a switch.

``undercount simulate`` writes, beside the lists it generates, a manifest
(:data:`MANIFEST`, in ``sha256sum`` format) with the SHA-256 of every file it
wrote. The committed demonstration lists' manifest is also packaged with the
library (``undercount/data/demo.sha256``), so a demo list copied anywhere else
is still recognised. A source is synthetic when its file's hash is in the
manifest of its own folder or in the packaged one, or when the config says so
(``synthetic: true`` on the source). No setting can make a synthetic list look
real: results built from one always carry the "synthetic data" label.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

#: File name of the manifest ``undercount simulate`` writes beside its lists.
MANIFEST = "SYNTHETIC.sha256"


def file_sha256(path: str | Path) -> str:
    """SHA-256 of a file's bytes, hex (:func:`undercount.provenance.sha256`)."""
    from .provenance import sha256

    return sha256(path)


def parse_manifest(text: str) -> dict[str, str]:
    """``{file name: sha256}`` from ``sha256sum``-format lines (``<hash>  <name>``)."""
    out = {}
    for line in text.splitlines():
        if line.strip():
            digest, _, name = line.partition("  ")
            out[name.strip()] = digest.strip().lower()
    return out


def format_manifest(files: list[Path]) -> str:
    """The manifest of ``files``, sorted by name, in ``sha256sum`` format."""
    return "".join(f"{file_sha256(p)}  {p.name}\n" for p in sorted(files, key=lambda p: p.name))


@lru_cache(maxsize=1)
def _packaged_hashes() -> frozenset[str]:
    text = resources.files("undercount").joinpath("data", "demo.sha256").read_text("utf-8")
    return frozenset(parse_manifest(text).values())


@lru_cache(maxsize=64)
def _folder_hashes(folder: str, mtime_ns: int) -> frozenset[str]:
    return frozenset(parse_manifest((Path(folder) / MANIFEST).read_text("utf-8")).values())


@lru_cache(maxsize=1024)
def _file_hash(path: str, size: int, mtime_ns: int) -> str:
    return file_sha256(path)


def is_synthetic_file(path: str | Path) -> bool:
    """True when ``path`` is a list that ``undercount simulate`` wrote (by its hash).

    A file that does not exist (yet) is not synthetic; reading it fails later
    with its own error.
    """
    path = Path(path)
    try:
        stat = path.stat()
    except OSError:
        return False
    if not path.is_file():
        return False
    digest = _file_hash(str(path.resolve()), stat.st_size, stat.st_mtime_ns)
    if digest in _packaged_hashes():
        return True
    manifest = path.parent / MANIFEST
    try:
        folder = _folder_hashes(str(path.parent.resolve()), manifest.stat().st_mtime_ns)
    except OSError:
        return False
    return digest in folder
