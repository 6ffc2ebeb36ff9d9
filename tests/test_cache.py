"""The per-clip feature cache and the epoch checkpoints, on real files."""

import numpy as np
import pytest
import soundfile
import torch

from firstshot import InputError
from firstshot.audio import read_clip
from firstshot.cache import CacheCounts, FeatureCache, clip_features, file_digest
from firstshot.checkpoint import EpochCheckpoint, training_fingerprint
from firstshot.features import FeatureSettings, LogMel
from firstshot.model import AutoEncoder
from firstshot.training import TrainSettings, train

SETTINGS = FeatureSettings(n_mels=32)


def write_clips(folder, count, rate=16000, seconds=0.5, seed=0):
    rng = np.random.default_rng(seed)
    paths = []
    for index in range(count):
        path = folder / f"section_00_source_train_normal_{index:04d}.wav"
        samples = 0.1 * rng.standard_normal(int(rate * seconds))
        soundfile.write(path, samples, rate, subtype="PCM_16")
        paths.append(str(path))
    return paths


def features_of(paths, cache, settings=SETTINGS, channel=None):
    counts = CacheCounts()
    frames = list(clip_features(paths, settings, channel, cache, counts))
    return frames, counts


def test_cache_reuses_unchanged_clips(tmp_path):
    paths = write_clips(tmp_path, 3)
    cache = FeatureCache(tmp_path / "cache", SETTINGS, None)
    first, counts = features_of(paths, cache)
    assert (counts.computed, counts.reused) == (3, 0)

    paths += write_clips(tmp_path, 4, seed=0)[3:]
    second, counts = features_of(paths, cache)
    assert (counts.computed, counts.reused) == (1, 3)
    for old, new in zip(first, second[:3], strict=True):
        assert np.array_equal(old, new)


def test_cached_frames_equal_computed_ones(tmp_path):
    paths = write_clips(tmp_path, 2, rate=44100)
    cache = FeatureCache(tmp_path / "cache", SETTINGS, None)
    features_of(paths, cache)
    cached, counts = features_of(paths, cache)
    assert counts.reused == 2
    direct = LogMel(SETTINGS)(read_clip(paths[1], SETTINGS.sample_rate))
    assert cached[1].dtype == np.float32
    assert np.array_equal(cached[1], direct)


def test_cache_keys_on_file_content(tmp_path):
    paths = write_clips(tmp_path, 2)
    cache = FeatureCache(tmp_path / "cache", SETTINGS, None)
    features_of(paths, cache)
    # Same name, other samples: the clip was re-recorded or fixed.
    soundfile.write(paths[0], np.zeros(8000), 16000, subtype="PCM_16")
    frames, counts = features_of(paths, cache)
    assert (counts.computed, counts.reused) == (1, 1)
    assert np.allclose(frames[0], -100.0)


def test_cache_keys_on_feature_settings(tmp_path):
    paths = write_clips(tmp_path, 2)
    root = tmp_path / "cache"
    features_of(paths, FeatureCache(root, SETTINGS, None))

    other_mels = FeatureSettings(n_mels=16)
    frames, counts = features_of(paths, FeatureCache(root, other_mels, None), other_mels)
    assert counts.computed == 2
    assert frames[0].shape[1] == 16
    _, counts = features_of(paths, FeatureCache(root, SETTINGS, 0), channel=0)
    assert counts.computed == 2

    # frames only groups frames into windows, so it shares the cache.
    more_frames = FeatureSettings(n_mels=32, frames=3)
    _, counts = features_of(paths, FeatureCache(root, more_frames, None), more_frames)
    assert counts.reused == 2


def test_damaged_cache_entry_is_recomputed(tmp_path):
    paths = write_clips(tmp_path, 1)
    cache = FeatureCache(tmp_path / "cache", SETTINGS, None)
    first, _ = features_of(paths, cache)
    cache.entry(file_digest(paths[0])).write_bytes(b"not a numpy file")
    second, counts = features_of(paths, cache)
    assert counts.computed == 1
    assert np.array_equal(first[0], second[0])


def test_cached_clip_too_short_for_window(tmp_path):
    # 1600 samples give 4 frames: enough for windows of 3, not of 10.
    paths = write_clips(tmp_path, 1, seconds=0.1)
    few_frames = FeatureSettings(n_mels=32, frames=3)
    features_of(paths, FeatureCache(tmp_path / "cache", few_frames, None), few_frames)
    many_frames = FeatureSettings(n_mels=32, frames=10)
    with pytest.raises(InputError, match="lower 'features.frames'"):
        features_of(paths, FeatureCache(tmp_path / "cache", many_frames, None), many_frames)


def small_training(seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.standard_normal((120, 8)).astype(np.float32)
    offsets = np.array([0, 40, 80, 120])
    return frames, offsets, FeatureSettings(n_mels=8, frames=2)


def trained(checkpoint, epochs=3):
    frames, offsets, features = small_training()
    settings = TrainSettings(epochs=epochs, batch_size=8, seed=1)
    torch.manual_seed(settings.seed)
    model = AutoEncoder(input_size=features.window_size)
    losses = train(model, frames, offsets, features, settings, torch.device("cpu"), checkpoint)
    return model, losses


def test_checkpoint_resumes_after_last_epoch(tmp_path):
    frames, offsets, _ = small_training()
    torch.manual_seed(1)
    fingerprint = training_fingerprint({"epochs": 3}, AutoEncoder(input_size=16), frames, offsets)
    checkpoint = EpochCheckpoint(tmp_path / "job" / "checkpoint.pt", fingerprint)
    model, losses = trained(checkpoint)
    assert torch.load(checkpoint.path, weights_only=True)["losses"] == losses

    # A job that finds the last epoch saved trains no further and gets the same result.
    resumed_model, resumed_losses = trained(checkpoint)
    assert resumed_losses == losses
    for name, tensor in model.state_dict().items():
        assert torch.equal(resumed_model.state_dict()[name], tensor)

    checkpoint.remove()
    assert not checkpoint.path.parent.exists()


def test_checkpoint_of_other_inputs_is_ignored(tmp_path):
    path = tmp_path / "checkpoint.pt"
    trained(EpochCheckpoint(path, "old inputs"), epochs=2)
    model, losses = trained(EpochCheckpoint(path, "new inputs"), epochs=3)
    assert len(losses) == 3
    _, fresh_losses = trained(None, epochs=3)
    assert losses == fresh_losses


def test_fingerprint_changes_with_data():
    frames, offsets, _ = small_training()
    model = AutoEncoder(input_size=16)
    base = training_fingerprint({"epochs": 3}, model, frames, offsets)
    changed = frames.copy()
    changed[5, 3] += 1.0
    assert training_fingerprint({"epochs": 3}, model, changed, offsets) != base
    assert training_fingerprint({"epochs": 4}, model, frames, offsets) != base
    assert training_fingerprint({"epochs": 3}, model, frames, offsets) == base
