"""Per-clip cache of log-mel frames, keyed by file content and the settings that shape the frames.

A feature job reruns for a whole machine and split whenever one of its clips
is added, removed or changed, because Snakemake tracks jobs, not clips. The
cache lets that job compute frames only for clips it has not seen before.

Layout: ``<root>/<settings key>/<first 2 hex digits>/<sha256 of the file>.npy``,
plus ``settings.json`` in each settings folder so that a person can tell the
folders apart. The settings key covers every value that changes the frames of
a clip: the log-mel parameters, the channel choice and ``FORMAT_VERSION``.
``features.frames`` only groups frames into windows later, so it is not part
of the key.
"""

import hashlib
import json
import logging
import os
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from firstshot import InputError
from firstshot.audio import read_clip
from firstshot.features import FeatureSettings, LogMel, check_clip_lengths

logger = logging.getLogger(__name__)

#: Raise this when ``read_clip`` or ``LogMel`` return other frames for the same
#: file and settings, so that old cache entries are no longer used.
FORMAT_VERSION = 1


def file_digest(path: str | Path) -> str:
    """Return the SHA-256 hex digest of a file's bytes."""
    with open(path, "rb") as file:
        return hashlib.file_digest(file, "sha256").hexdigest()


def settings_key(features: FeatureSettings, channel: int | None) -> tuple[str, dict]:
    """Return the cache folder name for these settings and the values it stands for."""
    values = {
        "format_version": FORMAT_VERSION,
        "sample_rate": features.sample_rate,
        "n_fft": features.n_fft,
        "hop_length": features.hop_length,
        "n_mels": features.n_mels,
        "power": float(features.power),
        "channel": channel,
    }
    encoded = json.dumps(values, sort_keys=True).encode()
    return hashlib.sha256(encoded).hexdigest()[:16], values


class FeatureCache:
    """Log-mel frames of single clips, stored as ``.npy`` files under one settings folder."""

    def __init__(self, root: str | Path, features: FeatureSettings, channel: int | None):
        key, values = settings_key(features, channel)
        self.folder = Path(root) / key
        self.folder.mkdir(parents=True, exist_ok=True)
        description = self.folder / "settings.json"
        if not description.exists():
            _write_atomically(description, lambda file: file.write(json.dumps(values).encode()))

    def entry(self, digest: str) -> Path:
        return self.folder / digest[:2] / f"{digest}.npy"

    def contains(self, digest: str) -> bool:
        return self.entry(digest).exists()

    def load(self, digest: str) -> np.ndarray | None:
        """Return the cached frames of a file digest, or None when there are none."""
        path = self.entry(digest)
        if not path.exists():
            return None
        try:
            frames = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as error:
            # A damaged entry costs only its recomputation, so it is not fatal.
            logger.warning("ignoring unreadable cache entry %s: %s", path, error)
            return None
        if frames.ndim != 2 or frames.dtype != np.float32:
            logger.warning("ignoring cache entry %s of shape %s", path, frames.shape)
            return None
        return frames

    def store(self, digest: str, frames: np.ndarray) -> None:
        """Store frames under a digest; concurrent writers of one digest write the same bytes."""
        path = self.entry(digest)
        path.parent.mkdir(exist_ok=True)
        _write_atomically(path, lambda file: np.save(file, frames, allow_pickle=False))


def _write_atomically(path: Path, write) -> None:
    """Write through a unique temporary file in the same folder, then rename it to ``path``."""
    descriptor, partial = tempfile.mkstemp(dir=path.parent, prefix=path.name, suffix=".partial")
    try:
        with os.fdopen(descriptor, "wb") as file:
            write(file)
        os.replace(partial, path)
    except BaseException:
        Path(partial).unlink(missing_ok=True)
        raise


@dataclass
class CacheCounts:
    computed: int = 0
    reused: int = 0


def clip_features(
    paths: list[str],
    features: FeatureSettings,
    channel: int | None,
    cache: FeatureCache,
    counts: CacheCounts,
    digests: list[str] | None = None,
    resampled: dict[str, np.ndarray] | None = None,
) -> Iterator[np.ndarray]:
    """Yield the log-mel frames of each clip in ``paths``, from the cache where possible.

    ``digests`` are the files' SHA-256 digests where the caller already has
    them. ``resampled`` maps a digest to audio that the rule resample_audio
    already read. A clip missing from both the cache and ``resampled`` is read
    from its file. ``counts`` is updated as the clips are yielded, so it is
    complete once the iterator is exhausted.
    """
    log_mel = LogMel(features)
    resampled = resampled or {}
    for index, path in enumerate(paths):
        digest = digests[index] if digests else file_digest(path)
        frames = None if digest in resampled else cache.load(digest)
        if frames is None:
            audio = resampled.get(digest)
            if audio is None:
                audio = read_clip(path, features.sample_rate, channel)
            check_clip_lengths([len(audio)], [path], features)
            frames = log_mel(audio)
            cache.store(digest, frames)
            counts.computed += 1
        else:
            if len(frames) < features.frames:
                raise InputError(
                    f"{path}: {len(frames)} frames is too short for one window of "
                    f"{features.frames} frames. Remove the clip or lower 'features.frames'."
                )
            counts.reused += 1
        yield frames
