"""Report figures drawn from small tables, including unlabelled and one-domain machines."""

import math

import numpy as np
import pandas as pd

from firstshot.evaluation import SCORED_METRICS
from firstshot.plots import (
    plot_losses,
    plot_roc,
    plot_score_histogram,
    plot_summary,
    save_figure,
)

PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
THRESHOLD = {"shape": 20.0, "scale": 0.5, "quantile": 0.9, "threshold": 12.9, "statistic": "clip"}


def clip_table(domains):
    rng = np.random.default_rng(0)
    is_anomaly = np.arange(len(domains)) % 2 == 1
    return pd.DataFrame(
        {
            "clip": [f"c{i}.wav" for i in range(len(domains))],
            "domain": domains,
            "is_anomaly": is_anomaly,
            "score": rng.gamma(20.0, 0.5, len(domains)) + 5 * is_anomaly,
        }
    )


def assert_png(path):
    assert path.read_bytes()[:8] == PNG_SIGNATURE
    assert not path.with_name(path.name + ".partial").exists()


def test_histogram_labelled_and_unlabelled(tmp_path):
    train_scores = np.random.default_rng(1).gamma(20.0, 0.5, 30)
    labelled = clip_table(["source", "target"] * 10)
    save_figure(plot_score_histogram("m", labelled, train_scores, THRESHOLD), tmp_path / "a.png")
    assert_png(tmp_path / "a.png")

    unlabelled = labelled[["clip", "score"]]
    save_figure(plot_score_histogram("m", unlabelled, train_scores, THRESHOLD), tmp_path / "b.png")
    assert_png(tmp_path / "b.png")


def test_roc_without_target_clips(tmp_path):
    figure = plot_roc("m", clip_table(["source"] * 16))
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert any(label.startswith("source normals") for label in labels)
    assert "target normals + all anomalies: undefined" in labels
    save_figure(figure, tmp_path / "roc.png")
    assert_png(tmp_path / "roc.png")


def test_losses_and_summary(tmp_path):
    figure = plot_losses("m", [3.0, 2.0, 1.5], [1.4, 1.2], "without_fan")
    labels = [text.get_text() for text in figure.axes[0].get_legend().get_texts()]
    assert labels[0] == "pretraining without fan"
    save_figure(figure, tmp_path / "losses.png")
    assert_png(tmp_path / "losses.png")

    summary = pd.DataFrame(
        {
            "mode": ["leave_one_out"] * 3,
            "machine": ["fan", "pump", "harmonic mean"],
            "AUC (source)": [0.9, 0.7, 0.79],
            "AUC (target)": [math.nan, math.nan, math.nan],
            "pAUC": [0.6, 0.5, 0.55],
            "official score": [math.nan, math.nan, 0.62],
        }
    )
    figure = plot_summary(summary, SCORED_METRICS)
    assert "official score 0.6200" in figure.axes[0].get_title()
    save_figure(figure, tmp_path / "summary.png")
    assert_png(tmp_path / "summary.png")
