"""The decision threshold: a quantile of a Gamma distribution fitted to normal scores."""

import numpy as np
from scipy import stats


def fit_gamma_threshold(errors: np.ndarray, quantile: float) -> dict:
    """Fit Gamma(shape, loc=0, scale) by maximum likelihood and return it with its quantile.

    ``errors`` are the reconstruction errors of normal training data, either
    per clip (the same statistic that test clips are compared with) or per
    window.
    """
    errors = np.asarray(errors, dtype=np.float64)
    if errors.size < 2 or not np.all(np.isfinite(errors)) or np.any(errors <= 0):
        raise ValueError(
            f"a Gamma fit needs at least 2 finite positive errors, got {errors.size} "
            f"with minimum {errors.min() if errors.size else 'n/a'}"
        )
    shape, _, scale = stats.gamma.fit(errors, floc=0)
    return {
        "shape": float(shape),
        "scale": float(scale),
        "quantile": float(quantile),
        "threshold": float(stats.gamma.ppf(quantile, shape, loc=0, scale=scale)),
        "n_errors": int(errors.size),
    }
