"""Reading real audio files of every format, rate and channel count, and broken ones."""

import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from firstshot import InputError
from firstshot.audio import read_clip, read_clips
from firstshot.features import FeatureSettings, LogMel, check_clip_lengths

RATE = 16000


def tone(rate=RATE, seconds=1.0, frequency=1000.0, channels=1):
    t = np.arange(int(rate * seconds)) / rate
    mono = 0.5 * np.sin(2 * np.pi * frequency * t)
    return (
        mono if channels == 1 else np.stack([mono * (c + 1) / channels for c in range(channels)], 1)
    )


def peak_frequency(samples, rate=RATE):
    spectrum = np.abs(np.fft.rfft(samples))
    return np.fft.rfftfreq(len(samples), 1 / rate)[np.argmax(spectrum)]


@pytest.mark.parametrize(
    ("suffix", "subtype", "tolerance"),
    [
        (".wav", "PCM_U8", 1e-2),
        (".wav", "PCM_16", 1e-4),
        (".wav", "PCM_24", 1e-6),
        (".wav", "PCM_32", 1e-7),
        (".wav", "FLOAT", 1e-7),
        (".wav", "DOUBLE", 1e-7),
        (".flac", "PCM_16", 1e-4),
        (".flac", "PCM_24", 1e-6),
    ],
)
def test_read_clip_sample_formats(tmp_path, suffix, subtype, tolerance):
    path = tmp_path / f"section_00_0000{suffix}"
    expected = tone()
    soundfile.write(path, expected, RATE, subtype=subtype)
    assert soundfile.info(path).subtype == subtype

    samples = read_clip(str(path), RATE)
    assert samples.dtype == np.float32
    assert samples.shape == expected.shape
    assert np.max(np.abs(samples - expected)) < tolerance


@pytest.mark.parametrize("file_rate", [8000, 22050, 44100, 48000])
def test_read_clip_resamples_to_16k(tmp_path, file_rate):
    path = tmp_path / "clip.wav"
    soundfile.write(path, tone(rate=file_rate, seconds=2.0), file_rate, subtype="PCM_16")

    samples = read_clip(str(path), RATE)
    assert len(samples) == 2 * RATE
    assert peak_frequency(samples) == pytest.approx(1000.0, abs=1.0)
    assert np.max(np.abs(samples[RATE // 2 : -RATE // 2])) == pytest.approx(0.5, abs=0.01)


@pytest.mark.parametrize("channels", [2, 8])
def test_read_clip_mixes_channels_to_mono(tmp_path, channels):
    path = tmp_path / "clip.wav"
    samples = tone(channels=channels)
    soundfile.write(path, samples, RATE, subtype="FLOAT")

    mixed = read_clip(str(path), RATE)
    assert mixed.shape == (RATE,)
    assert np.allclose(mixed, samples.mean(axis=1), atol=1e-6)
    last = read_clip(str(path), RATE, channel=channels - 1)
    assert np.allclose(last, samples[:, -1], atol=1e-6)


def test_read_clip_channel_out_of_range(tmp_path):
    path = tmp_path / "clip.wav"
    soundfile.write(path, tone(channels=2), RATE)
    with pytest.raises(InputError, match=r"clip.wav.*'audio.channel' is 2.*from 0 to 1"):
        read_clip(str(path), RATE, channel=2)


def test_read_clip_empty_file(tmp_path):
    path = tmp_path / "empty.wav"
    path.write_bytes(b"")
    with pytest.raises(InputError, match=r"empty.wav: cannot be read as audio"):
        read_clip(str(path), RATE)


def test_read_clip_wav_without_samples(tmp_path):
    path = tmp_path / "no_samples.wav"
    soundfile.write(path, np.zeros(0), RATE)
    with pytest.raises(InputError, match=r"no_samples.wav"):
        read_clip(str(path), RATE)


def test_read_clip_not_audio(tmp_path):
    path = tmp_path / "notes.wav"
    path.write_text("These are meeting notes, saved with the wrong extension.\n" * 20)
    with pytest.raises(InputError, match=r"notes.wav: cannot be read as audio.*Replace or remove"):
        read_clip(str(path), RATE)


@pytest.mark.parametrize("subtype", ["PCM_16", "PCM_24", "FLOAT"])
def test_read_clip_truncated_wav(tmp_path, subtype):
    complete = tmp_path / "complete.wav"
    soundfile.write(complete, tone(), RATE, subtype=subtype)
    data = complete.read_bytes()
    truncated = tmp_path / "truncated.wav"
    truncated.write_bytes(data[: len(data) // 2])

    with pytest.raises(InputError, match=r"truncated.wav: the WAV file is truncated"):
        read_clip(str(truncated), RATE)
    assert len(read_clip(str(complete), RATE)) == RATE


def test_read_clip_truncated_header(tmp_path):
    complete = tmp_path / "complete.wav"
    soundfile.write(complete, tone(), RATE)
    truncated = tmp_path / "header_only.wav"
    truncated.write_bytes(complete.read_bytes()[:30])
    with pytest.raises(InputError, match="header_only.wav"):
        read_clip(str(truncated), RATE)


def test_read_clip_wav_with_trailing_chunk(tmp_path):
    # Bytes after the data chunk (a LIST chunk, say) are not a truncation.
    path = tmp_path / "clip.wav"
    soundfile.write(path, tone(), RATE)
    with open(path, "ab") as file:
        file.write(b"LIST\x04\x00\x00\x00INFO")
    assert len(read_clip(str(path), RATE)) == RATE


@pytest.mark.parametrize("subtype", ["FLOAT", "DOUBLE"])
@pytest.mark.parametrize("bad_value", [np.nan, np.inf, -np.inf])
def test_read_clip_non_finite_samples(tmp_path, subtype, bad_value):
    samples = tone()
    samples[100] = bad_value
    path = tmp_path / "broken.wav"
    soundfile.write(path, samples, RATE, subtype=subtype)
    with pytest.raises(InputError, match=r"broken.wav: the file contains NaN or infinite samples"):
        read_clip(str(path), RATE)


def test_silent_clip_gives_finite_features(tmp_path):
    path = tmp_path / "silent.wav"
    soundfile.write(path, np.zeros(RATE), RATE, subtype="PCM_16")
    frames = LogMel(FeatureSettings())(read_clip(str(path), RATE))
    assert np.all(np.isfinite(frames))
    assert frames.min() == pytest.approx(-100.0)


def test_read_clips_lists_every_bad_file(tmp_path):
    good = tmp_path / "good.wav"
    soundfile.write(good, tone(), RATE)
    empty = tmp_path / "empty.wav"
    empty.write_bytes(b"")
    text = tmp_path / "text.wav"
    text.write_text("not audio")

    reader = read_clips([str(empty), str(good), str(text)], RATE)
    with pytest.raises(InputError) as raised:
        list(reader)
    message = str(raised.value)
    assert message.startswith("2 unreadable clip(s)")
    assert "empty.wav" in message
    assert "text.wav" in message
    assert "good.wav" not in message


def test_read_clips_good_files():
    with tempfile.TemporaryDirectory() as folder:
        paths = [str(Path(folder) / f"{index}.wav") for index in range(3)]
        for path in paths:
            soundfile.write(path, tone(), RATE)
        assert [len(clip) for clip in read_clips(paths, RATE)] == [RATE] * 3


def test_clip_lengths_short_clips_listed_at_once():
    settings = FeatureSettings()
    minimum = settings.min_samples()
    assert minimum == 2048
    names = ["fan/train/a.wav", "fan/train/b.wav", "fan/train/c.wav"]
    check_clip_lengths(np.array([minimum, minimum + 1, 16000]), names, settings)
    with pytest.raises(InputError) as raised:
        check_clip_lengths(np.array([minimum - 1, 16000, 10]), names, settings)
    message = str(raised.value)
    assert "2 clip(s) are too short" in message
    assert "fan/train/a.wav: 2047 samples" in message
    assert "fan/train/c.wav: 10 samples" in message
    assert "b.wav" not in message
    assert "features.frames" in message


def test_shortest_clip_gives_one_window():
    settings = FeatureSettings()
    frames = LogMel(settings)(np.ones(settings.min_samples(), dtype=np.float32))
    assert len(frames) == settings.frames


def _wav_bytes(subtype):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.wav"
        soundfile.write(path, tone(seconds=0.01), RATE, subtype=subtype)
        return path.read_bytes()


WAV_HEADERS = [_wav_bytes(subtype)[:44] for subtype in ("PCM_16", "FLOAT", "PCM_U8")]
FLAC_HEADER = b"fLaC"


def _check_reader_on(data: bytes):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "clip.wav"
        path.write_bytes(data)
        try:
            samples = read_clip(str(path), RATE)
        except InputError as error:
            assert str(path) in str(error)
        else:
            assert samples.dtype == np.float32
            assert samples.ndim == 1
            assert np.all(np.isfinite(samples))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=2000))
def test_read_clip_random_bytes(data):
    _check_reader_on(data)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.sampled_from([*WAV_HEADERS, FLAC_HEADER]),
    st.binary(max_size=2000),
    st.lists(st.tuples(st.integers(0, 43), st.integers(0, 255)), max_size=4),
)
def test_read_clip_damaged_headers(header, body, changes):
    # Valid headers with bytes flipped reach far deeper into the decoders than
    # random bytes, which libsndfile rejects on the first four bytes.
    data = bytearray(header + body)
    for position, value in changes:
        if position < len(data):
            data[position] = value
    _check_reader_on(bytes(data))
