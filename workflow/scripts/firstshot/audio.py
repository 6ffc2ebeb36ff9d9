"""Read clips of any sample rate and channel count as 16 kHz mono float32."""

import logging
import struct
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import soundfile
import soxr

from firstshot import InputError

logger = logging.getLogger(__name__)

#: Data-chunk sizes that streaming writers leave in the header when the length
#: is not known; libsndfile then reads to the end of the file.
_UNKNOWN_DATA_SIZES = (0, 0xFFFFFFFF)


def to_mono(samples: np.ndarray, channel: int | None, file_name: str) -> np.ndarray:
    """Mix a (frames, channels) array to mono, or select one channel when ``channel`` is set."""
    if samples.ndim == 1:
        return samples
    if channel is None:
        return samples.mean(axis=1)
    if not 0 <= channel < samples.shape[1]:
        raise InputError(
            f"{file_name}: the config key 'audio.channel' is {channel}, but the file has "
            f"{samples.shape[1]} channels. Set 'audio.channel' to a value from 0 to "
            f"{samples.shape[1] - 1}, or to null to mix all channels."
        )
    return samples[:, channel]


def find_wav_truncation(path: str | Path) -> tuple[int, int] | None:
    """Return (declared, present) bytes of a RIFF WAV data chunk cut short, else None.

    libsndfile 1.2 reads a truncated WAV without an error and returns only the
    samples present, so a half-copied file would pass for a short clip. Files
    that are not RIFF WAV, and data sizes left unknown by streaming writers,
    return None.
    """
    with open(path, "rb") as file:
        header = file.read(12)
        if len(header) < 12 or header[:4] != b"RIFF" or header[8:12] != b"WAVE":
            return None
        file_size = file.seek(0, 2)
        position = 12
        while position + 8 <= file_size:
            file.seek(position)
            chunk_id, chunk_size = struct.unpack("<4sI", file.read(8))
            if chunk_id == b"data":
                present = file_size - position - 8
                if chunk_size in _UNKNOWN_DATA_SIZES or present >= chunk_size:
                    return None
                return chunk_size, present
            # Chunks are padded to an even number of bytes (RIFF specification).
            position += 8 + chunk_size + (chunk_size & 1)
    return None


def read_clip(path: str, sample_rate: int, channel: int | None = None) -> np.ndarray:
    """Read one clip as mono float32 at ``sample_rate`` Hz.

    Resampling uses soxr at its default high quality. Raises InputError for a
    file that cannot be decoded, is a truncated WAV, contains no samples or
    contains non-finite samples.
    """
    try:
        samples, file_rate = soundfile.read(path, dtype="float64", always_2d=False)
    except (soundfile.SoundFileError, RuntimeError, ValueError, TypeError, EOFError) as error:
        raise InputError(
            f"{path}: cannot be read as audio ({error}). Replace or remove the file."
        ) from error
    except OSError as error:
        raise InputError(f"{path}: cannot be opened ({error}). Check the file.") from error

    truncation = find_wav_truncation(path)
    if truncation:
        declared, present = truncation
        raise InputError(
            f"{path}: the WAV file is truncated: its header declares {declared} bytes of "
            f"audio, but only {present} are present. Copy the file again or remove it."
        )
    samples = to_mono(samples, channel, path)
    if samples.size == 0:
        raise InputError(f"{path}: the file contains no samples. Replace or remove the file.")
    if not np.all(np.isfinite(samples)):
        raise InputError(
            f"{path}: the file contains NaN or infinite samples. Replace or remove the file."
        )
    if file_rate != sample_rate:
        try:
            samples = soxr.resample(samples, file_rate, sample_rate)
        except (ValueError, RuntimeError) as error:
            raise InputError(
                f"{path}: cannot be resampled from {file_rate} Hz to {sample_rate} Hz ({error}). "
                "Replace or remove the file."
            ) from error
    return samples.astype(np.float32)


def read_clips(paths: list[str], sample_rate: int, channel: int | None = None) -> Iterator:
    """Yield every clip of ``paths`` as read_clip does; raise one InputError for all bad ones.

    A bad clip yields an empty placeholder so that reading goes on, and the
    error at the end lists every bad file, so one run shows a user all of them.
    A store written from this iterator is therefore never completed when a clip
    is bad.
    """
    problems = []
    for path in paths:
        try:
            yield read_clip(path, sample_rate, channel)
        except InputError as error:
            logger.error("%s", error)
            problems.append(str(error))
            yield np.zeros(0, dtype=np.float32)
    if problems:
        raise InputError(f"{len(problems)} unreadable clip(s):\n  " + "\n  ".join(problems))
