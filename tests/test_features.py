import librosa
import numpy as np
import torch

from firstshot.features import FeatureSettings, LogMel, gather_windows, window_starts


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
    assert np.max(np.abs(ours - reference)) < 0.01


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
