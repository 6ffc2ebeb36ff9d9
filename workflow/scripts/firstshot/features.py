"""Log-mel spectrograms and the stacked-frame windows that the autoencoder takes as input."""

from dataclasses import asdict, dataclass

import librosa
import numpy as np
import torch

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


class LogMel:
    """Compute log-mel spectrograms as librosa's melspectrogram does, batched in torch.

    STFT framing matches ``librosa.feature.melspectrogram`` defaults: centred
    frames with zero padding and a periodic Hann window, then the Slaney mel
    filter bank from ``librosa.filters.mel``. The arithmetic is float64: it costs
    no measurable time here, and float32 FFTs in torch deviate from librosa by up
    to 0.3 dB in bins 120 dB below the peak.
    """

    def __init__(self, settings: FeatureSettings):
        self.settings = settings
        self.window = torch.hann_window(settings.n_fft, periodic=True, dtype=torch.float64)
        self.mel_basis = torch.from_numpy(
            librosa.filters.mel(
                sr=settings.sample_rate,
                n_fft=settings.n_fft,
                n_mels=settings.n_mels,
                dtype=np.float64,
            )
        )

    def __call__(self, audio: np.ndarray) -> np.ndarray:
        """Return (frames, n_mels) float32 log-mel frames of one clip or (clips, frames, n_mels)."""
        signal = torch.from_numpy(np.ascontiguousarray(audio, dtype=np.float64))
        spectrum = torch.stft(
            signal,
            n_fft=self.settings.n_fft,
            hop_length=self.settings.hop_length,
            window=self.window,
            center=True,
            pad_mode="constant",
            return_complex=True,
        )
        magnitude = spectrum.abs().pow(self.settings.power)
        mel = torch.matmul(self.mel_basis, magnitude)
        log_mel = 10.0 * torch.log10(torch.clamp(mel, min=POWER_FLOOR))
        return log_mel.transpose(-1, -2).to(torch.float32).contiguous().numpy()


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
