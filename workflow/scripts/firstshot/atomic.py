"""Write files under a temporary name and rename them once complete."""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path


@contextmanager
def partial_path(path: str | Path) -> Iterator[Path]:
    """Yield ``<path>.partial`` to write to; on success rename it to ``path``, else delete it.

    ``os.replace`` is atomic on POSIX file systems, so ``path`` is either the
    old file or the complete new one. A process killed while writing leaves
    only the ``.partial`` file, which no reader opens and the next write replaces.
    """
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    try:
        yield partial
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    os.replace(partial, path)
