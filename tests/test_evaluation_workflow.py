"""Evaluation, leave-one-machine-out mode and report, run through Snakemake."""

import re

import numpy as np
import pandas as pd
import pytest
from conftest import TINY_CONFIG, run_snakemake
from sklearn.metrics import roc_auc_score

EVAL_MACHINES = TINY_CONFIG["synthetic"]["eval_machines"]
REAL_MINI_DEV_MACHINES = ["fan", "pump", "slider", "valve"]


def dry_run_jobs(output: str) -> list[dict]:
    """Parse the job blocks of a dry run's output into {rule, input, output, wildcards}."""
    jobs = []
    for line in output.splitlines():
        if match := re.match(r"^(?:local)?rule (\w+):$", line):
            jobs.append({"rule": match[1]})
        elif jobs and (match := re.match(r"^    (input|output|wildcards): (.*)$", line)):
            jobs[-1][match[1]] = match[2].split(", ")
    return jobs


def test_leave_one_out_dag_shape(tmp_path):
    dev_machines = ["synth_fan", "synth_pump", "synth_gearbox"]
    config = {
        **TINY_CONFIG,
        "mode": "leave_one_out",
        "synthetic": {**TINY_CONFIG["synthetic"], "dev_machines": dev_machines},
    }
    result = run_snakemake(tmp_path, config, "--dry-run")
    jobs = dry_run_jobs(result.stdout)
    rules = [job["rule"] for job in jobs]

    pretrain_jobs = {
        job["output"][0]: job["input"] for job in jobs if job["rule"] == "pretrain_model"
    }
    assert set(pretrain_jobs) == {
        f"results/pretrain/without_{machine}/model.pt" for machine in dev_machines
    }
    for machine in dev_machines:
        inputs = pretrain_jobs[f"results/pretrain/without_{machine}/model.pt"]
        others = {f"results/features/dev/{m}/train.zarr" for m in dev_machines if m != machine}
        assert set(inputs) == others

    finetune_inputs = {
        job["output"][0]: job["input"] for job in jobs if job["rule"] == "finetune_model"
    }
    assert set(finetune_inputs) == {
        f"results/finetune/dev/{machine}/model.pt" for machine in dev_machines
    }
    for machine in dev_machines:
        assert (
            f"results/pretrain/without_{machine}/model.pt"
            in (finetune_inputs[f"results/finetune/dev/{machine}/model.pt"])
        )

    for rule in ("score_clips", "evaluate_scores", "plot_roc", "plot_scores", "plot_losses"):
        assert rules.count(rule) == len(dev_machines), rule
    assert rules.count("summarise_evaluation") == 1
    # No evaluation machine is trained and no submission is written in this mode.
    assert "collect_submission" not in rules
    assert not any("results/pretrain/all" in path for job in jobs for path in job.get("output", []))


def test_leave_one_out_needs_two_dev_machines(tmp_path):
    config = {
        **TINY_CONFIG,
        "mode": "leave_one_out",
        "synthetic": {**TINY_CONFIG["synthetic"], "dev_machines": ["synth_fan"]},
    }
    result = run_snakemake(tmp_path, config, "--dry-run", check=False)
    assert result.returncode != 0
    assert "at least 2 development machines" in result.stdout + result.stderr


def test_missing_ground_truth_folder_rejected(tmp_path):
    config = {**TINY_CONFIG, "eval_ground_truth": str(tmp_path / "nowhere")}
    result = run_snakemake(tmp_path, config, "--dry-run", check=False)
    assert result.returncode != 0
    message = result.stdout + result.stderr
    assert "'eval_ground_truth'" in message
    assert "ground_truth_synth_compressor_section_00_test.csv" in message


def test_tiny_run_summary_matches_ground_truth(tiny_run):
    summary = pd.read_csv(tiny_run / "results/evaluation/summary.csv")
    assert summary["machine"].tolist() == [*EVAL_MACHINES, "harmonic mean"]
    assert set(summary["mode"]) == {"submission"}

    truth_dir = tiny_run / "resources/synthetic/eval_data/ground_truth"
    pooled = []
    for machine in EVAL_MACHINES:
        scores = pd.read_csv(
            tiny_run / f"results/submission/anomaly_score_{machine}_section_00_test.csv",
            header=None,
            names=["clip", "score"],
        )
        for kind, column in (("", "label"), ("_domain", "target")):
            scores = scores.merge(
                pd.read_csv(
                    truth_dir / f"ground_truth{kind}_{machine}_section_00_test.csv",
                    header=None,
                    names=["clip", column],
                ),
                on="clip",
            )
        row = summary.set_index("machine").loc[machine]
        for domain, is_target in (("source", 0), ("target", 1)):
            subset = scores[(scores["target"] == is_target) | (scores["label"] == 1)]
            expected = roc_auc_score(subset["label"], subset["score"])
            assert row[f"AUC ({domain})"] == pytest.approx(expected)
            pooled.append(expected)
        expected_pauc = roc_auc_score(scores["label"], scores["score"], max_fpr=0.1)
        assert row["pAUC"] == pytest.approx(expected_pauc)
        pooled.append(expected_pauc)

    official = summary["official score"].iloc[-1]
    assert official == pytest.approx(len(pooled) / np.sum(1 / np.asarray(pooled)))


def test_tiny_run_report_builds(tiny_run):
    report = tiny_run / "results/report.html"
    run_snakemake(tiny_run, TINY_CONFIG, "--report", str(report))
    html = report.read_text()
    for machine in EVAL_MACHINES:
        for plot in ("scores", "roc", "losses"):
            assert f"results/plots/eval/{machine}/{plot}.png" in html, (machine, plot)
    assert "results/plots/summary.png" in html
    assert "results/evaluation/summary.html" in html


def test_real_mini_evaluation_both_modes(shared_data, tmp_path):
    root = shared_data / "real-mini"
    config = {
        "dev_root": str(root / "dev_data/raw"),
        "eval_root": str(root / "eval_data/raw"),
        "eval_ground_truth": str(root / "eval_data/ground_truth"),
        "training": {"pretrain_epochs": 1, "finetune_epochs": 1},
    }
    run_snakemake(tmp_path, config)
    submission = tmp_path / "results/submission"
    truth = pd.read_csv(
        root / "eval_data/ground_truth/ground_truth_mimii_a_section_00_test.csv", header=None
    )
    for kind in ("anomaly_score", "decision_result"):
        rows = pd.read_csv(submission / f"{kind}_mimii_a_section_00_test.csv", header=None)
        assert rows[0].tolist() == truth[0].tolist(), kind
    summary = pd.read_csv(tmp_path / "results/evaluation/summary.csv")
    assert summary["machine"].tolist() == ["mimii_a", "harmonic mean"]
    assert set(summary["mode"]) == {"submission"}
    # mimii_a's test clips are all source domain: AUC (target) is undefined.
    assert summary["AUC (target)"].isna().all()
    assert np.isfinite(summary["AUC (source)"]).all()

    run_snakemake(tmp_path, {**config, "mode": "leave_one_out"})
    summary = pd.read_csv(tmp_path / "results/evaluation/summary.csv")
    assert summary["machine"].tolist() == [*REAL_MINI_DEV_MACHINES, "harmonic mean"]
    assert set(summary["mode"]) == {"leave_one_out"}
    for metric in ("AUC (source)", "pAUC"):
        assert summary[metric].between(0, 1).all(), metric
    assert 0 < summary["official score"].iloc[-1] <= 1
