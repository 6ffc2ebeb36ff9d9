import shutil
import sys
from functools import cache
from pathlib import Path

from snakemake.logging import logger
from snakemake.utils import validate

# The rule scripts import the package next to them; the Snakefile needs it too.
sys.path.insert(0, str(Path(workflow.basedir) / "workflow" / "scripts"))

from firstshot import InputError
from firstshot.dataset import find_machines, list_clips
from firstshot.synthetic import SyntheticSettings, clip_names

validate(config, "../schemas/config.schema.yaml")

SYNTHETIC_DIR = "resources/synthetic"
DATASETS = ("dev", "eval")
FEATURE_CACHE_DIR = "results/cache/logmel"
PRETRAINED_MODEL = "results/pretrain/model.pt"


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


def get_pretrained_model():
    """Return the model that fine-tuning starts from: the config's file, else pretraining's output."""
    path = config["pretrained_model"]
    if path is None:
        return PRETRAINED_MODEL
    if Path(path).resolve() == Path(PRETRAINED_MODEL).resolve():
        # Snakemake treats its own output as stale when the development data change,
        # which is what this setting is meant to avoid.
        raise WorkflowError(
            f"'pretrained_model' is set to {path}, the output of the rule pretrain_model. "
            "Copy that file to another place, e.g. resources/pretrained/model.pt, and "
            "point 'pretrained_model' at the copy."
        )
    if not Path(path).is_file():
        raise WorkflowError(
            f"'pretrained_model' is set to {path}, but that file was not found. Point it at "
            f"a model written by the rule pretrain_model ({PRETRAINED_MODEL}), or set it to null "
            "to pretrain one."
        )
    return path


# --- GPU requests of the training rules ---


@cache
def has_local_cuda():
    """Whether torch on this host finds a CUDA device, as pick_device('auto') will."""
    # Importing torch takes seconds, so a host without nvidia-smi, which comes
    # with the NVIDIA driver, is taken to have no CUDA device.
    if not shutil.which("nvidia-smi"):
        return False
    import torch

    return torch.cuda.is_available()


@cache
def warn_if_gpu_cap_serialises_cluster():
    # With --profile, Snakemake also loads profiles/default, and its gpu cap
    # then holds a cluster to one training job at a time.
    if workflow.global_resources.get("gpu").value == 1:
        logger.warning(
            "The gpu resource is capped at 1, so the cluster runs one training job at "
            "a time. Use '--workflow-profile profiles/slurm', which replaces "
            "profiles/default and its cap, or raise the cap with '--resources gpu=N'."
        )


def get_training_gpus(wildcards):
    """Return the number of GPUs that a training job requests: 1 when it trains on CUDA, else 0.

    On a cluster the job runs on another node, so the request follows the
    config alone. Locally it also needs a CUDA device on this host, because the
    default profile caps the gpu resource at 1 and a CPU-only machine would
    otherwise run its training jobs one at a time.

    NOTE: a dry run uses a local pseudo-executor, so even with the SLURM
    profile it shows this host's answer, 0 on a host without CUDA.
    """
    device = config["training"]["device"]
    if not (device == "auto" or device.startswith("cuda")):
        return 0
    if workflow.non_local_exec:
        if not workflow.remote_exec:
            warn_if_gpu_cap_serialises_cluster()
        return 1
    if device != "auto":
        return 1
    return int(has_local_cuda())
