import librosa
import numpy as np
import pytest
import torch

from firstshot.features import FeatureSettings, LogMel, slaney_mel_filters
from firstshot.windows import gather_windows, window_starts


def test_logmel_matches_librosa_on_chirp():
    settings = FeatureSettings()
    t = np.arange(int(2.3 * settings.sample_rate)) / settings.sample_rate
    signal = (0.5 * np.sin(2 * np.pi * (200 + 1500 * t) * t)).astype(np.float32)

    ours = LogMel(settings)(signal)
    mel = librosa.feature.melspectrogram(
        y=signal, sr=16000, n_fft=1024, hop_length=512, n_mels=128, power=2.0
    )
    reference = 10 * np.log10(np.maximum(mel, 1e-10)).T

    assert ours.shape == reference.shape == (1 + len(signal) // 512, 128)
    assert ours.dtype == np.float32
    # Float32 rounding leaves an error of about 1e-7 of the clip's peak power in
    # every bin, which is 0.2 dB in bins 120 dB below the peak. Bins down to
    # 100 dB below it agree within 0.01 dB.
    loud = reference >= reference.max() - 100
    assert np.max(np.abs(ours - reference)[loud]) < 0.01
    peak_power = 10 ** (reference.max() / 10)
    power_error = np.abs(10 ** (ours / 10) - 10 ** (reference / 10))
    assert np.max(power_error) < 1e-6 * peak_power


@pytest.mark.parametrize(
    ("sample_rate", "n_fft", "n_mels"), [(16000, 1024, 128), (22050, 2048, 64)]
)
def test_mel_filters_match_librosa(sample_rate, n_fft, n_mels):
    ours = slaney_mel_filters(sample_rate, n_fft, n_mels)
    reference = librosa.filters.mel(sr=sample_rate, n_fft=n_fft, n_mels=n_mels)
    assert ours.shape == reference.shape
    np.testing.assert_allclose(ours, reference, rtol=1e-5, atol=1e-8)


def test_logmel_batch_equals_single_clips():
    rng = np.random.default_rng(0)
    clips = rng.normal(size=(3, 8000)).astype(np.float32)
    log_mel = LogMel(FeatureSettings())
    together = log_mel(clips)
    assert together.shape == (3, 1 + 8000 // 512, 128)
    for clip, frames in zip(clips, together, strict=True):
        np.testing.assert_allclose(frames, log_mel(clip), atol=1e-4)


def test_logmel_silence_is_finite():
    frames = LogMel(FeatureSettings())(np.zeros(16000, dtype=np.float32))
    assert np.all(np.isfinite(frames))
    assert np.allclose(frames, -100.0)


def test_logmel_has_no_top_db_clipping():
    settings = FeatureSettings()
    signal = np.zeros(16000, dtype=np.float32)
    signal[8000] = 1.0
    frames = LogMel(settings)(signal)
    assert frames.max() - frames.min() > 80.0


def test_window_starts_stay_inside_clips():
    offsets = np.array([0, 7, 7 + 5, 7 + 5 + 9])
    starts = window_starts(offsets, 5)
    assert starts.tolist() == [0, 1, 2, 7, 12, 13, 14, 15, 16]


def test_gather_windows_orders_frames_in_time():
    frames = torch.arange(10 * 3, dtype=torch.float32).reshape(10, 3)
    windows = gather_windows(frames, torch.tensor([0, 4]), 2)
    assert windows.shape == (2, 6)
    assert windows[0].tolist() == [0, 1, 2, 3, 4, 5]
    assert windows[1].tolist() == [12, 13, 14, 15, 16, 17]
