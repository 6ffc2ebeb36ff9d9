import os
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
from firstshot.names import parse_clip_name
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
FEATURE_CACHE_DIR = "results/cache/logmel"
PRETRAINED_MODEL = "results/pretrain/all/model.pt"


wildcard_constraints:
    dataset="dev|eval",
    split="train|test",
    machine="[^/]+",
    pretrain_set="all|without_[^/]+",


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


def get_submission_files():
    return expand(
        "results/submission/{kind}_{machine}_section_00_test.csv",
        kind=["anomaly_score", "decision_result"],
        machine=get_machines("eval"),
    )


def get_configured_pretrained_model():
    """Return the config's pretrained model file after checking it, or None when unset."""
    path = config["pretrained_model"]
    if path is None:
        return None
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


# ---- Evaluation, leave-one-machine-out mode and report -------------------------------
#
# The dataset wildcard also names the pretraining set: an evaluation machine is
# fine-tuned from the model pretrained on every development machine
# (results/pretrain/all), and a development machine, scored only in the
# leave_one_out mode, from the model pretrained on the other development
# machines (results/pretrain/without_<machine>).

MODE = config["mode"]
HELD_OUT_PREFIX = "without_"


def get_scored_dataset():
    """The data set whose machines the configured mode fine-tunes, scores and evaluates."""
    return "eval" if MODE == "submission" else "dev"


def get_pretrain_set(dataset, machine):
    return "all" if dataset == "eval" else f"{HELD_OUT_PREFIX}{machine}"


def get_pretrained_model(wildcards):
    """Return the model that fine-tuning starts from.

    Evaluation machines start from the config's ``pretrained_model`` where it is
    set; leave-one-out runs always pretrain without the held-out machine.
    """
    configured = get_configured_pretrained_model()
    if wildcards.dataset == "eval" and configured is not None:
        return configured
    pretrain_set = get_pretrain_set(wildcards.dataset, wildcards.machine)
    return f"results/pretrain/{pretrain_set}/model.pt"


def get_pretraining_features(wildcards):
    """Training features of the development machines in a pretraining set."""
    machines = get_machines("dev")
    if wildcards.pretrain_set != "all":
        held_out = wildcards.pretrain_set.removeprefix(HELD_OUT_PREFIX)
        if held_out not in machines:
            raise WorkflowError(
                f"Cannot pretrain without '{held_out}': it is not one of the development "
                f"machines {machines}."
            )
        machines = [machine for machine in machines if machine != held_out]
    return expand("results/features/dev/{machine}/train.zarr", machine=machines)


def get_ground_truth_folder():
    """The folder of evaluator ground truth files for evaluation machines, or None."""
    folder = config["eval_ground_truth"]
    if folder is None and is_synthetic("eval"):
        return f"{SYNTHETIC_DIR}/eval_data/ground_truth"
    return folder


def get_ground_truth_files(folder, machine):
    return {
        "label_file": f"{folder}/ground_truth_{machine}_section_00_test.csv",
        "domain_file": f"{folder}/ground_truth_domain_{machine}_section_00_test.csv",
    }


# Cached because the evaluation helpers ask once per job while the DAG is built.
@cache
def has_labelled_names(dataset, machine):
    """Whether every test clip's file name gives its domain and label."""
    names = [parse_clip_name(path) for path in CLIPS[dataset][machine]["test"]]
    return all(name.label is not None and name.domain is not None for name in names)


def get_labels(wildcards):
    """Where a machine's test labels come from: ground truth files or the feature store.

    The test feature store records the domain and label that each file name gives.
    """
    folder = get_ground_truth_folder()
    if wildcards.dataset == "eval" and folder is not None:
        return get_ground_truth_files(folder, wildcards.machine)
    if has_labelled_names(wildcards.dataset, wildcards.machine):
        return {
            "features": f"results/features/{wildcards.dataset}/{wildcards.machine}/test.zarr"
        }
    raise WorkflowError(
        f"No labels for the test clips of {wildcards.dataset} machine {wildcards.machine}: "
        "their names carry none and 'eval_ground_truth' is not set."
    )


def get_evaluated_machines():
    """Machines of the configured mode that have test labels, so they can be evaluated."""
    dataset = get_scored_dataset()
    if dataset == "eval" and get_ground_truth_folder() is not None:
        return get_machines("eval")
    return [
        machine
        for machine in get_machines(dataset)
        if has_labelled_names(dataset, machine)
    ]


def check_evaluation_config():
    """Reject at parse time a mode or ground truth folder that cannot work."""
    if MODE == "leave_one_out":
        machines = get_machines("dev")
        if len(machines) < 2:
            raise WorkflowError(
                f"mode 'leave_one_out' needs at least 2 development machines, found {machines}; "
                "add machines to 'dev_root' or 'dev_machines', or set mode to 'submission'."
            )
        unlabelled = [m for m in machines if not has_labelled_names("dev", m)]
        if unlabelled:
            raise WorkflowError(
                f"mode 'leave_one_out' needs labels in the test file names of every development "
                f"machine, but those of {unlabelled} carry none. Rename them to the DCASE pattern "
                "'section_00_source_test_normal_0000.wav'."
            )
    folder = config["eval_ground_truth"]
    if folder is not None:
        missing = [
            path
            for machine in get_machines("eval")
            for path in get_ground_truth_files(folder, machine).values()
            if not Path(path).is_file()
        ]
        if missing:
            raise WorkflowError(
                f"'eval_ground_truth' is set to {folder}, but {len(missing)} ground truth files "
                f"are missing, e.g. {missing[0]}. Point it at the folder with both files of every "
                "evaluation machine, or set it to null."
            )


check_evaluation_config()


def get_losses_inputs(wildcards):
    return {
        "pretrained": get_pretrained_model(wildcards),
        "finetuned": f"results/finetune/{wildcards.dataset}/{wildcards.machine}/model.pt",
    }


def get_evaluation_results():
    return expand(
        "results/evaluation/{dataset}/{machine}/result.csv",
        dataset=get_scored_dataset(),
        machine=get_evaluated_machines(),
    )


def get_final_outputs():
    """Targets of the rule all for the configured mode."""
    dataset = get_scored_dataset()
    outputs = get_submission_files() if MODE == "submission" else []
    outputs += expand(
        "results/plots/{dataset}/{machine}/{plot}.png",
        dataset=dataset,
        machine=get_machines(dataset),
        plot=["scores", "losses"],
    )
    evaluated = get_evaluated_machines()
    if evaluated:
        outputs += ["results/evaluation/summary.csv", "results/plots/summary.png"]
        outputs += expand(
            "results/plots/{dataset}/{machine}/roc.png",
            dataset=dataset,
            machine=evaluated,
        )
    return outputs


def get_score_plot_inputs(wildcards):
    """The labelled clip table where the machine is evaluated, else its score file."""
    if (
        wildcards.machine in get_evaluated_machines()
        and wildcards.dataset == get_scored_dataset()
    ):
        return {
            "clips": f"results/evaluation/{wildcards.dataset}/{wildcards.machine}/clips.csv"
        }
    return {
        "scores": f"results/scores/{wildcards.dataset}/{wildcards.machine}/"
        f"anomaly_score_{wildcards.machine}_section_00_test.csv"
    }
