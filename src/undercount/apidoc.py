"""The API reference, generated from the docstrings with pdoc: ``python -m undercount.apidoc DIR``.

``make docs`` writes it to ``docs/api/`` (open ``index.html``). It documents the
public API of ``import undercount`` (:data:`MODULES`): estimating from a table,
the results and their combination, the capture-history table, linkage, and
progress reporting. The docstrings are numpydoc; pdoc renders them as such.
"""

from __future__ import annotations

import sys
from pathlib import Path

#: Modules of the reference, in its order: the package (its ``__all__`` is the public API), then
#: the modules that public names live in and whose other members a user meets.
MODULES = (
    "undercount",
    "undercount.results",  # with its submodules: result, combine, draws, details, tidy
    "undercount.estimators",
    "undercount.histories",
    "undercount.linkage",
    "undercount.progress",
)


def build(output: str | Path, modules: tuple[str, ...] = MODULES) -> Path:
    """Write the HTML reference of ``modules`` into ``output``; returns the index page's path.

    Raises
    ------
    ImportError
        pdoc is not installed (``pip install 'undercount[docs]'``).
    """
    try:
        import pdoc
        import pdoc.render
    except ImportError as exc:  # pragma: no cover - the docs extra is part of the test extra
        raise ImportError("the API reference needs pdoc: pip install 'undercount[docs]'") from exc
    out = Path(output)
    pdoc.render.configure(docformat="numpy", search=False, show_source=False)
    pdoc.pdoc(*modules, output_directory=out)
    return out / "index.html"


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if len(args) != 1:
        print("usage: python -m undercount.apidoc OUTPUT_DIR", file=sys.stderr)
        return 2
    index = build(args[0])
    print(f"API reference: {index}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
