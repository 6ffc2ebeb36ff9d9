import logging
import weakref

import numpy as np
import pytest
import torch

from firstshot import InputError
from firstshot.features import FeatureSettings
from firstshot.model import AutoEncoder
from firstshot.scoring import clip_scores, window_errors
from firstshot.training import (
    TrainSettings,
    load_model,
    pick_device,
    save_model,
    train,
    train_epoch,
)
from firstshot.windows import gather_windows


def test_model_layer_sizes():
    model = AutoEncoder()
    linear = [layer for layer in model.layers if isinstance(layer, torch.nn.Linear)]
    assert [(layer.in_features, layer.out_features) for layer in linear] == [
        (640, 128),
        (128, 64),
        (64, 8),
        (8, 64),
        (64, 128),
        (128, 640),
    ]
    norms = [layer for layer in model.layers if isinstance(layer, torch.nn.BatchNorm1d)]
    assert len(norms) == 5


def _random_frames(clips=4, frames_per_clip=40, seed=0):
    rng = np.random.default_rng(seed)
    frames = rng.normal(size=(clips * frames_per_clip, 128)).astype(np.float32)
    offsets = np.arange(0, clips * frames_per_clip + 1, frames_per_clip)
    return frames, offsets


def _train_once(frames, offsets, epochs=3):
    torch.manual_seed(0)
    model = AutoEncoder()
    losses = train(
        model, frames, offsets, FeatureSettings(), TrainSettings(epochs=epochs), torch.device("cpu")
    )
    return model, losses


def test_training_lowers_loss_and_is_deterministic():
    frames, offsets = _random_frames()
    model_a, losses_a = _train_once(frames, offsets)
    model_b, losses_b = _train_once(frames, offsets)
    assert len(losses_a) == 3
    assert losses_a[-1] < losses_a[0]
    assert losses_a == losses_b
    for name, value in model_a.state_dict().items():
        assert torch.equal(value, model_b.state_dict()[name]), name


def test_save_and_load_roundtrip(tmp_path):
    frames, offsets = _random_frames()
    model, losses = _train_once(frames, offsets, epochs=1)
    path = tmp_path / "model.pt"
    save_model(path, model, losses=losses, features=FeatureSettings().as_dict())
    loaded, record = load_model(path)
    assert record["losses"] == losses
    assert record["features"]["n_mels"] == 128
    assert not (tmp_path / "model.pt.partial").exists()
    errors = window_errors(model, frames, offsets, 5, torch.device("cpu"))
    assert np.allclose(errors, window_errors(loaded, frames, offsets, 5, torch.device("cpu")))


def test_clip_scores_are_mean_over_windows():
    offsets = np.array([0, 6, 12])
    errors = np.array([1.0, 3.0, 2.0, 6.0])
    assert clip_scores(errors, offsets, 5).tolist() == [2.0, 4.0]


@pytest.mark.skipif(torch.cuda.is_available(), reason="this host has a CUDA device")
def test_pick_device_falls_back_to_cpu(monkeypatch, caplog):
    monkeypatch.setenv("CUDA_VISIBLE_DEVICES", "0")
    with caplog.at_level(logging.INFO, logger="firstshot.training"):
        device = pick_device("auto")
    assert device == torch.device("cpu")
    assert "No CUDA device found (CUDA_VISIBLE_DEVICES=0" in caplog.text
    assert "falling back to the CPU" in caplog.text


@pytest.mark.skipif(torch.cuda.is_available(), reason="this host has a CUDA device")
def test_pick_device_rejects_missing_cuda():
    with pytest.raises(InputError, match="training.device is 'cuda:1'"):
        pick_device("cuda:1")


def test_pick_device_keeps_explicit_cpu():
    assert pick_device("cpu") == torch.device("cpu")


def test_training_result_independent_of_gather_size(monkeypatch):
    frames, offsets = _random_frames()
    model_a, losses_a = _train_once(frames, offsets, epochs=2)
    # Gather 3 batches at a time instead of 256, so the epoch's last gather
    # has fewer windows than the others.
    monkeypatch.setattr("firstshot.training.GATHER_WINDOWS", 3 * 64)
    model_b, losses_b = _train_once(frames, offsets, epochs=2)
    assert losses_a == losses_b
    for name, value in model_a.state_dict().items():
        assert torch.equal(value, model_b.state_dict()[name]), name


def test_train_epoch_frees_each_step_loss():
    # Keeping every step's loss tensor until the end of the epoch fragmented
    # the heap: a full-scale pretraining job grew to 8.9 GB instead of 1.6 GB.
    frames = torch.from_numpy(_random_frames(clips=40)[0])
    starts = torch.arange(0, 64 * 20, dtype=torch.int64)
    returned = []

    def step(batch):
        still_alive = [ref for ref in returned if ref() is not None]
        assert not still_alive
        loss = batch.mean()
        returned.append(weakref.ref(loss))
        return loss

    mean_loss = train_epoch(step, frames, starts, n_frames=5, batch_size=64)
    assert len(returned) == 20
    assert mean_loss == pytest.approx(
        float(gather_windows(frames, starts, 5).reshape(20, -1).mean(dim=1).mean()), rel=1e-5
    )
