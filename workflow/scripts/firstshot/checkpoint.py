"""Epoch checkpoints, so that a killed training job continues where it stopped.

Snakemake deletes a job's declared outputs before it runs, so the checkpoint
lives at a path that no rule declares. It contains everything that the next
epoch depends on: the model and optimizer state, the state of the generator
that shuffles the batches, and the losses so far. A run that resumes from it
ends with the same weights as one that was never stopped (on the CPU, where
torch's kernels are deterministic).

The checkpoint carries a fingerprint of the job's starting point (settings,
initial weights and training frames). A checkpoint with another fingerprint
was written for other inputs and is discarded.
"""

import contextlib
import hashlib
import json
import logging
import os
from pathlib import Path

import numpy as np
import torch

logger = logging.getLogger(__name__)


def training_fingerprint(
    settings: dict, model: torch.nn.Module, frames: np.ndarray, offsets: np.ndarray
) -> str:
    """Return a SHA-256 hex digest of the settings, the initial weights and the training data."""
    digest = hashlib.sha256(json.dumps(settings, sort_keys=True).encode())
    for name, tensor in model.state_dict().items():
        digest.update(name.encode())
        digest.update(tensor.detach().cpu().contiguous().numpy().tobytes())
    digest.update(np.ascontiguousarray(frames).data)
    digest.update(np.ascontiguousarray(offsets, dtype=np.int64).data)
    return digest.hexdigest()


class EpochCheckpoint:
    """The latest completed epoch of one training job, saved after every epoch."""

    def __init__(self, path: str | Path, fingerprint: str):
        self.path = Path(path)
        self.fingerprint = fingerprint

    def restore(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        generator: torch.Generator,
    ) -> list[float]:
        """Load the saved state into the arguments and return the losses of the completed epochs.

        Returns an empty list, and changes nothing, when there is no usable checkpoint.
        """
        if not self.path.exists():
            return []
        try:
            state = torch.load(self.path, map_location="cpu", weights_only=True)
        except (OSError, RuntimeError, EOFError) as error:
            logger.warning("starting over: cannot read the checkpoint %s (%s)", self.path, error)
            return []
        if state.get("fingerprint") != self.fingerprint:
            logger.info(
                "starting over: the checkpoint %s was written for other settings or data",
                self.path,
            )
            return []
        model.load_state_dict(state["model"])
        optimizer.load_state_dict(state["optimizer"])
        generator.set_state(state["generator"])
        torch.set_rng_state(state["torch_rng"])
        losses = [float(loss) for loss in state["losses"]]
        logger.info("resuming after epoch %d from %s", len(losses), self.path)
        return losses

    def save(
        self,
        model: torch.nn.Module,
        optimizer: torch.optim.Optimizer,
        generator: torch.Generator,
        losses: list[float],
    ) -> None:
        """Save the state after the last epoch in ``losses`` (temporary file, then rename)."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + ".partial")
        state = {
            "fingerprint": self.fingerprint,
            "model": model.state_dict(),
            "optimizer": optimizer.state_dict(),
            "generator": generator.get_state(),
            "torch_rng": torch.get_rng_state(),
            "losses": list(losses),
        }
        torch.save(state, partial)
        os.replace(partial, self.path)

    def remove(self) -> None:
        """Delete the checkpoint and its folder once the job's output is written."""
        self.path.unlink(missing_ok=True)
        self.path.with_name(self.path.name + ".partial").unlink(missing_ok=True)
        # The folder may hold other files or be gone already; either is fine.
        with contextlib.suppress(OSError):
            self.path.parent.rmdir()
