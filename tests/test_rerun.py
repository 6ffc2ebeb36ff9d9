"""What a rerun recomputes, read from Snakemake's own plan after one completed run.

The session fixture runs the workflow once on a small data set in a plain
folder (not the synthetic default, whose clips are outputs of a rule). Each
test copies that run, with file times kept, changes one thing and compares the
jobs of a dry run with the jobs that must rerun.
"""

import os
import re
import shutil
import signal
import subprocess
import time
from pathlib import Path

import numpy as np
import pytest
import soundfile
import torch
import yaml
from conftest import REPO, run_snakemake, snakemake_command

from firstshot.synthetic import SyntheticSettings, generate_machine

DEV = ("synth_fan", "synth_pump")
EVAL = ("synth_compressor", "synth_conveyor")
SYNTHETIC = {
    "dev_machines": list(DEV),
    "eval_machines": list(EVAL),
    "source_train_clips": 8,
    "target_train_clips": 2,
    "test_clips_per_group": 2,
    "duration": 1.0,
}
# Roots relative to the working directory, so that a copied run reads its own copy.
CONFIG = {
    "dev_root": "data/dev_data/raw",
    "eval_root": "data/eval_data/raw",
    "training": {"pretrain_epochs": 1, "finetune_epochs": 1},
}
TRAIN_CLIPS = SYNTHETIC["source_train_clips"] + SYNTHETIC["target_train_clips"]


def with_changes(**sections) -> dict:
    """Return CONFIG with the keys of each section replaced by ``sections``."""
    config = yaml.safe_load(yaml.safe_dump(CONFIG))
    for section, values in sections.items():
        if isinstance(values, dict):
            config.setdefault(section, {}).update(values)
        else:
            config[section] = values
    return config


def write_data(folder: Path) -> None:
    defaults = yaml.safe_load((REPO / "config" / "config.yaml").read_text())["synthetic"]
    settings = SyntheticSettings.from_config({**defaults, **SYNTHETIC})
    for dataset, machines in (("dev", DEV), ("eval", EVAL)):
        for machine in machines:
            generate_machine(settings, dataset, machine, folder / f"{dataset}_data/raw" / machine)


@pytest.fixture(scope="session")
def completed_run(tmp_path_factory) -> Path:
    workdir = tmp_path_factory.mktemp("rerun") / "run"
    write_data(workdir / "data")
    run_snakemake(workdir, CONFIG)
    return workdir


@pytest.fixture
def run_copy(completed_run, tmp_path) -> Path:
    """A copy of the completed run; copytree keeps file times, which Snakemake compares."""
    return Path(shutil.copytree(completed_run, tmp_path / "run", symlinks=True))


def add_clip(workdir: Path, dataset: str, machine: str, split: str) -> str:
    """Write a new clip, the first clip of the folder played backwards, and return its name."""
    folder = workdir / "data" / f"{dataset}_data/raw" / machine / split
    first = sorted(folder.iterdir())[0]
    samples, rate = soundfile.read(first)
    name = first.name.replace("_0000", "_0900") if "_0000" in first.name else "section_00_0900.wav"
    soundfile.write(folder / name, samples[::-1], rate, subtype="PCM_16")
    return name


JOB = re.compile(r"^(?:local)?rule (\w+):\n((?:[ \t]+.*\n?)*)", re.MULTILINE)


def parse_jobs(text: str) -> dict[tuple[str, ...], str]:
    """Return {(rule, wildcard values...): reason} of the jobs that Snakemake printed."""
    jobs = {}
    for rule, body in JOB.findall(text):
        if rule == "all":
            continue
        fields = dict(
            line.strip().split(": ", 1) for line in body.splitlines() if ": " in line.strip()
        )
        values = [pair.split("=", 1)[1] for pair in fields.get("wildcards", "").split(", ") if pair]
        jobs[(rule, *values)] = fields.get("reason", "")
    return jobs


def planned_jobs(workdir: Path, config: dict) -> dict[tuple[str, ...], str]:
    result = run_snakemake(workdir, config, "--dry-run")
    return parse_jobs(result.stdout + result.stderr)


def feature_jobs(dataset: str, machine: str, split: str) -> set[tuple[str, ...]]:
    """The two jobs that turn one machine's clips of one split into log-mel frames."""
    return {(rule, dataset, machine, split) for rule in ("resample_audio", "compute_logmel")}


def score_jobs(machine: str) -> set[tuple[str, ...]]:
    """Jobs downstream of an evaluation machine's threshold or test features."""
    return {
        ("score_clips", "eval", machine),
        ("collect_submission", machine),
        ("plot_scores", "eval", machine),
    }


def machine_jobs(machine: str) -> set[tuple[str, ...]]:
    """Jobs downstream of an evaluation machine's fine-tuning."""
    return {
        ("finetune_model", "eval", machine),
        ("fit_threshold", "eval", machine),
        ("plot_losses", "eval", machine),
    } | score_jobs(machine)


def test_unchanged_run_plans_nothing(run_copy):
    result = run_snakemake(run_copy, CONFIG, "--dry-run")
    assert parse_jobs(result.stdout + result.stderr) == {}
    assert "Nothing to be done" in result.stdout + result.stderr


def test_eval_train_clip_reruns_its_machine(run_copy):
    added = add_clip(run_copy, "eval", "synth_compressor", "train")
    expected = feature_jobs("eval", "synth_compressor", "train") | machine_jobs("synth_compressor")
    planned = planned_jobs(run_copy, CONFIG)
    assert set(planned) == expected
    assert added in planned[("resample_audio", "eval", "synth_compressor", "train")]

    result = run_snakemake(run_copy, CONFIG)
    assert set(parse_jobs(result.stdout + result.stderr)) == expected
    log = (run_copy / "logs/compute_logmel/eval/synth_compressor/train.log").read_text()
    assert f"wrote log-mel frames of {TRAIN_CLIPS + 1} clips" in log
    assert f"1 computed, {TRAIN_CLIPS} reused" in log
    log = (run_copy / "logs/resample_audio/eval/synth_compressor/train.log").read_text()
    assert f"resampled 1 of {TRAIN_CLIPS + 1} clips" in log


def test_eval_test_clip_reruns_its_scores(run_copy):
    add_clip(run_copy, "eval", "synth_conveyor", "test")
    assert set(planned_jobs(run_copy, CONFIG)) == feature_jobs(
        "eval", "synth_conveyor", "test"
    ) | score_jobs("synth_conveyor")


def test_dev_train_clip_reruns_pretraining_and_after(run_copy):
    add_clip(run_copy, "dev", "synth_fan", "train")
    planned = planned_jobs(run_copy, CONFIG)
    expected = feature_jobs("dev", "synth_fan", "train") | {("pretrain_model", "all")}
    for machine in EVAL:
        expected |= machine_jobs(machine)
    assert set(planned) == expected
    assert "results/features/dev/synth_fan/train.zarr" in planned[("pretrain_model", "all")]


def test_dev_test_clip_reruns_nothing(run_copy):
    # Development test clips are not used by any job.
    add_clip(run_copy, "dev", "synth_pump", "test")
    assert planned_jobs(run_copy, CONFIG) == {}


def test_threshold_quantile_reruns_thresholds(run_copy):
    planned = planned_jobs(run_copy, with_changes(threshold={"quantile": 0.8}))
    expected = set()
    for machine in EVAL:
        expected |= {("fit_threshold", "eval", machine)} | score_jobs(machine)
    assert set(planned) == expected
    for machine in EVAL:
        assert "Params have changed" in planned[("fit_threshold", "eval", machine)]


def test_feature_parameter_reruns_everything(run_copy):
    planned = planned_jobs(run_copy, with_changes(features={"n_mels": 64}))
    expected = set()
    for machine in DEV:
        expected |= feature_jobs("dev", machine, "train")
    for machine in EVAL:
        expected |= feature_jobs("eval", machine, "train") | feature_jobs("eval", machine, "test")
    expected.add(("pretrain_model", "all"))
    for machine in EVAL:
        expected |= machine_jobs(machine)
    assert set(planned) == expected


def test_finetune_epochs_keep_pretraining(run_copy):
    planned = planned_jobs(run_copy, with_changes(training={"finetune_epochs": 2}))
    expected = set()
    for machine in EVAL:
        expected |= machine_jobs(machine)
    assert set(planned) == expected


def test_unused_settings_rerun_nothing(run_copy):
    # The synthetic settings only matter while a root is the synthetic default.
    config = with_changes(synthetic={"seed": 7, "duration": 3.0})
    assert planned_jobs(run_copy, config) == {}


def test_pretrained_model_spares_finetunes(run_copy):
    pretrained = run_copy / "resources/pretrained/model.pt"
    pretrained.parent.mkdir(parents=True)
    shutil.copy2(run_copy / "results/pretrain/all/model.pt", pretrained)
    config = with_changes(pretrained_model="resources/pretrained/model.pt")
    # Fine-tuning's input list changed once, from results/pretrain to the copy.
    run_snakemake(run_copy, config)

    add_clip(run_copy, "dev", "synth_fan", "train")
    assert planned_jobs(run_copy, config) == {}
    assert planned_jobs(run_copy, CONFIG) != {}


def test_pretrained_model_must_exist(run_copy):
    result = run_snakemake(
        run_copy, with_changes(pretrained_model="missing/model.pt"), "--dry-run", check=False
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "'pretrained_model' is set to missing/model.pt, but that file was not found" in output


def test_pretrained_model_not_own_output(run_copy):
    config = with_changes(pretrained_model="results/pretrain/all/model.pt")
    result = run_snakemake(run_copy, config, "--dry-run", check=False)
    assert result.returncode != 0
    assert "Copy that file to another place" in result.stdout + result.stderr


def test_pretrained_model_feature_mismatch(run_copy):
    pretrained = run_copy / "resources/pretrained/model.pt"
    pretrained.parent.mkdir(parents=True)
    shutil.copy2(run_copy / "results/pretrain/all/model.pt", pretrained)
    config = with_changes(pretrained_model="resources/pretrained/model.pt", features={"n_mels": 64})
    result = run_snakemake(
        run_copy, config, "results/finetune/eval/synth_compressor/model.pt", check=False
    )
    assert result.returncode != 0
    log = (run_copy / "logs/finetune_model/eval/synth_compressor.log").read_text()
    assert "'n_mels': 128" in log
    assert "point 'pretrained_model' at a model trained with the current ones" in log


def kill_when_checkpointed(workdir: Path, config: dict, target: str, checkpoint: Path) -> None:
    """Start Snakemake and SIGKILL its whole process group once a checkpoint exists."""
    command = snakemake_command(workdir, config, target)
    with open(workdir / "killed_run.txt", "w") as output:
        process = subprocess.Popen(
            command,
            stdout=output,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 600
        while not checkpoint.exists():
            if process.poll() is not None:
                pytest.fail(
                    f"Snakemake ended before the first checkpoint, code {process.returncode}"
                )
            if time.monotonic() > deadline:
                os.killpg(process.pid, signal.SIGKILL)
                pytest.fail("no checkpoint was written within 600 s")
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def test_killed_pretraining_resumes_to_same_weights(run_copy):
    epochs = 10
    # Small batches make each epoch long enough to kill the job in the middle.
    config = with_changes(training={"pretrain_epochs": epochs, "batch_size": 8})
    target = "results/pretrain/all/model.pt"
    checkpoint = run_copy / "results/checkpoints/pretrain/all/checkpoint.pt"

    kill_when_checkpointed(run_copy, config, target, checkpoint)
    assert not (run_copy / target).exists()
    saved = torch.load(checkpoint, weights_only=True)
    assert 1 <= len(saved["losses"]) < epochs

    # The killed Snakemake left its lock; the profile sets rerun-incomplete.
    run_snakemake(run_copy, config, "--unlock")
    run_snakemake(run_copy, config, target)
    log = (run_copy / "logs/pretrain_model/all.log").read_text()
    assert "resuming after epoch" in log
    assert not checkpoint.parent.exists()
    resumed = torch.load(run_copy / target, weights_only=True)

    run_snakemake(run_copy, config, target, "--forcerun", "pretrain_model")
    log = (run_copy / "logs/pretrain_model/all.log").read_text()
    assert "resuming" not in log
    uninterrupted = torch.load(run_copy / target, weights_only=True)

    assert len(resumed["losses"]) == epochs
    assert resumed["losses"] == uninterrupted["losses"]
    for name, tensor in uninterrupted["state_dict"].items():
        assert torch.equal(resumed["state_dict"][name], tensor), name
    assert np.isfinite(resumed["losses"][-1])
