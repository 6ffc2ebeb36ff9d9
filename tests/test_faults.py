"""Writes killed or failed part way leave no output that a later run would trust.

The kill tests run each writer in a child process whose file size limit
(RLIMIT_FSIZE) is below the size of the file being written. With SIGXFSZ at
its default action, the kernel kills the child in the middle of a real write,
as when a node dies or a job exceeds its disk quota.
"""

import signal
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import soundfile
import torch
from conftest import REPO

from firstshot import InputError
from firstshot.audio import read_clips
from firstshot.features import FeatureSettings
from firstshot.model import AutoEncoder
from firstshot.store import read_store, write_store
from firstshot.submission import write_rows
from firstshot.training import TrainingError, TrainSettings, load_model, save_model, train

SIZE_LIMIT = 64 * 1024


def run_killed_writer(code: str):
    """Run ``code`` in a child whose writes above SIZE_LIMIT bytes kill it with SIGXFSZ."""
    prologue = f"""
        import resource, signal, sys
        sys.path.insert(0, {str(REPO / "workflow" / "scripts")!r})
        import numpy as np
        # CPython ignores SIGXFSZ; the default action is to kill the process.
        signal.signal(signal.SIGXFSZ, signal.SIG_DFL)
        def limit_file_size():
            resource.setrlimit(resource.RLIMIT_FSIZE, ({SIZE_LIMIT}, {SIZE_LIMIT}))
    """
    script = textwrap.dedent(prologue) + textwrap.dedent(code)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == -signal.SIGXFSZ, result.stderr


def clip_arrays(count=4, rows=4096):
    rng = np.random.default_rng(0)
    return [rng.normal(size=(rows, 128)).astype(np.float32) for _ in range(count)]


def clip_records(count=4):
    return [{"name": f"section_00_{index:04d}.wav"} for index in range(count)]


def test_store_killed_mid_write_leaves_no_store(tmp_path):
    path = tmp_path / "train.zarr"
    run_killed_writer(f"""
        from firstshot.store import write_store
        rng = np.random.default_rng(0)
        arrays = [rng.normal(size=(4096, 128)).astype(np.float32) for _ in range(4)]
        clips = [{{"name": f"clip_{{i}}.wav"}} for i in range(4)]
        limit_file_size()
        write_store({str(path)!r}, arrays, clips, {{"kind": "logmel"}}, chunk_rows=1024)
    """)
    assert not path.exists()
    assert (tmp_path / "train.zarr.partial").is_dir()

    write_store(path, clip_arrays(), clip_records(), {"kind": "logmel"}, chunk_rows=1024)
    assert not (tmp_path / "train.zarr.partial").exists()
    store = read_store(path)
    assert store.names == [clip["name"] for clip in clip_records()]
    assert np.array_equal(store.clip(3), clip_arrays()[3])


def test_store_killed_overwrite_keeps_old_store(tmp_path):
    path = tmp_path / "train.zarr"
    write_store(path, clip_arrays(count=2), clip_records(count=2), {"kind": "old"}, 1024)
    run_killed_writer(f"""
        from firstshot.store import write_store
        # Random values, because Zarr's compressor would shrink constant chunks below the limit.
        arrays = [np.random.default_rng(1).normal(size=(4096, 128)).astype(np.float32)] * 4
        limit_file_size()
        write_store({str(path)!r}, arrays, [{{"name": "new"}}] * 4, {{"kind": "new"}}, 1024)
    """)
    store = read_store(path)
    assert store.attributes["kind"] == "old"
    assert len(store.clips) == 2


def test_store_with_bad_clip_is_not_written(tmp_path):
    good = tmp_path / "good.wav"
    soundfile.write(good, np.zeros(16000), 16000)
    bad = tmp_path / "bad.wav"
    bad.write_bytes(b"RIFF")
    path = tmp_path / "audio.zarr"

    with pytest.raises(InputError, match="1 unreadable clip"):
        write_store(path, read_clips([str(good), str(bad)], 16000), clip_records(2), {}, 1024)
    assert not path.exists()
    assert not (tmp_path / "audio.zarr.partial").exists()


def test_model_killed_mid_save_leaves_no_model(tmp_path):
    path = tmp_path / "model.pt"
    run_killed_writer(f"""
        from firstshot.model import AutoEncoder
        from firstshot.training import save_model
        model = AutoEncoder()
        limit_file_size()
        save_model({str(path)!r}, model, stage="pretrain")
    """)
    assert not path.exists()
    assert (tmp_path / "model.pt.partial").exists()

    save_model(path, AutoEncoder(), stage="pretrain")
    assert not (tmp_path / "model.pt.partial").exists()
    _, record = load_model(path)
    assert record["stage"] == "pretrain"


def test_model_killed_overwrite_keeps_old_model(tmp_path):
    path = tmp_path / "model.pt"
    save_model(path, AutoEncoder(), stage="old")
    run_killed_writer(f"""
        from firstshot.model import AutoEncoder
        from firstshot.training import save_model
        limit_file_size()
        save_model({str(path)!r}, AutoEncoder(), stage="new")
    """)
    assert load_model(path)[1]["stage"] == "old"


class Unpicklable:
    def __reduce__(self):
        raise TypeError("this object cannot be saved")


def test_model_save_error_leaves_no_file(tmp_path):
    path = tmp_path / "model.pt"
    with pytest.raises(TypeError, match="cannot be saved"):
        save_model(path, AutoEncoder(), stage="pretrain", extra=Unpicklable())
    assert list(tmp_path.iterdir()) == []


def test_csv_killed_mid_write_leaves_no_csv(tmp_path):
    path = tmp_path / "anomaly_score_fan_section_00_test.csv"
    run_killed_writer(f"""
        from firstshot.submission import write_rows
        names = [f"section_00_{{index:06d}}.wav" for index in range(20000)]
        limit_file_size()
        write_rows({str(path)!r}, names, [0.5] * len(names))
    """)
    assert not path.exists()
    assert path.with_name(path.name + ".partial").stat().st_size == SIZE_LIMIT

    write_rows(path, ["section_00_0000.wav"], [0.5])
    assert path.read_text() == "section_00_0000.wav,0.5\n"
    assert not path.with_name(path.name + ".partial").exists()


def test_csv_killed_overwrite_keeps_old_csv(tmp_path):
    path = tmp_path / "decision_result_fan_section_00_test.csv"
    write_rows(path, ["section_00_0000.wav"], [1])
    run_killed_writer(f"""
        from firstshot.submission import write_rows
        names = [f"section_00_{{index:06d}}.wav" for index in range(20000)]
        limit_file_size()
        write_rows({str(path)!r}, names, [0] * len(names))
    """)
    assert path.read_text() == "section_00_0000.wav,1\n"


# Once a huge input makes a loss infinite, the updated weights give NaN losses,
# so the epoch's mean loss may be inf or NaN.
@pytest.mark.parametrize(("bad_value", "loss_text"), [(1e20, "(inf|nan)"), (np.nan, "nan")])
def test_training_non_finite_loss_raises(bad_value, loss_text):
    rng = np.random.default_rng(0)
    frames = rng.normal(size=(200, 128)).astype(np.float32)
    frames[50:60] = bad_value
    offsets = np.array([0, 100, 200])
    model = AutoEncoder()
    with pytest.raises(TrainingError, match=rf"loss became {loss_text} in epoch 1"):
        train(
            model, frames, offsets, FeatureSettings(), TrainSettings(epochs=2), torch.device("cpu")
        )
