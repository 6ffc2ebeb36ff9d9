"""Train the autoencoder on stacked log-mel windows and save it with its settings."""

import functools
import logging
import os
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from firstshot import InputError
from firstshot.atomic import partial_path
from firstshot.checkpoint import EpochCheckpoint
from firstshot.features import FeatureSettings
from firstshot.model import AutoEncoder
from firstshot.train_step import ExplicitStep, autograd_step
from firstshot.windows import gather_windows, window_starts

logger = logging.getLogger(__name__)


#: Windows gathered from the frames in one indexing operation, in whole
#: batches: 16384 windows of 640 float32 values take 42 MB.
GATHER_WINDOWS = 16384


class TrainingError(RuntimeError):
    """Training diverged; no model is written."""


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 0.001
    seed: int = 0


def pick_device(requested: str) -> torch.device:
    """Resolve the config's device: ``auto`` takes CUDA when present, else the CPU.

    The log line names CUDA_VISIBLE_DEVICES, the GPUs that a scheduler such as
    SLURM gave the job, so a job that falls back to the CPU on a GPU node shows why.
    """
    visible = os.environ.get("CUDA_VISIBLE_DEVICES", "unset")
    if requested == "auto":
        if torch.cuda.is_available():
            device = torch.device("cuda")
            logger.info(
                "Using CUDA device %s (CUDA_VISIBLE_DEVICES=%s).",
                torch.cuda.get_device_name(device),
                visible,
            )
            return device
        logger.info(
            "No CUDA device found (CUDA_VISIBLE_DEVICES=%s, torch CUDA build %s); "
            "falling back to the CPU.",
            visible,
            torch.version.cuda or "none",
        )
        return torch.device("cpu")

    device = torch.device(requested)
    if device.type == "cuda" and not torch.cuda.is_available():
        raise InputError(
            f"training.device is '{requested}', but torch finds no CUDA device "
            f"(CUDA_VISIBLE_DEVICES={visible}, torch CUDA build {torch.version.cuda or 'none'}). "
            "Set training.device to 'auto' or 'cpu', or install the CUDA build of torch."
        )
    logger.info("Using device %s (CUDA_VISIBLE_DEVICES=%s).", device, visible)
    return device


def train(
    model: AutoEncoder,
    frames: np.ndarray,
    offsets: np.ndarray,
    features: FeatureSettings,
    settings: TrainSettings,
    device: torch.device,
    checkpoint: EpochCheckpoint | None = None,
) -> list[float]:
    """Train ``model`` in place with MSE loss and Adam; return the mean loss of each epoch.

    The frames stay on ``device`` and windows are gathered there a few batches
    at a time, so the windows are never all materialised (that would take
    ``frames`` times the memory of the frames). With a ``checkpoint``, training
    continues after the last epoch saved there and saves every epoch it completes.
    """
    frame_tensor = torch.from_numpy(frames).to(device)
    starts = torch.from_numpy(window_starts(offsets, features.frames)).to(device)
    n_windows = len(starts)
    if n_windows < 2:
        raise TrainingError(f"training needs at least 2 windows, found {n_windows}")

    # The optimizer is built after the move, so it keeps the parameters on
    # ``device`` even where Module.to replaces them instead of moving them in place.
    model.to(device).train()
    generator = torch.Generator(device="cpu").manual_seed(settings.seed)
    optimizer = make_optimizer(model, settings.learning_rate, device)

    losses = checkpoint.restore(model, optimizer, generator) if checkpoint else []
    # On the CPU the explicit step is faster and bitwise equal to the autograd
    # step (tested). It has not run on CUDA, so CUDA keeps the autograd step.
    if device.type == "cpu":
        step = ExplicitStep(model, optimizer)
    else:
        step = functools.partial(autograd_step, model, optimizer)
    for epoch in range(len(losses) + 1, settings.epochs + 1):
        order = torch.randperm(n_windows, generator=generator).to(device)
        epoch_loss = train_epoch(
            step, frame_tensor, starts[order], features.frames, settings.batch_size
        )
        if not np.isfinite(epoch_loss):
            raise TrainingError(
                f"the training loss became {epoch_loss} in epoch {epoch}. Check the input "
                "features for extreme values or lower 'training.learning_rate'."
            )
        losses.append(epoch_loss)
        logger.info("epoch %d/%d: loss %.6f", epoch, settings.epochs, epoch_loss)
        if checkpoint:
            checkpoint.save(model, optimizer, generator, losses)
    return losses


def make_optimizer(
    model: AutoEncoder, learning_rate: float, device: torch.device
) -> torch.optim.Optimizer:
    """Return Adam, fused into one kernel per step where torch has that kernel.

    At batch 64 the autoencoder's arithmetic is small, so the per-step cost of
    the optimiser dominates. The fused kernel took about 2 ms less per step
    than the default multi-tensor Adam (5.7 ms), measured on one thread of a
    shared 2-core CPU machine with torch 2.13. Its updates round differently, so the
    weights differ slightly from those of the default Adam; runs with the same
    seed on the CPU still give identical weights.
    """
    fused = device.type in ("cpu", "cuda")
    return torch.optim.Adam(model.parameters(), lr=learning_rate, fused=fused)


def train_epoch(
    step: Callable[[torch.Tensor], torch.Tensor],
    frames: torch.Tensor,
    starts: torch.Tensor,
    n_frames: int,
    batch_size: int,
) -> float:
    """Run one epoch over the windows at ``starts``, in that order; return the mean loss.

    ``step`` takes one optimisation step on a batch and returns its loss.

    Windows are gathered about ``GATHER_WINDOWS`` at a time, in whole batches,
    so each step only slices a batch out of them and their memory stays
    bounded. The batches and their order are those of gathering one batch
    at a time, so the result does not depend on ``GATHER_WINDOWS``.
    """
    n_batches = -(-len(starts) // batch_size)
    if n_batches == 0:
        return 0.0
    # One preallocated tensor instead of one small tensor per step. Keeping
    # 34,000 small tensors alive through an epoch fragmented the heap, so a
    # full-scale pretraining job peaked at 8.9 GB instead of 1.6 GB.
    batch_losses = torch.zeros(n_batches, device=starts.device)
    batch_lengths = torch.full((n_batches,), batch_size, device=starts.device)
    batch_lengths[-1] = len(starts) - (n_batches - 1) * batch_size
    chunk = max(1, GATHER_WINDOWS // batch_size) * batch_size
    for chunk_begin in range(0, len(starts), chunk):
        windows = gather_windows(frames, starts[chunk_begin : chunk_begin + chunk], n_frames)
        for begin in range(0, len(windows), batch_size):
            batch = windows[begin : begin + batch_size]
            if len(batch) < 2:
                # BatchNorm cannot normalise a batch of one window in training mode.
                continue
            batch_losses[(chunk_begin + begin) // batch_size] = step(batch)
    if batch_lengths[-1] < 2:
        batch_losses, batch_lengths = batch_losses[:-1], batch_lengths[:-1]

    # Summed one batch after the other in float64, each loss weighted by its
    # batch length in float32, so the epoch loss is the same as adding each
    # batch's loss into a float64 total during the epoch.
    total = 0.0
    for value in (batch_losses * batch_lengths).tolist():
        total += value
    return total / len(starts)


def save_model(path: str | Path, model: AutoEncoder, **metadata) -> None:
    """Save the weights, architecture and ``metadata`` atomically (temporary file, then rename)."""
    state = {key: value.cpu() for key, value in model.state_dict().items()}
    with partial_path(path) as partial:
        torch.save({"state_dict": state, "architecture": model.architecture(), **metadata}, partial)


def load_model(path: str | Path) -> tuple[AutoEncoder, dict]:
    """Load a model saved by ``save_model``; return it with its whole saved record."""
    record = torch.load(path, map_location="cpu", weights_only=True)
    architecture = record["architecture"]
    model = AutoEncoder(architecture["input_size"], tuple(architecture["hidden_sizes"]))
    model.load_state_dict(record["state_dict"])
    return model, record


def settings_record(features: FeatureSettings, settings: TrainSettings) -> dict:
    """Return the settings that a saved model carries, as plain types."""
    return {"features": features.as_dict(), "training": asdict(settings)}
