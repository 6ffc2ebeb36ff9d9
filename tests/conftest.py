"""Shared helpers for tests that run the real workflow with Snakemake."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[1]
SHARED_DATA = REPO.parent / "shared" / "data"

# Small enough that an end-to-end run takes about a minute on 2 cores, large
# enough that the autoencoder separates the synthetic anomalies.
TINY_CONFIG = {
    "training": {"pretrain_epochs": 10, "finetune_epochs": 10},
    "synthetic": {
        "dev_machines": ["synth_fan", "synth_pump"],
        "eval_machines": ["synth_compressor", "synth_conveyor"],
        "source_train_clips": 27,
        "target_train_clips": 3,
        "test_clips_per_group": 8,
        "duration": 2.0,
    },
}


def snakemake_command(workdir: Path, config: dict, *arguments: str) -> list[str]:
    """Return the command that runs the workflow in ``workdir`` with the repository config
    plus ``config``, which it writes to ``workdir/test_config.yaml``."""
    workdir.mkdir(parents=True, exist_ok=True)
    override = workdir / "test_config.yaml"
    override.write_text(yaml.safe_dump(config, allow_unicode=True), encoding="utf-8")
    return [
        str(Path(sys.executable).with_name("snakemake")),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(REPO / "config" / "config.yaml"),
        str(override),
        "--cores",
        "2",
        *arguments,
    ]


def run_snakemake(
    workdir: Path,
    config: dict,
    *arguments: str,
    check: bool = True,
    interrupt_after: int | None = None,
    env: dict[str, str] | None = None,
):
    """Run the workflow in ``workdir`` with the repository config plus ``config``.

    ``interrupt_after`` sends SIGINT after that many seconds, and SIGKILL 10 s
    later. The SLURM executor plugin keeps waiting for jobs whose status it
    cannot read and ignores SIGTERM, so cluster runs need it. ``env`` replaces
    the environment of the Snakemake process.
    """
    command = snakemake_command(workdir, config, *arguments)
    if interrupt_after is not None:
        command = ["timeout", "-s", "INT", "-k", "10", str(interrupt_after), *command]
    result = subprocess.run(command, capture_output=True, text=True, cwd=workdir, env=env)
    if check and result.returncode != 0:
        raise AssertionError(
            f"snakemake failed with exit code {result.returncode}:\n{result.stderr[-6000:]}"
        )
    return result


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real recordings in ../shared/data; required when REQUIRE_REAL_DATA=1 (as in CI)."""
    if not SHARED_DATA.is_dir():
        message = f"real recordings not found at {SHARED_DATA}"
        if os.environ.get("REQUIRE_REAL_DATA") == "1":
            pytest.fail(message + " but REQUIRE_REAL_DATA=1 requires them")
        pytest.skip(message)
    return SHARED_DATA


@pytest.fixture(scope="session")
def tiny_run(tmp_path_factory) -> Path:
    """One completed end-to-end run on the tiny synthetic data set, shared by several tests."""
    workdir = tmp_path_factory.mktemp("tiny_run")
    run_snakemake(workdir, TINY_CONFIG)
    return workdir
