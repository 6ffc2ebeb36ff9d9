"""Write the score and decision files that the DCASE evaluator reads."""

from pathlib import Path

import numpy as np

from firstshot.atomic import partial_path


def write_rows(path: str | Path, names: list[str], values: list) -> None:
    """Write ``name,value`` rows with no header, sorted by name, atomically."""
    rows = sorted(zip(names, values, strict=True))
    with partial_path(path) as partial:
        partial.write_text("".join(f"{name},{value}\n" for name, value in rows))


def write_submission(
    score_path: str | Path,
    decision_path: str | Path,
    names: list[str],
    scores: np.ndarray,
    threshold: float,
) -> None:
    """Write the anomaly scores and the decisions ``score > threshold`` (1 = anomaly)."""
    write_rows(score_path, names, [repr(float(score)) for score in scores])
    write_rows(decision_path, names, [int(score > threshold) for score in scores])
