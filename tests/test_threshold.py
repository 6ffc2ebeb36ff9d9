import numpy as np
import pytest
from scipy import stats

from firstshot.threshold import fit_gamma_threshold


def test_gamma_fit_recovers_known_parameters():
    errors = stats.gamma.rvs(4.0, scale=2.5, size=20000, random_state=np.random.default_rng(1))
    fit = fit_gamma_threshold(errors, 0.9)
    assert fit["shape"] == pytest.approx(4.0, rel=0.05)
    assert fit["scale"] == pytest.approx(2.5, rel=0.05)
    assert fit["threshold"] == pytest.approx(stats.gamma.ppf(0.9, 4.0, scale=2.5), rel=0.03)
    assert np.mean(errors > fit["threshold"]) == pytest.approx(0.1, abs=0.01)


def test_gamma_fit_rejects_nonpositive_errors():
    with pytest.raises(ValueError, match="positive"):
        fit_gamma_threshold(np.array([1.0, 0.0, 2.0]), 0.9)
