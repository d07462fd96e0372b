"""undercount: multiple systems estimation of undocumented victims.

The library is layered the way data flows through the workflow::

    records -> linkage -> histories -> estimators -> figures

Every stage is a plain function of its inputs; nothing here knows about
Snakemake or about paths under ``results/``.
"""

__version__ = "0.1.0"
