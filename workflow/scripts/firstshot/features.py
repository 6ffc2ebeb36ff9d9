"""Log-mel spectrograms of clips, computed without torch or librosa.

The feature jobs import this module, so it avoids both: their imports took
about 3.5 s of every job's start, longer than the job's arithmetic on a
small split.
"""

from dataclasses import asdict, dataclass

import numpy as np
import scipy.fft

from firstshot import InputError

#: Floor on the mel power before the logarithm, so silence gives -100 dB
#: instead of -inf. There is no top-dB clipping (librosa's power_to_db clips at
#: 80 dB below the peak by default); the DCASE baseline does not clip either.
POWER_FLOOR = 1e-10


@dataclass(frozen=True)
class FeatureSettings:
    """Log-mel parameters; the defaults are those of the DCASE Task 2 baseline."""

    sample_rate: int = 16000
    n_fft: int = 1024
    hop_length: int = 512
    n_mels: int = 128
    power: float = 2.0
    frames: int = 5

    @property
    def window_size(self) -> int:
        return self.frames * self.n_mels

    def as_dict(self) -> dict:
        return asdict(self)

    def min_samples(self) -> int:
        """Shortest clip, in samples, that yields one window of ``frames`` frames."""
        return (self.frames - 1) * self.hop_length


def slaney_mel_filters(sample_rate: int, n_fft: int, n_mels: int) -> np.ndarray:
    """Return the (n_mels, 1 + n_fft // 2) Slaney mel filter bank from 0 Hz to Nyquist.

    These are the filters of ``librosa.filters.mel`` with its defaults
    (``htk=False``, ``norm="slaney"``), as tests/test_features.py checks. They
    are computed here because importing librosa.filters loads numba, which
    took about 1.5 s in every feature job.
    """
    fft_hz = np.linspace(0.0, sample_rate / 2, 1 + n_fft // 2)
    edges_hz = _mel_to_hz(np.linspace(0.0, _hz_to_mel(sample_rate / 2), n_mels + 2))
    lower, centre, upper = edges_hz[:-2, None], edges_hz[1:-1, None], edges_hz[2:, None]
    rising = (fft_hz - lower) / (centre - lower)
    falling = (upper - fft_hz) / (upper - centre)
    filters = np.maximum(0.0, np.minimum(rising, falling))
    # Each triangle is scaled to the same area, so wide high-frequency bands
    # do not collect more energy than narrow low ones.
    filters *= 2.0 / (upper - lower)
    return filters.astype(np.float32)


# Slaney's mel scale: linear below 1 kHz at 200/3 Hz per mel, logarithmic above
# with 27 mels per factor 6.4 in frequency.
_LINEAR_HZ_PER_MEL = 200.0 / 3
_BREAK_HZ = 1000.0
_BREAK_MEL = _BREAK_HZ / _LINEAR_HZ_PER_MEL
_LOG_STEP = np.log(6.4) / 27.0


def _hz_to_mel(hz):
    hz = np.asarray(hz, dtype=np.float64)
    linear = hz / _LINEAR_HZ_PER_MEL
    logarithmic = _BREAK_MEL + np.log(np.maximum(hz, _BREAK_HZ) / _BREAK_HZ) / _LOG_STEP
    return np.where(hz >= _BREAK_HZ, logarithmic, linear)


def _mel_to_hz(mel):
    mel = np.asarray(mel, dtype=np.float64)
    linear = mel * _LINEAR_HZ_PER_MEL
    logarithmic = _BREAK_HZ * np.exp(_LOG_STEP * (np.maximum(mel, _BREAK_MEL) - _BREAK_MEL))
    return np.where(mel >= _BREAK_MEL, logarithmic, linear)


class LogMel:
    """Compute log-mel spectrograms as ``librosa.feature.melspectrogram`` does.

    The framing matches librosa's defaults: centred frames with zero padding
    and a periodic Hann window, then the Slaney mel filter bank. The
    arithmetic is float32 with scipy's FFT; the result stays within 0.01 dB of
    librosa's, which computes the FFT in float64 (tests/test_features.py).

    The padded signal, the frames and the power spectrum go into buffers
    that are kept from one clip to the next. Fresh arrays of this size come
    from the operating system and fault on every page: that tripled the
    time per 10 s clip, from 1.5 ms to 4.2 ms on the benchmark machine. An
    instance is therefore not safe to share between threads.
    """

    def __init__(self, settings: FeatureSettings):
        self.settings = settings
        n = np.arange(settings.n_fft)
        self.window = (0.5 - 0.5 * np.cos(2 * np.pi * n / settings.n_fft)).astype(np.float32)
        self.mel_filters_t = np.ascontiguousarray(
            slaney_mel_filters(settings.sample_rate, settings.n_fft, settings.n_mels).T
        )
        self._shape = None

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """Return (frames, n_mels) float32 log-mel frames of one clip or (clips, frames, n_mels)."""
        settings = self.settings
        audio = np.asarray(audio, dtype=np.float32)
        if audio.shape != self._shape:
            self._allocate(audio.shape)
        half = settings.n_fft // 2
        self._padded[..., half : half + audio.shape[-1]] = audio
        frames = np.lib.stride_tricks.sliding_window_view(self._padded, settings.n_fft, axis=-1)
        np.multiply(frames[..., :: settings.hop_length, :], self.window, out=self._frames)
        spectrum = scipy.fft.rfft(self._frames, axis=-1, overwrite_x=True)
        power = np.abs(spectrum, out=self._power)
        power **= settings.power
        mel = power @ self.mel_filters_t
        np.maximum(mel, POWER_FLOOR, out=mel)
        np.log10(mel, out=mel)
        mel *= 10.0
        return mel

    def _allocate(self, shape: tuple[int, ...]) -> None:
        settings = self.settings
        n_frames = 1 + shape[-1] // settings.hop_length
        self._padded = np.zeros((*shape[:-1], shape[-1] + settings.n_fft), dtype=np.float32)
        self._frames = np.empty((*shape[:-1], n_frames, settings.n_fft), dtype=np.float32)
        self._power = np.empty((*shape[:-1], n_frames, 1 + settings.n_fft // 2), dtype=np.float32)
        self._shape = shape


def check_clip_lengths(lengths: np.ndarray, names: list[str], settings: FeatureSettings) -> None:
    """Raise one InputError that lists every clip too short to give one window.

    A short clip is an error, not padded or skipped: padding would score
    invented audio, and a skipped test clip would be missing from the
    submission file that the DCASE evaluator checks for completeness.
    """
    minimum = settings.min_samples()
    short = [
        f"{name}: {length} samples"
        for name, length in zip(names, lengths, strict=True)
        if length < minimum
    ]
    if short:
        raise InputError(
            f"{len(short)} clip(s) are too short for one window of {settings.frames} frames, "
            f"which needs at least {minimum} samples at {settings.sample_rate} Hz "
            f"({minimum / settings.sample_rate:.3f} s):\n  "
            + "\n  ".join(short)
            + "\nRemove these clips or lower 'features.frames'."
        )
