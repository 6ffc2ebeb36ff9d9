"""Stacked-frame windows, the vectors that the autoencoder takes as input."""

import numpy as np
import torch


def window_starts(offsets: np.ndarray, frames: int) -> np.ndarray:
    """Return the first frame row of every window of ``frames`` consecutive frames.

    Windows never cross a clip boundary. ``offsets`` is a store's offsets array.
    """
    starts = [
        np.arange(begin, end - frames + 1, dtype=np.int64)
        for begin, end in zip(offsets[:-1], offsets[1:], strict=True)
    ]
    return np.concatenate(starts) if starts else np.zeros(0, dtype=np.int64)


def gather_windows(frames: torch.Tensor, starts: torch.Tensor, n_frames: int) -> torch.Tensor:
    """Stack ``n_frames`` frames from each start row into one vector per window.

    The vector is frame ``t`` followed by frame ``t + 1`` and so on, the order
    of the DCASE baseline.
    """
    rows = starts[:, None] + torch.arange(n_frames, device=starts.device)
    return frames[rows].reshape(len(starts), n_frames * frames.shape[1])
