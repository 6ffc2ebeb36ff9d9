"""Real Snakemake runs on broken and unusual data folders and configs."""

import os

import numpy as np
import pandas as pd
import pytest
import soundfile
from conftest import run_snakemake

RATE = 16000
TRAIN_NAME = "section_00_source_train_normal_{:04d}.wav"


def machine_sound(seconds, rate, seed, channels=1):
    rng = np.random.default_rng(seed)
    t = np.arange(int(seconds * rate)) / rate
    hum = 0.3 * np.sin(2 * np.pi * 440 * t) + 0.05 * rng.normal(size=t.size)
    if channels == 1:
        return hum
    return np.stack([hum * (1 - 0.05 * channel) for channel in range(channels)], axis=1)


def write_clip(path, seconds=0.5, rate=RATE, seed=0, channels=1, subtype="PCM_16"):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, machine_sound(seconds, rate, seed, channels), rate, subtype=subtype)


def write_machine(root, machine, train_clips=4, test_clips=2):
    for index in range(train_clips):
        write_clip(root / machine / "train" / TRAIN_NAME.format(index), seed=index)
    for index in range(test_clips):
        write_clip(root / machine / "test" / f"section_00_{index:04d}.wav", seed=100 + index)


def data_config(root, **training):
    return {
        "dev_root": str(root),
        "eval_root": str(root),
        "training": {"pretrain_epochs": 1, "finetune_epochs": 1, **training},
    }


def dry_run_error(tmp_path, config):
    result = run_snakemake(tmp_path / "run", config, "--dry-run", check=False)
    assert result.returncode != 0
    return result.stdout + result.stderr


@pytest.mark.parametrize("key", ["dev_root", "eval_root"])
def test_missing_data_root(tmp_path, key):
    missing = tmp_path / "no such folder"
    output = dry_run_error(tmp_path, {key: str(missing)})
    assert f"Invalid '{key}': The data folder '{missing}' does not exist" in output


def test_empty_data_root_setting(tmp_path):
    output = dry_run_error(tmp_path, {"dev_root": ""})
    assert "config key 'dev_root': '' should be non-empty" in output


def test_unknown_and_mistyped_config_keys(tmp_path):
    config = {
        "trainig": {"pretrain_epochs": 2},
        "training": {"pretrain_epochs": "ten", "batch_size": 1},
        "threshold": {"quantile": 1.5, "statistics": "clip"},
    }
    output = dry_run_error(tmp_path, config)
    assert "5 invalid config setting(s)" in output
    assert "unknown config key 'trainig'" in output
    assert (
        "unknown config key 'threshold.statistics'. Known keys here: quantile, statistic" in output
    )
    assert "config key 'training.pretrain_epochs': 'ten' is not of type 'integer'" in output
    assert "config key 'training.batch_size': 1 is less than the minimum of 2" in output
    assert "config key 'threshold.quantile': 1.5 is greater than or equal to the maximum" in output


def test_data_problems_listed_at_once(tmp_path):
    root = tmp_path / "data"
    write_machine(root, "fan")
    (root / "no_train" / "test").mkdir(parents=True)
    write_clip(root / "no_train" / "test" / "section_00_0000.wav")
    write_machine(root, "empty_test", test_clips=0)
    (root / "empty_test" / "test").mkdir()
    write_machine(root, "bad_names")
    write_clip(root / "bad_names" / "train" / "fan recording 1.wav")
    write_clip(root / "bad_names" / "test" / "section_00_target_0001.flac")

    output = dry_run_error(tmp_path, data_config(root))
    assert "4 problem(s) in the data under" in output
    assert f"{root / 'no_train' / 'train'}: missing folder" in output
    assert f"{root / 'empty_test' / 'test'}: no .wav or .flac clips" in output
    assert "fan recording 1.wav: the file name does not follow a DCASE pattern" in output
    assert "section_00_target_0001.flac: the file name does not follow" in output


def test_results_path_is_a_file(tmp_path):
    workdir = tmp_path / "run"
    workdir.mkdir()
    (workdir / "results").write_text("a file where the results folder belongs")
    result = run_snakemake(workdir, {}, "--dry-run", check=False)
    assert result.returncode != 0
    assert f"'{workdir / 'results'}' is a file" in result.stdout + result.stderr


@pytest.mark.skipif(os.geteuid() == 0, reason="root may write to read-only folders")
def test_results_folder_read_only(tmp_path):
    workdir = tmp_path / "run"
    (workdir / "results").mkdir(parents=True)
    (workdir / "results").chmod(0o555)
    try:
        result = run_snakemake(workdir, {}, "--dry-run", check=False)
    finally:
        (workdir / "results").chmod(0o755)
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert f"The folder '{workdir / 'results'}' cannot be written" in output


def test_unreadable_clips_listed_and_no_store(tmp_path):
    root = tmp_path / "data"
    write_machine(root, "fan")
    train = root / "fan" / "train"
    (train / TRAIN_NAME.format(10)).write_bytes(b"")
    (train / TRAIN_NAME.format(11)).write_text("not audio")
    complete = (train / TRAIN_NAME.format(0)).read_bytes()
    (train / TRAIN_NAME.format(12)).write_bytes(complete[: len(complete) // 2])
    nan_samples = machine_sound(0.5, RATE, 0)
    nan_samples[10] = np.nan
    soundfile.write(train / TRAIN_NAME.format(13), nan_samples, RATE, subtype="FLOAT")

    workdir = tmp_path / "run"
    store = "results/audio/eval/fan/train.zarr"
    result = run_snakemake(workdir, data_config(root), store, check=False)
    assert result.returncode != 0
    log = (workdir / "logs/resample_audio/eval/fan/train.log").read_text()
    assert "4 unreadable clip(s)" in log
    assert f"{train / TRAIN_NAME.format(10)}: cannot be read as audio" in log
    assert f"{train / TRAIN_NAME.format(11)}: cannot be read as audio" in log
    assert f"{train / TRAIN_NAME.format(12)}: the WAV file is truncated" in log
    assert f"{train / TRAIN_NAME.format(13)}: the file contains NaN or infinite samples" in log
    assert not (workdir / store).exists()
    assert not (workdir / (store + ".partial")).exists()


def test_short_clips_listed_and_no_features(tmp_path):
    root = tmp_path / "data"
    write_machine(root, "fan")
    write_clip(root / "fan" / "train" / TRAIN_NAME.format(20), seconds=0.1)
    write_clip(root / "fan" / "train" / TRAIN_NAME.format(21), seconds=0.05)

    workdir = tmp_path / "run"
    features = "results/features/eval/fan/train.zarr"
    result = run_snakemake(workdir, data_config(root), features, check=False)
    assert result.returncode != 0
    log = (workdir / "logs/compute_logmel/eval/fan/train.log").read_text()
    assert "2 clip(s) are too short for one window of 5 frames" in log
    assert f"fan/train/{TRAIN_NAME.format(20)}: 1600 samples" in log
    assert f"fan/train/{TRAIN_NAME.format(21)}: 800 samples" in log
    assert not (workdir / features).exists()


def test_unusual_but_valid_data_runs(tmp_path):
    # Spaces and non-ASCII characters in every part of the path, the same clip
    # names in two machines, and every supported format, rate and channel count.
    root = tmp_path / "Prüfstand 2" / "raw data"
    formats = [
        ("wav", "PCM_U8", RATE, 1),
        ("wav", "PCM_24", 8000, 2),
        ("wav", "PCM_32", 22050, 8),
        ("wav", "FLOAT", 44100, 1),
        ("wav", "DOUBLE", 48000, 1),
        ("flac", "PCM_16", RATE, 2),
    ]
    for machine in ("lüfter ø1", "pump 2"):
        for index, (suffix, subtype, rate, channels) in enumerate(formats):
            name = f"section_00_source_train_normal_{index:04d}_ort_Köln.{suffix}"
            write_clip(root / machine / "train" / name, 0.5, rate, index, channels, subtype)
        write_clip(root / machine / "test" / "section_00_0000.wav", seed=50)
        write_clip(root / machine / "test" / "section_00_0001.flac", seed=51, subtype="PCM_24")
        silent = root / machine / "test" / "section_00_0002.wav"
        soundfile.write(silent, np.zeros(RATE // 2), RATE, subtype="PCM_16")

    workdir = tmp_path / "run directory ä"
    run_snakemake(workdir, data_config(root))
    for machine in ("lüfter ø1", "pump 2"):
        submission = workdir / "results" / "submission"
        scores = pd.read_csv(
            submission / f"anomaly_score_{machine}_section_00_test.csv",
            header=None,
            names=["clip", "score"],
        )
        assert scores["clip"].tolist() == [
            "section_00_0000.wav",
            "section_00_0001.flac",
            "section_00_0002.wav",
        ]
        assert np.all(np.isfinite(scores["score"]))
        assert (submission / f"decision_result_{machine}_section_00_test.csv").exists()
