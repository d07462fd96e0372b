# undercount: from source lists of victims to estimates of the undocumented.
# Layout and conventions: README.md; configuration: config/README.md.
import os

from snakemake.utils import min_version

min_version("8.20")


# The demo config is read only when no --configfile is given: an analyst's config
# replaces it entirely (Snakemake would otherwise merge the two, and the demo's
# synthetic events would run beside the analyst's lists).
if not workflow.overwrite_configfiles:

    configfile: "config/config.yaml"


# The report opens on the answer: results/landing.rst (rule answer) once the workflow has run.
LANDING = os.path.abspath("results/landing.rst")


report: LANDING if os.path.exists(LANDING) else "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/ingest.smk"
include: "workflow/rules/link.smk"
include: "workflow/rules/histories.smk"
include: "workflow/rules/draws.smk"
include: "workflow/rules/estimate.smk"
include: "workflow/rules/figures.smk"
include: "workflow/rules/sensitivity.smk"
include: "workflow/rules/report.smk"


rule all:
    default_target: True
    input:
        all_outputs(),
