"""End-to-end Snakemake runs on synthetic data and on real recordings."""

import numpy as np
import pandas as pd
import torch
from conftest import TINY_CONFIG, run_snakemake
from sklearn.metrics import roc_auc_score

from firstshot.store import read_store

EVAL_MACHINES = TINY_CONFIG["synthetic"]["eval_machines"]
TEST_CLIPS = 4 * TINY_CONFIG["synthetic"]["test_clips_per_group"]
EVAL_SAMPLE_MACHINES = ["ToyCar", "valve"]


def read_submission(folder, kind, machine):
    return pd.read_csv(
        folder / f"{kind}_{machine}_section_00_test.csv", header=None, names=["clip", "value"]
    )


def test_tiny_run_writes_every_submission_file(tiny_run):
    submission = tiny_run / "results" / "submission"
    expected = {
        f"{kind}_{machine}_section_00_test.csv"
        for kind in ("anomaly_score", "decision_result")
        for machine in EVAL_MACHINES
    }
    assert {path.name for path in submission.iterdir()} == expected

    for machine in EVAL_MACHINES:
        test_dir = tiny_run / "resources/synthetic/eval_data/raw" / machine / "test"
        clips = sorted(path.name for path in test_dir.iterdir())
        scores = read_submission(submission, "anomaly_score", machine)
        decisions = read_submission(submission, "decision_result", machine)
        assert scores["clip"].tolist() == clips
        assert decisions["clip"].tolist() == clips
        assert len(clips) == TEST_CLIPS
        assert np.all(np.isfinite(scores["value"]))
        assert set(decisions["value"]) <= {0, 1}

        threshold = pd.read_json(
            tiny_run / "results/threshold/eval" / machine / "threshold.json", typ="series"
        )["threshold"]
        assert (decisions["value"] == (scores["value"] > threshold)).all()


def test_tiny_run_detects_synthetic_anomalies(tiny_run):
    aucs = []
    truth_dir = tiny_run / "resources/synthetic/eval_data/ground_truth"
    for machine in EVAL_MACHINES:
        scores = read_submission(tiny_run / "results/submission", "anomaly_score", machine)
        truth = pd.read_csv(
            truth_dir / f"ground_truth_{machine}_section_00_test.csv",
            header=None,
            names=["clip", "label"],
        )
        merged = scores.merge(truth, on="clip")
        assert len(merged) == TEST_CLIPS
        aucs.append(roc_auc_score(merged["label"], merged["value"]))
    # Chance is 0.5; this seed gives about 0.87 and 0.76.
    assert min(aucs) > 0.65
    assert np.mean(aucs) > 0.75


def test_tiny_run_models_carry_their_settings(tiny_run):
    record = torch.load(
        tiny_run / "results/finetune/eval/synth_compressor/model.pt", weights_only=True
    )
    assert record["stage"] == "finetune"
    assert len(record["losses"]) == TINY_CONFIG["training"]["finetune_epochs"]
    assert record["features"]["n_mels"] == 128
    assert record["training"]["batch_size"] == 64
    assert record["architecture"]["hidden_sizes"] == [128, 64, 8, 64, 128]
    assert len(record["clips"]) == 30


def test_tiny_run_second_run_has_nothing_to_do(tiny_run):
    result = run_snakemake(tiny_run, TINY_CONFIG, "--dry-run")
    assert "Nothing to be done" in result.stdout + result.stderr


def test_real_dcase2023_sample_run(shared_data, tmp_path):
    # The sample has development data only, so its machines serve as evaluation
    # machines too: each is fine-tuned on its own 2 training clips.
    root = shared_data / "real-dcase2023-sample/dev_data/raw"
    config = {
        "dev_root": str(root),
        "eval_root": str(root),
        # Two machines keep the job count down; ToyCar's clips are 12 s, valve's 10 s.
        "eval_machines": EVAL_SAMPLE_MACHINES,
        "training": {"pretrain_epochs": 1, "finetune_epochs": 1},
    }
    run_snakemake(tmp_path, config)
    pretrained = torch.load(tmp_path / "results/pretrain/all/model.pt", weights_only=True)
    # Pretraining pooled the 2 training clips of all 7 machines, names with attributes.
    assert len(pretrained["clips"]) == 14
    for machine in EVAL_SAMPLE_MACHINES:
        scores = read_submission(tmp_path / "results/submission", "anomaly_score", machine)
        expected = sorted(path.name for path in (root / machine / "test").iterdir())
        assert scores["clip"].tolist() == expected
        assert np.all(np.isfinite(scores["value"]))
    toy_car = read_store(tmp_path / "results/features/eval/ToyCar/test.zarr")
    # 12 s clips give 1 + 192000 // 512 frames.
    assert toy_car.lengths().tolist() == [376, 376]
    assert toy_car.clips[0]["attributes"] == {"car": "C2", "spd": "34V", "mic": "1"}


def test_tiny_run_feature_store_metadata(tiny_run):
    store = read_store(tiny_run / "results/features/eval/synth_compressor/test.zarr")
    assert store.attributes["machine"] == "synth_compressor"
    assert store.attributes["split"] == "test"
    assert store.attributes["features"]["n_mels"] == 128
    assert store.data.shape[1] == 128
    assert len(store.clips) == TEST_CLIPS
    # 2 s at 16 kHz gives 1 + 32000 // 512 centred frames per clip.
    assert store.lengths().tolist() == [63] * TEST_CLIPS
    assert all(clip["section"] == "00" for clip in store.clips)

    train = read_store(tiny_run / "results/features/dev/synth_fan/train.zarr")
    domains = [clip["domain"] for clip in train.clips]
    assert domains.count("source") == 27
    assert domains.count("target") == 3
    assert all(clip["label"] == "normal" for clip in train.clips)
    assert all(clip["attributes"] == {"speed": "1.0"} for clip in train.clips[:27])
