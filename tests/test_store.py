import numpy as np
import pytest

from firstshot import InputError
from firstshot.store import read_pooled, read_store, write_store


def _write(path, lengths, width=4, dtype=np.float32, start=0.0):
    arrays = [
        np.full((length, width), start + index, dtype=dtype) for index, length in enumerate(lengths)
    ]
    clips = [{"name": f"clip_{index}.wav"} for index in range(len(lengths))]
    write_store(path, iter(arrays), clips, {"kind": "logmel"}, chunk_rows=8)
    return arrays


def test_read_pooled_concatenates_stores(tmp_path):
    first = _write(tmp_path / "a.zarr", [3, 5])
    second = _write(tmp_path / "b.zarr", [7, 2, 4], start=10.0)
    data, offsets, attributes = read_pooled([tmp_path / "a.zarr", tmp_path / "b.zarr"])
    assert np.array_equal(data, np.concatenate(first + second))
    assert offsets.tolist() == [0, 3, 8, 15, 17, 21]
    assert [len(a["clips"]) for a in attributes] == [2, 3]
    assert attributes[1]["kind"] == "logmel"


def test_read_pooled_matches_read_store(tmp_path):
    _write(tmp_path / "a.zarr", [9, 20, 1])
    data, offsets, _ = read_pooled([tmp_path / "a.zarr"])
    store = read_store(tmp_path / "a.zarr")
    assert np.array_equal(data, store.data)
    assert np.array_equal(offsets, store.offsets)


def test_read_pooled_rejects_other_row_shape(tmp_path):
    _write(tmp_path / "a.zarr", [3], width=4)
    _write(tmp_path / "b.zarr", [3], width=6)
    with pytest.raises(InputError, match="b.zarr contains rows of shape"):
        read_pooled([tmp_path / "a.zarr", tmp_path / "b.zarr"])
