"""Parse DCASE Task 2 clip file names.

Supported patterns (section, domain and split are always recovered where the
name carries them):

* 2023-2025: ``section_00_source_train_normal_0000_<k1>_<v1>[_<k2>_<v2>...].wav``,
  with ``noAttribute`` in place of the pairs when attributes are hidden;
* 2021-2022: ``section_00_target_test_anomaly_0012.wav``;
* anonymised evaluation test clips: ``section_00_0042.wav``;
* 2020: ``normal_id_00_00000000.wav`` and ``anomaly_id_02_00000012.wav``.
"""

import re
from dataclasses import dataclass, field
from pathlib import PurePath

from firstshot import InputError

_LABELLED = re.compile(
    r"^section_(?P<section>\d+)_(?P<domain>source|target)_(?P<split>train|test)_"
    r"(?P<label>normal|anomaly)_(?P<index>\d+)(?:_(?P<attributes>.+))?$"
)
_ANONYMISED = re.compile(r"^section_(?P<section>\d+)_(?P<index>\d+)$")
_DCASE2020 = re.compile(r"^(?P<label>normal|anomaly)_id_(?P<section>\d+)_(?P<index>\d+)$")


@dataclass(frozen=True)
class ClipName:
    """Fields parsed from a clip's file name, ``None`` where the name lacks them."""

    name: str
    section: str
    domain: str | None = None
    split: str | None = None
    label: str | None = None
    attributes: dict[str, str] = field(default_factory=dict)

    @property
    def is_anomaly(self) -> bool | None:
        return None if self.label is None else self.label == "anomaly"


def parse_attributes(text: str, file_name: str) -> dict[str, str]:
    """Split ``k1_v1_k2_v2`` into pairs; values may hold ``-`` and ``.`` but not ``_``."""
    if text == "noAttribute":
        return {}
    parts = text.split("_")
    if len(parts) % 2:
        raise InputError(
            f"{file_name}: the attribute part '{text}' is not a list of key_value pairs. "
            "Rename the file to the DCASE pattern or drop the attribute part."
        )
    return dict(zip(parts[::2], parts[1::2], strict=True))


def parse_clip_name(path: str | PurePath) -> ClipName:
    """Parse a clip path or basename; raise InputError for an unknown pattern."""
    file_name = PurePath(path).name
    stem, suffix = PurePath(file_name).stem, PurePath(file_name).suffix
    if suffix.lower() not in {".wav", ".flac"}:
        raise InputError(f"{file_name}: not a .wav or .flac file.")

    if match := _LABELLED.match(stem):
        attributes = match["attributes"]
        return ClipName(
            name=file_name,
            section=match["section"],
            domain=match["domain"],
            split=match["split"],
            label=match["label"],
            attributes=parse_attributes(attributes, file_name) if attributes else {},
        )
    if match := _ANONYMISED.match(stem):
        return ClipName(name=file_name, section=match["section"])
    if match := _DCASE2020.match(stem):
        return ClipName(
            name=file_name, section=match["section"], domain="source", label=match["label"]
        )
    raise InputError(
        f"{file_name}: the file name does not follow a DCASE pattern such as "
        "'section_00_source_train_normal_0000.wav' or 'section_00_0000.wav'. "
        "Rename the file, or move it out of the machine folder."
    )
