"""Reconstruction errors of clips: the anomaly score."""

import numpy as np
import torch

from firstshot.model import AutoEncoder
from firstshot.windows import gather_windows, window_starts

#: Windows per forward pass when scoring; scoring keeps no gradients, so large
#: batches only cost memory.
SCORING_BATCH = 8192


@torch.no_grad()
def window_errors(
    model: AutoEncoder,
    frames: np.ndarray,
    offsets: np.ndarray,
    n_frames: int,
    device: torch.device,
) -> np.ndarray:
    """Return the mean squared reconstruction error of every window, clip after clip."""
    model.to(device).eval()
    frame_tensor = torch.from_numpy(frames).to(device)
    starts = torch.from_numpy(window_starts(offsets, n_frames)).to(device)
    errors = []
    for begin in range(0, len(starts), SCORING_BATCH):
        batch = gather_windows(frame_tensor, starts[begin : begin + SCORING_BATCH], n_frames)
        errors.append(((model(batch) - batch) ** 2).mean(dim=1).cpu())
    return torch.cat(errors).double().numpy()


def clip_scores(errors: np.ndarray, offsets: np.ndarray, n_frames: int) -> np.ndarray:
    """Average window errors per clip: the mean over all windows and dimensions of a clip."""
    windows_per_clip = np.diff(offsets) - n_frames + 1
    clip_index = np.repeat(np.arange(len(windows_per_clip)), windows_per_clip)
    return np.bincount(clip_index, weights=errors, minlength=len(windows_per_clip)) / (
        windows_per_clip
    )
