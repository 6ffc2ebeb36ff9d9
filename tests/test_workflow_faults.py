"""A Snakemake run killed mid-job, and a second run started on a folder in use."""

import base64
import os
import signal
import subprocess
import time

import pytest
from conftest import run_snakemake, snakemake_command

# Training runs until the test kills it.
ENDLESS_CONFIG = {
    "training": {"pretrain_epochs": 1000000, "finetune_epochs": 1},
    "synthetic": {
        "dev_machines": ["synth_fan"],
        "eval_machines": ["synth_compressor"],
        "source_train_clips": 4,
        "target_train_clips": 1,
        "test_clips_per_group": 1,
        "duration": 1.0,
    },
}


def wait_for_text(path, text, process, timeout=600):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if path.exists() and text in path.read_text():
            return
        if process.poll() is not None:
            raise AssertionError(f"snakemake ended with {process.returncode} before '{text}'")
        time.sleep(1)
    raise AssertionError(f"'{text}' did not appear in {path} within {timeout} s")


@pytest.fixture(scope="module")
def killed_run(tmp_path_factory):
    """Start a run, try a second one while pretraining, then kill the first with SIGKILL."""
    workdir = tmp_path_factory.mktemp("killed_run")
    command = snakemake_command(workdir, ENDLESS_CONFIG)
    first = subprocess.Popen(
        command,
        cwd=workdir,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for_text(workdir / "logs/pretrain_model/all.log", "epoch 2/", first)
        second = run_snakemake(workdir, ENDLESS_CONFIG, check=False)
    finally:
        # SIGKILL reaches Snakemake and its jobs at once and cannot be handled,
        # as when a node dies or a scheduler kills the whole job.
        os.killpg(first.pid, signal.SIGKILL)
        first.wait()
    return workdir, second


def test_second_run_refused_by_lock(killed_run):
    _, second = killed_run
    assert second.returncode != 0
    assert "Directory cannot be locked" in second.stdout + second.stderr


def test_killed_run_leaves_no_model(killed_run):
    workdir, _ = killed_run
    assert (workdir / "results/features/dev/synth_fan/train.zarr").is_dir()
    assert not (workdir / "results/pretrain/all/model.pt").exists()
    assert not (workdir / "results/pretrain/all/model.pt.partial").exists()
    # Snakemake 9 names its incomplete markers by the base64 of the output path.
    markers = (workdir / ".snakemake/incomplete").iterdir()
    marked = {base64.b64decode(marker.name).decode() for marker in markers}
    assert "results/pretrain/all/model.pt" in marked


def test_killed_run_is_redone_after_unlock(killed_run):
    workdir, _ = killed_run
    stale = run_snakemake(workdir, ENDLESS_CONFIG, check=False)
    assert stale.returncode != 0
    assert "Directory cannot be locked" in stale.stdout + stale.stderr

    run_snakemake(workdir, ENDLESS_CONFIG, "--unlock")
    plan = run_snakemake(workdir, ENDLESS_CONFIG, "--dry-run")
    output = plan.stdout + plan.stderr
    assert "reason: Missing output files: results/pretrain/all/model.pt" in output
    # The development features were complete before pretraining started; the
    # evaluation feature jobs may have been killed alongside it.
    assert "output: results/audio/dev" not in output
    assert "output: results/features/dev" not in output
