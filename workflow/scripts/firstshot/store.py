"""Zarr stores of variable-length clips: one array of concatenated rows plus offsets.

A store is a Zarr group with

* ``data``: the rows of every clip, concatenated along axis 0 (frames for
  log-mel spectrograms);
* ``offsets``: int64, length ``n_clips + 1``; clip ``i`` is
  ``data[offsets[i]:offsets[i + 1]]``;
* attribute ``clips``: one dict per clip (name, section, domain, label,
  attributes) and further attributes that describe how the rows were made.

Writers build the store under a temporary name and rename it at the end, so a
killed job never leaves a store that looks complete.
"""

import shutil
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import zarr

from firstshot import InputError

#: Rows per chunk along axis 0: about 4 MiB of audio or of 128-band frames.
AUDIO_CHUNK_ROWS = 1 << 20
FRAME_CHUNK_ROWS = 1 << 13


@dataclass
class ClipStore:
    """A store read into memory."""

    data: np.ndarray
    offsets: np.ndarray
    clips: list[dict]
    attributes: dict

    @property
    def names(self) -> list[str]:
        return [clip["name"] for clip in self.clips]

    def clip(self, index: int) -> np.ndarray:
        return self.data[self.offsets[index] : self.offsets[index + 1]]

    def lengths(self) -> np.ndarray:
        return np.diff(self.offsets)


def write_store(
    path: str | Path,
    arrays: Iterable[np.ndarray],
    clips: list[dict],
    attributes: dict,
    chunk_rows: int,
) -> None:
    """Write the clip ``arrays`` (in the order of ``clips``) as one store at ``path``.

    ``arrays`` may be a generator, so at most one buffer of about ``chunk_rows``
    rows is held in memory besides the arrays themselves.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    # A store left under the temporary name by a killed job is never read; it
    # is only replaced here.
    shutil.rmtree(partial, ignore_errors=True)
    try:
        _write_group(partial, arrays, clips, attributes, chunk_rows)
    except BaseException:
        shutil.rmtree(partial, ignore_errors=True)
        raise

    if path.exists():
        shutil.rmtree(path)
    partial.rename(path)


def _write_group(
    partial: Path,
    arrays: Iterable[np.ndarray],
    clips: list[dict],
    attributes: dict,
    chunk_rows: int,
) -> None:
    group = zarr.open_group(partial, mode="w")

    offsets = [0]
    data = None
    buffer: list[np.ndarray] = []
    buffered_rows = 0
    for array in arrays:
        if data is None:
            data = group.create_array(
                "data",
                shape=(0, *array.shape[1:]),
                dtype=array.dtype,
                chunks=(chunk_rows, *array.shape[1:]),
                # Uncompressed: Zarr's default Zstandard shrinks log-mel frames
                # by only 7 % (audio, which is noise-like, by less) but took
                # about half the time of the feature steps (zarr 3.1).
                compressors=None,
            )
        buffer.append(array)
        buffered_rows += len(array)
        offsets.append(offsets[-1] + len(array))
        if buffered_rows >= chunk_rows:
            # Append whole chunks only and keep the rest for the next append:
            # an append that ends inside a chunk makes the next one read,
            # decompress and rewrite that chunk.
            rows = np.concatenate(buffer)
            whole = len(rows) - len(rows) % chunk_rows
            data.append(rows[:whole])
            buffer = [rows[whole:]]
            buffered_rows = len(rows) - whole
    if len(offsets) - 1 != len(clips):
        raise ValueError(f"{len(clips)} clips were listed but {len(offsets) - 1} arrays given")
    if data is None:
        # A store of no clips, e.g. audio when every clip's frames are cached.
        data = group.create_array("data", shape=(0,), dtype=np.float32, chunks=(chunk_rows,))
    if buffer:
        data.append(np.concatenate(buffer))

    group.create_array("offsets", data=np.asarray(offsets, dtype=np.int64))
    group.attrs.update({**attributes, "clips": clips})


def read_store(path: str | Path) -> ClipStore:
    """Read a whole store into memory."""
    group = zarr.open_group(path, mode="r")
    attributes = dict(group.attrs)
    clips = attributes.pop("clips")
    return ClipStore(
        data=group["data"][:],
        offsets=group["offsets"][:],
        clips=clips,
        attributes=attributes,
    )


def read_attributes(path: str | Path) -> dict:
    """Read a store's attributes without its data."""
    return dict(zarr.open_group(path, mode="r").attrs)


def read_pooled(paths: list[str | Path]) -> tuple[np.ndarray, np.ndarray, list[dict]]:
    """Read the rows of several stores into one array, store after store.

    Return the rows, the pooled offsets and each store's attributes (with
    ``clips``). The rows are copied into one array allocated up front, so the
    peak memory is the pooled rows plus one store, not twice the pooled rows
    as with concatenating stores read whole.
    """
    groups = [zarr.open_group(path, mode="r") for path in paths]
    arrays = [group["data"] for group in groups]
    for path, array in zip(paths, arrays, strict=True):
        if (array.shape[1:], array.dtype) != (arrays[0].shape[1:], arrays[0].dtype):
            raise InputError(
                f"{path} contains rows of shape {array.shape[1:]} and type {array.dtype}, but "
                f"{paths[0]} holds {arrays[0].shape[1:]} and {arrays[0].dtype}. Recompute "
                "both with the same feature settings."
            )
    total = sum(array.shape[0] for array in arrays)
    data = np.empty((total, *arrays[0].shape[1:]), dtype=arrays[0].dtype)
    offsets = [np.zeros(1, dtype=np.int64)]
    shift = 0
    for group, array in zip(groups, arrays, strict=True):
        data[shift : shift + array.shape[0]] = array[:]
        offsets.append(group["offsets"][1:] + shift)
        shift += array.shape[0]
    return data, np.concatenate(offsets), [dict(group.attrs) for group in groups]
