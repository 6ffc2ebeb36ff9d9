import os
import sys
from pathlib import Path

from snakemake.utils import validate

# The rule scripts import the package next to them; the Snakefile needs it too.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from firstshot import InputError
from firstshot.dataset import find_machines, list_clips
from firstshot.settings import describe_config_errors, load_schema
from firstshot.synthetic import SyntheticSettings, clip_names

SCHEMA = Path(workflow.basedir) / "workflow" / "schemas" / "config.schema.yaml"
config_errors = describe_config_errors(config, load_schema(SCHEMA))
if config_errors:
    raise WorkflowError(
        f"{len(config_errors)} invalid config setting(s):\n  "
        + "\n  ".join(config_errors)
    )
# Fills in the schema's defaults for keys that the config leaves out.
validate(config, "../schemas/config.schema.yaml")


def check_writable(folder):
    """Stop at parse time when a folder that jobs write to cannot be written."""
    path = Path(folder)
    if path.exists() and not path.is_dir():
        raise WorkflowError(
            f"'{path.resolve()}' is a file, but the workflow writes its {folder} there. "
            "Move the file away or run in another folder with --directory."
        )
    if path.exists() and not os.access(path, os.W_OK | os.X_OK):
        raise WorkflowError(
            f"The folder '{path.resolve()}' cannot be written. Give the user write "
            "permission on it, or run in another folder with --directory."
        )


for folder in ("results", "logs"):
    check_writable(folder)

SYNTHETIC_DIR = "resources/synthetic"
DATASETS = ("dev", "eval")


wildcard_constraints:
    dataset="dev|eval",
    split="train|test",
    machine="[^/]+",


def get_root(dataset):
    return config[f"{dataset}_root"]


def is_synthetic(dataset):
    """Whether a data root is the synthetic data set that this workflow generates."""
    default = Path(SYNTHETIC_DIR) / f"{dataset}_data" / "raw"
    return Path(get_root(dataset)) == default


def get_synthetic_settings():
    return SyntheticSettings.from_config(config["synthetic"])


def discover_clips(dataset):
    """Return {machine: {split: [clip path]}} of one data set, checked once at parse time."""
    root = get_root(dataset)
    machines = config[f"{dataset}_machines"]
    if is_synthetic(dataset):
        settings = get_synthetic_settings()
        machines = machines or list(getattr(settings, f"{dataset}_machines"))
        return {
            machine: {
                split: [
                    f"{root}/{machine}/{split}/{name}"
                    for name in clip_names(settings, dataset, machine, split)
                ]
                for split in ("train", "test")
            }
            for machine in machines
        }
    try:
        return list_clips(root, machines or find_machines(root))
    except InputError as error:
        raise WorkflowError(f"Invalid '{dataset}_root': {error}") from None


CLIPS = {dataset: discover_clips(dataset) for dataset in DATASETS}


def get_machines(dataset):
    return list(CLIPS[dataset])


def get_clip_paths(wildcards):
    return CLIPS[wildcards.dataset][wildcards.machine][wildcards.split]


def get_synthetic_clip_paths():
    """Every clip file of the synthetic data sets in use, the outputs of the generator."""
    return [
        path
        for dataset in DATASETS
        if is_synthetic(dataset)
        for splits in CLIPS[dataset].values()
        for paths in splits.values()
        for path in paths
    ]


def get_synthetic_machines():
    """Return {dataset: (root, machines)} for the data sets that the generator writes."""
    return {
        dataset: (get_root(dataset), get_machines(dataset))
        for dataset in DATASETS
        if is_synthetic(dataset)
    }


def get_synthetic_ground_truth():
    if not is_synthetic("eval"):
        return []
    return expand(
        f"{SYNTHETIC_DIR}/eval_data/ground_truth/ground_truth{{kind}}_{{machine}}_section_00_test.csv",
        kind=["", "_domain"],
        machine=get_machines("eval"),
    )


def get_dev_training_features():
    return expand(
        "results/features/dev/{machine}/train.zarr", machine=get_machines("dev")
    )


def get_submission_files():
    return expand(
        "results/submission/{kind}_{machine}_section_00_test.csv",
        kind=["anomaly_score", "decision_result"],
        machine=get_machines("eval"),
    )
