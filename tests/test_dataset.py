"""Checks of a DCASE-layout data folder at parse time, on real folders and files."""

import numpy as np
import pytest
import soundfile

from firstshot import InputError
from firstshot.dataset import find_machines, list_clips


def write_clip(path, seconds=0.5):
    path.parent.mkdir(parents=True, exist_ok=True)
    soundfile.write(path, np.zeros(int(16000 * seconds)), 16000, subtype="PCM_16")


def make_machine(root, machine, train=("section_00_source_train_normal_0000.wav",), test=None):
    test = test if test is not None else ("section_00_0000.wav",)
    for name in train:
        write_clip(root / machine / "train" / name)
    for name in test:
        write_clip(root / machine / "test" / name)


def test_find_machines_missing_root(tmp_path):
    with pytest.raises(
        InputError, match=r"missing_root' does not exist.*'dev_root' or 'eval_root'"
    ):
        find_machines(tmp_path / "missing_root")


def test_find_machines_root_without_machines(tmp_path):
    (tmp_path / "notes.txt").write_text("no machine folders here")
    with pytest.raises(InputError, match="contains no machine folders"):
        find_machines(tmp_path)


def test_list_clips_reports_every_problem_at_once(tmp_path):
    make_machine(tmp_path, "good")
    (tmp_path / "no_train" / "test").mkdir(parents=True)
    write_clip(tmp_path / "no_train" / "test" / "section_00_0000.wav")
    make_machine(tmp_path, "empty_test", test=())
    (tmp_path / "empty_test" / "test").mkdir()
    make_machine(tmp_path, "bad_names", train=("recording one.wav", "section_00_train_0001.wav"))

    with pytest.raises(InputError) as raised:
        list_clips(tmp_path, find_machines(tmp_path))
    message = str(raised.value)
    assert message.startswith("4 problem(s)")
    assert f"{tmp_path / 'no_train' / 'train'}: missing folder" in message
    assert f"{tmp_path / 'empty_test' / 'test'}: no .wav or .flac clips" in message
    assert "recording one.wav: the file name does not follow a DCASE pattern" in message
    assert "section_00_train_0001.wav: the file name does not follow" in message
    assert "good" not in message


def test_list_clips_machine_without_clips(tmp_path):
    (tmp_path / "idle" / "train").mkdir(parents=True)
    (tmp_path / "idle" / "test").mkdir(parents=True)
    (tmp_path / "idle" / "train" / "README.txt").write_text("files other than clips are ignored")
    with pytest.raises(InputError) as raised:
        list_clips(tmp_path, ["idle"])
    assert str(raised.value).count("no .wav or .flac clips") == 2


def test_list_clips_same_names_in_two_machines(tmp_path):
    # DCASE reuses clip names in every machine; each machine keeps its own files.
    make_machine(tmp_path, "fan")
    make_machine(tmp_path, "pump")
    clips = list_clips(tmp_path, ["fan", "pump"])
    assert clips["fan"]["test"] == [str(tmp_path / "fan/test/section_00_0000.wav")]
    assert clips["pump"]["test"] == [str(tmp_path / "pump/test/section_00_0000.wav")]


def test_list_clips_spaces_and_non_ascii(tmp_path):
    root = tmp_path / "Messungen Halle 3 (Lüfter)"
    make_machine(root, "fan ø2", train=("section_00_source_train_normal_0000_ort_Köln.wav",))
    clips = list_clips(root, find_machines(root))
    assert clips["fan ø2"]["train"] == [
        str(root / "fan ø2/train/section_00_source_train_normal_0000_ort_Köln.wav")
    ]
