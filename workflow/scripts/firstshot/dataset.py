"""Find machines and clips in a DCASE-layout folder and check them before any job runs."""

import os
from pathlib import Path

from firstshot import InputError
from firstshot.names import parse_clip_name

SPLITS = ("train", "test")
AUDIO_SUFFIXES = (".wav", ".flac")


def find_machines(root: str | Path) -> list[str]:
    """List the machine folders of a data root, sorted."""
    root = Path(root)
    if not root.is_dir():
        raise InputError(
            f"The data folder '{root}' does not exist. Set 'dev_root' or 'eval_root' to a "
            "folder with one sub-folder per machine, each holding train/ and test/."
        )
    machines = sorted(entry.name for entry in root.iterdir() if entry.is_dir())
    if not machines:
        raise InputError(f"The data folder '{root}' contains no machine folders. Check the path.")
    return machines


def list_clips(root: str | Path, machines: list[str]) -> dict[str, dict[str, list[str]]]:
    """Return ``{machine: {split: [clip path, ...]}}`` for every machine under ``root``.

    Every problem found is collected and raised as one InputError, so a user
    can fix all bad files in one pass.
    """
    root = Path(root)
    problems: list[str] = []
    found: dict[str, dict[str, list[str]]] = {}
    for machine in machines:
        found[machine] = {}
        for split in SPLITS:
            folder = root / machine / split
            if not folder.is_dir():
                problems.append(f"{folder}: missing folder; every machine needs {split}/")
                continue
            # os.scandir distinguishes files from folders without a stat call per
            # entry, which matters at parse time with thousands of clips.
            with os.scandir(folder) as entries:
                paths = sorted(
                    entry.path
                    for entry in entries
                    if entry.is_file() and entry.name.lower().endswith(AUDIO_SUFFIXES)
                )
            if not paths:
                problems.append(f"{folder}: no .wav or .flac clips")
            for path in paths:
                try:
                    parse_clip_name(path)
                except InputError as error:
                    problems.append(str(error))
            found[machine][split] = paths
    if problems:
        raise InputError(
            f"{len(problems)} problem(s) in the data under '{root}':\n  " + "\n  ".join(problems)
        )
    return found
