from snakemake.utils import min_version

min_version("9.0")


configfile: "config/config.yaml"


report: "workflow/report/workflow.rst"


include: "workflow/rules/common.smk"
include: "workflow/rules/synthetic.smk"
include: "workflow/rules/features.smk"
include: "workflow/rules/training.smk"
include: "workflow/rules/detection.smk"
include: "workflow/rules/evaluation.smk"
include: "workflow/rules/plots.smk"


# Run in the main Snakemake process even on a cluster: generating the synthetic
# data takes seconds, less than a queue wait, and `all` and collect_submission
# only collect targets.
localrules:
    all,
    generate_synthetic_data,
    collect_submission,


rule all:
    default_target: True
    input:
        get_final_outputs(),
