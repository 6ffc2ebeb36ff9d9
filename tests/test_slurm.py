"""The workflow on a real single-node SLURM cluster, brought up by tests/slurm/cluster.sh.

The cluster runs on this machine with one fake GPU, so the training jobs are
scheduled like GPU jobs but still train on the CPU. Outside CI the tests skip
where the cluster cannot run; with REQUIRE_SLURM=1, as CI sets, they fail.
"""

import os
import re
import shutil
import subprocess
import sys
from collections import Counter
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import REPO, run_snakemake

CLUSTER_SCRIPT = REPO / "tests" / "slurm" / "cluster.sh"
SLURM_PROFILE = REPO / "profiles" / "slurm"
# Short, because slurmstepd binds unix sockets under it and their paths may
# have at most 107 bytes; a pytest tmp_path is too deep.
STATE_DIR = Path("/tmp/asd-slurm")
PARTITION = "local"
# Covers an apt-get install of slurm-wlm and munge on a fresh machine.
START_TIMEOUT_S = 900
# The run takes a few minutes on 2 cores. The plugin can wait forever
# for a job whose status it cannot read, so the run is interrupted after this.
RUN_TIMEOUT_S = 900

pytestmark = pytest.mark.slurm

LOCAL_RULES = {"all", "generate_synthetic_data", "collect_submission"}
EVAL_MACHINES = ["synth_compressor"]
# Smaller than TINY_CONFIG, because every cluster job starts Snakemake twice
# and Python once more, 30 to 50 s per job on 2 busy cores. These 10 jobs
# form a chain of 6, so the run takes a few minutes.
CLUSTER_CONFIG = {
    "training": {"pretrain_epochs": 2, "finetune_epochs": 2},
    "synthetic": {
        "dev_machines": ["synth_fan"],
        "eval_machines": EVAL_MACHINES,
        "source_train_clips": 9,
        "target_train_clips": 1,
        "test_clips_per_group": 4,
        "duration": 2.0,
    },
}

SUBMISSION_LINE = re.compile(
    r"Job (?P<job>\d+) has been submitted with SLURM jobid (?P<slurm_id>\d+) "
    r"\(log: (?P<log>\S+)\)\."
)


def find_unmet_requirement() -> str | None:
    """Return why cluster.sh cannot run here, or None when it can."""
    if sys.platform != "linux":
        return "the test cluster needs Linux"
    if os.geteuid() != 0:
        return "cluster.sh starts SLURM daemons and must run as root"
    # Root shells may lack the sbin folders that hold the daemons.
    daemon_path = os.environ.get("PATH", "") + ":/usr/sbin:/sbin"
    if not shutil.which("slurmctld", path=daemon_path) and not shutil.which("apt-get"):
        return "SLURM is not installed and apt-get is not available to install it"
    return None


@pytest.fixture(scope="session")
def slurm_cluster():
    """A running single-node cluster, stopped at the end of the session."""
    reason = find_unmet_requirement()
    if reason:
        if os.environ.get("REQUIRE_SLURM") == "1":
            pytest.fail(f"{reason}, but REQUIRE_SLURM=1 requires the SLURM tests")
        pytest.skip(reason)

    start = subprocess.run(
        [str(CLUSTER_SCRIPT), "start", str(STATE_DIR)],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
    )
    if start.returncode != 0:
        pytest.fail(f"cluster.sh start failed:\n{start.stderr[-4000:]}")
    yield STATE_DIR
    subprocess.run(
        [str(CLUSTER_SCRIPT), "stop", str(STATE_DIR)],
        capture_output=True,
        text=True,
        timeout=START_TIMEOUT_S,
        check=True,
    )


def read_profile_default_resources() -> list[str]:
    profile = yaml.safe_load((SLURM_PROFILE / "config.yaml").read_text())
    return [f"{key}={value}" for key, value in profile["default-resources"].items()]


def parse_job_stats(log: str) -> Counter:
    """Return the job count per rule from the 'Job stats' table that Snakemake prints first."""
    table = log[log.index("Job stats:") :]
    counts = Counter()
    for line in table.splitlines()[3:]:
        name, count = line.split()
        if name == "total":
            return counts
        counts[name] = int(count)
    raise AssertionError("the 'Job stats' table has no 'total' row")


@pytest.fixture(scope="session")
def slurm_run(slurm_cluster, tmp_path_factory):
    """Run the small synthetic workflow on the cluster; return its folder and Snakemake log."""
    workdir = tmp_path_factory.mktemp("slurm_run")
    # Jobs inherit the submitting environment, so a CUDA_VISIBLE_DEVICES seen
    # inside a job can only have come from SLURM's GPU allocation.
    env = {key: value for key, value in os.environ.items() if key != "CUDA_VISIBLE_DEVICES"}
    result = run_snakemake(
        workdir,
        CLUSTER_CONFIG,
        # In place of profiles/default, as the README instructs cluster users.
        "--workflow-profile",
        str(SLURM_PROFILE),
        # The test cluster has no accounting database, so the default status
        # query, sacct, fails. Without an account the plugin guesses one with
        # sacct, warns when that fails, and submits without one.
        "--slurm-status-command",
        "squeue",
        # The default first status check comes after 40 s.
        "--slurm-init-seconds-before-status-checks",
        "5",
        # The SLURM logs of successful jobs are deleted by default.
        "--slurm-keep-successful-logs",
        "--default-resources",
        *read_profile_default_resources(),
        f"slurm_partition={PARTITION}",
        interrupt_after=RUN_TIMEOUT_S,
        env=env,
    )
    return workdir, result.stdout + result.stderr


def submitted_jobs(log: str) -> list[dict]:
    """Return rule, SLURM job id and SLURM log path of every job that the plugin submitted."""
    jobs = []
    for match in SUBMISSION_LINE.finditer(log):
        log_path = Path(match["log"])
        rule = next(part for part in log_path.parts if part.startswith("rule_"))
        jobs.append(
            {
                "rule": rule.removeprefix("rule_"),
                "slurm_id": match["slurm_id"],
                "log": log_path,
            }
        )
    return jobs


def test_slurm_submits_every_nonlocal_job(slurm_run):
    workdir, log = slurm_run
    expected = parse_job_stats(log)
    for rule in LOCAL_RULES:
        expected.pop(rule, None)
    jobs = submitted_jobs(log)

    assert Counter(job["rule"] for job in jobs) == expected
    assert len({job["slurm_id"] for job in jobs}) == len(jobs)
    for job in jobs:
        assert job["log"].is_file(), f"no SLURM log {job['log']} for job {job['slurm_id']}"
        assert job["log"].is_relative_to(workdir / ".snakemake" / "slurm_logs")


def test_slurm_rule_logs_name_their_jobs(slurm_run):
    workdir, log = slurm_run
    ids_by_rule = {}
    for job in submitted_jobs(log):
        ids_by_rule.setdefault(job["rule"], set()).add(job["slurm_id"])

    for rule, slurm_ids in ids_by_rule.items():
        rule_logs = list((workdir / "logs" / rule).rglob("*.log")) or [
            workdir / "logs" / f"{rule}.log"
        ]
        assert len(rule_logs) == len(slurm_ids), rule
        seen = set()
        for rule_log in rule_logs:
            found = re.search(r"Running in SLURM job (\d+)", rule_log.read_text())
            assert found, f"{rule_log} does not name a SLURM job"
            seen.add(found[1])
        assert seen == slurm_ids

    generator_log = (workdir / "logs" / "generate_synthetic_data.log").read_text()
    assert "SLURM job" not in generator_log


def test_slurm_training_jobs_get_a_gpu(slurm_run):
    workdir, _ = slurm_run
    training_logs = [workdir / "logs" / "pretrain_model" / "all.log"] + [
        workdir / "logs" / "finetune_model" / "eval" / f"{machine}.log" for machine in EVAL_MACHINES
    ]
    for training_log in training_logs:
        text = training_log.read_text()
        # The fake GPU of the test cluster has no CUDA device behind it.
        assert "No CUDA device found (CUDA_VISIBLE_DEVICES=0" in text, training_log
        assert "falling back to the CPU" in text, training_log

    for machine in EVAL_MACHINES:
        scoring_log = (workdir / "logs" / "score_clips" / "eval" / f"{machine}.log").read_text()
        assert "CUDA_VISIBLE_DEVICES=unset" in scoring_log


@pytest.fixture(scope="session")
def local_run(tmp_path_factory):
    """The same workflow run with the default profile on this machine, for comparison."""
    workdir = tmp_path_factory.mktemp("local_run")
    run_snakemake(workdir, CLUSTER_CONFIG)
    return workdir


def test_slurm_scores_match_local_run(slurm_run, local_run):
    workdir, _ = slurm_run
    for machine in EVAL_MACHINES:
        name = f"anomaly_score_{machine}_section_00_test.csv"
        cluster = pd.read_csv(workdir / "results/submission" / name, header=None)
        local = pd.read_csv(local_run / "results/submission" / name, header=None)
        assert cluster[0].tolist() == local[0].tolist()
        np.testing.assert_allclose(cluster[1], local[1], rtol=1e-5)

        cluster_fit = pd.read_json(
            workdir / f"results/threshold/eval/{machine}/threshold.json", typ="series"
        )
        local_fit = pd.read_json(
            local_run / f"results/threshold/eval/{machine}/threshold.json", typ="series"
        )
        np.testing.assert_allclose(cluster_fit["threshold"], local_fit["threshold"], rtol=1e-5)
