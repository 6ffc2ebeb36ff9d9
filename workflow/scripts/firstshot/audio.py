"""Read clips of any sample rate and channel count as 16 kHz mono float32."""

import numpy as np
import soundfile
import soxr

from firstshot import InputError


def to_mono(samples: np.ndarray, channel: int | None, file_name: str) -> np.ndarray:
    """Mix a (frames, channels) array to mono, or select one channel when ``channel`` is set."""
    if samples.ndim == 1:
        return samples
    if channel is None:
        return samples.mean(axis=1)
    if not 0 <= channel < samples.shape[1]:
        raise InputError(
            f"{file_name}: the config key 'channel' is {channel}, but the file has "
            f"{samples.shape[1]} channels. Set 'channel' to a value from 0 to "
            f"{samples.shape[1] - 1}, or to null to mix all channels."
        )
    return samples[:, channel]


def read_clip(path: str, sample_rate: int, channel: int | None = None) -> np.ndarray:
    """Read one clip as mono float32 at ``sample_rate`` Hz.

    Resampling uses soxr at its default high quality. Raises InputError for a
    file that cannot be decoded or contains non-finite samples.
    """
    try:
        samples, file_rate = soundfile.read(path, dtype="float64", always_2d=False)
    except (soundfile.LibsndfileError, RuntimeError, ValueError) as error:
        raise InputError(
            f"{path}: cannot be read as audio ({error}). Replace or remove the file."
        ) from error

    samples = to_mono(samples, channel, path)
    if samples.size == 0:
        raise InputError(f"{path}: the file contains no samples. Replace or remove the file.")
    if not np.all(np.isfinite(samples)):
        raise InputError(
            f"{path}: the file contains NaN or infinite samples. Replace or remove the file."
        )
    if file_rate != sample_rate:
        samples = soxr.resample(samples, file_rate, sample_rate)
    return samples.astype(np.float32)
