"""Zarr stores of variable-length clips: one array of concatenated rows plus offsets.

A store is a Zarr group with

* ``data``: the rows of every clip, concatenated along axis 0 (samples for
  audio, frames for log-mel spectrograms);
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
            )
        buffer.append(array)
        buffered_rows += len(array)
        offsets.append(offsets[-1] + len(array))
        if buffered_rows >= chunk_rows:
            data.append(np.concatenate(buffer))
            buffer, buffered_rows = [], 0
    if len(offsets) - 1 != len(clips):
        raise ValueError(f"{len(clips)} clips were listed but {len(offsets) - 1} arrays given")
    if data is None:
        raise ValueError(f"{partial}: a store needs at least one clip")
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


def pool_stores(stores: list[ClipStore]) -> tuple[np.ndarray, np.ndarray]:
    """Concatenate the rows of several stores; return the rows and the pooled offsets."""
    data = np.concatenate([store.data for store in stores])
    offsets = [np.zeros(1, dtype=np.int64)]
    shift = 0
    for store in stores:
        offsets.append(store.offsets[1:] + shift)
        shift += len(store.data)
    return data, np.concatenate(offsets)
