"""Train the autoencoder on stacked log-mel windows and save it with its settings."""

import logging
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np
import torch

from firstshot.atomic import partial_path
from firstshot.features import FeatureSettings, gather_windows, window_starts
from firstshot.model import AutoEncoder

logger = logging.getLogger(__name__)


class TrainingError(RuntimeError):
    """Training diverged; no model is written."""


@dataclass(frozen=True)
class TrainSettings:
    epochs: int = 20
    batch_size: int = 64
    learning_rate: float = 0.001
    seed: int = 0


def pick_device(requested: str) -> torch.device:
    """Resolve the config's device: ``auto`` takes CUDA when present, else the CPU."""
    if requested == "auto":
        if torch.cuda.is_available():
            return torch.device("cuda")
        logger.info("No CUDA device found; training on the CPU.")
        return torch.device("cpu")
    return torch.device(requested)


def train(
    model: AutoEncoder,
    frames: np.ndarray,
    offsets: np.ndarray,
    features: FeatureSettings,
    settings: TrainSettings,
    device: torch.device,
) -> list[float]:
    """Train ``model`` in place with MSE loss and Adam; return the mean loss of each epoch.

    The frames stay on ``device`` and each batch of windows is gathered there,
    so no window is materialised in advance (that would take ``frames`` times
    the memory of the frames).
    """
    frame_tensor = torch.from_numpy(frames).to(device)
    starts = torch.from_numpy(window_starts(offsets, features.frames)).to(device)
    n_windows = len(starts)
    if n_windows < 2:
        raise TrainingError(f"training needs at least 2 windows, found {n_windows}")

    generator = torch.Generator(device="cpu").manual_seed(settings.seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=settings.learning_rate)
    loss_function = torch.nn.MSELoss()
    model.to(device).train()

    losses = []
    for epoch in range(1, settings.epochs + 1):
        order = torch.randperm(n_windows, generator=generator).to(device)
        total = torch.zeros((), device=device, dtype=torch.float64)
        for begin in range(0, n_windows, settings.batch_size):
            batch_starts = starts[order[begin : begin + settings.batch_size]]
            if len(batch_starts) < 2:
                # BatchNorm cannot normalise a batch of one window in training mode.
                continue
            batch = gather_windows(frame_tensor, batch_starts, features.frames)
            optimizer.zero_grad(set_to_none=True)
            loss = loss_function(model(batch), batch)
            loss.backward()
            optimizer.step()
            total += loss.detach() * len(batch_starts)
        epoch_loss = float(total) / n_windows
        if not np.isfinite(epoch_loss):
            raise TrainingError(
                f"the training loss became {epoch_loss} in epoch {epoch}. Check the input "
                "features for extreme values or lower 'training.learning_rate'."
            )
        losses.append(epoch_loss)
        logger.info("epoch %d/%d: loss %.6f", epoch, settings.epochs, epoch_loss)
    return losses


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
