"""Figures of the HTML report: score histograms, ROC curves, losses and the summary."""

from pathlib import Path

import matplotlib

matplotlib.use("Agg")

import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402
from matplotlib.figure import Figure  # noqa: E402
from matplotlib.ticker import FuncFormatter, MaxNLocator  # noqa: E402
from scipy import stats  # noqa: E402
from sklearn.metrics import roc_curve  # noqa: E402

from firstshot.evaluation import DOMAINS, MAX_FPR, auc, domain_mask  # noqa: E402

NORMAL_COLOUR = "tab:blue"
ANOMALY_COLOUR = "tab:red"
TRAIN_COLOUR = "tab:gray"


def save_figure(figure: Figure, path: str | Path) -> None:
    """Save a PNG atomically and release the figure."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    figure.savefig(partial, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    partial.replace(path)


def plot_score_histogram(
    title: str, test: pd.DataFrame, train_scores: np.ndarray, threshold: dict
) -> Figure:
    """Histogram of test scores (normal and anomalous apart where ``test`` has
    ``is_anomaly``), the training scores, the fitted Gamma density and the threshold."""
    figure, axes = plt.subplots(figsize=(7, 4))
    scores = test["score"].to_numpy(dtype=np.float64)
    values = np.concatenate([scores, train_scores, [threshold["threshold"]]])
    # Scores are positive errors with a long tail; logarithmic bins keep the bulk readable.
    bins = np.geomspace(values.min(), values.max(), 40)

    axes.hist(
        train_scores,
        bins=bins,
        density=True,
        color=TRAIN_COLOUR,
        alpha=0.35,
        label=f"training clips ({len(train_scores)})",
    )
    if "is_anomaly" in test:
        is_anomaly = test["is_anomaly"].to_numpy(dtype=bool)
        for mask, colour, name in (
            (~is_anomaly, NORMAL_COLOUR, "normal test clips"),
            (is_anomaly, ANOMALY_COLOUR, "anomalous test clips"),
        ):
            if mask.any():
                axes.hist(
                    scores[mask],
                    bins=bins,
                    density=True,
                    histtype="step",
                    linewidth=2,
                    color=colour,
                    label=f"{name} ({mask.sum()})",
                )
    else:
        axes.hist(
            scores,
            bins=bins,
            density=True,
            histtype="step",
            linewidth=2,
            color="black",
            label=f"test clips, unlabelled ({len(scores)})",
        )

    grid = np.geomspace(bins[0], bins[-1], 400)
    density = stats.gamma.pdf(grid, threshold["shape"], loc=0, scale=threshold["scale"])
    statistic = threshold.get("statistic", "clip")
    axes.plot(grid, density, color="black", linestyle="--", label=f"Gamma fit ({statistic} errors)")
    axes.axvline(
        threshold["threshold"],
        color="darkorange",
        linewidth=2,
        label=f"threshold: {threshold['quantile']:g} quantile = {threshold['threshold']:.4g}",
    )
    axes.set(
        xlabel="anomaly score (mean squared error, log scale)",
        ylabel="density",
        xscale="log",
        title=title,
    )
    # Plain numbers instead of powers of ten on the logarithmic axis.
    plain = FuncFormatter(lambda value, _: f"{value:g}")
    axes.xaxis.set_major_formatter(plain)
    axes.xaxis.set_minor_formatter(plain)
    axes.legend(fontsize="small")
    return figure


def plot_roc(title: str, clips: pd.DataFrame) -> Figure:
    """ROC curves over all clips and per domain, with the pAUC region FPR <= 0.1 shaded."""
    figure, axes = plt.subplots(figsize=(5.5, 5))
    is_anomaly = clips["is_anomaly"].to_numpy(dtype=bool)
    scores = clips["score"].to_numpy(dtype=np.float64)
    domains = clips["domain"].to_numpy()

    axes.axvspan(0, MAX_FPR, color="gold", alpha=0.25, label=f"pAUC region (FPR ≤ {MAX_FPR:g})")
    curves = [("all clips", np.ones(len(clips), dtype=bool), "black")]
    curves += [
        (f"{domain} normals + all anomalies", domain_mask(domains, is_anomaly, domain), colour)
        for domain, colour in zip(DOMAINS, ("tab:green", "tab:purple"), strict=True)
    ]
    # Drawn last and dashed, the curve over all clips stays visible where a domain's
    # curve is the same (a machine with one domain only).
    for name, mask, colour in reversed(curves):
        value = auc(is_anomaly[mask], scores[mask])
        if np.isnan(value):
            axes.plot([], [], color=colour, label=f"{name}: undefined")
            continue
        false_positive, true_positive, _ = roc_curve(is_anomaly[mask], scores[mask])
        style = "--" if name == "all clips" else "-"
        axes.plot(
            false_positive,
            true_positive,
            color=colour,
            linestyle=style,
            label=f"{name}: AUC {value:.3f}",
        )
    axes.plot([0, 1], [0, 1], color=TRAIN_COLOUR, linestyle=":", label="chance")

    partial_auc = auc(is_anomaly, scores, MAX_FPR)
    axes.set(
        xlabel="false positive rate",
        ylabel="true positive rate",
        xlim=(0, 1),
        ylim=(0, 1.01),
        title=f"{title}\npAUC (all clips, max FPR {MAX_FPR:g}): {partial_auc:.3f}",
    )
    axes.set_aspect("equal")
    axes.legend(fontsize="small", loc="lower right")
    return figure


def plot_losses(
    title: str, pretrain: list[float], finetune: list[float], pretrain_set: str
) -> Figure:
    """Training loss per epoch: pretraining, then fine-tuning on the machine's clips."""
    figure, axes = plt.subplots(figsize=(7, 4))
    pretrain_epochs = np.arange(1, len(pretrain) + 1)
    finetune_epochs = np.arange(len(pretrain) + 1, len(pretrain) + len(finetune) + 1)
    pretrain_label = (
        "pretraining on all development machines"
        if pretrain_set == "all"
        else f"pretraining {pretrain_set.replace('_', ' ', 1)}"
    )
    axes.plot(pretrain_epochs, pretrain, marker="o", label=pretrain_label)
    axes.plot(finetune_epochs, finetune, marker="o", label="fine-tuning (this machine)")
    axes.axvline(len(pretrain) + 0.5, color=TRAIN_COLOUR, linestyle=":")
    axes.set(xlabel="epoch", ylabel="mean training loss (MSE)", yscale="log", title=title)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.legend(fontsize="small")
    return figure


def plot_summary(summary: pd.DataFrame, metrics: tuple[str, ...]) -> Figure:
    """Grouped bars of ``metrics`` per machine; the title gives the mode and official score."""
    machines = summary.iloc[:-1]
    total = summary.iloc[-1]
    figure, axes = plt.subplots(figsize=(max(6, 1.2 * len(machines) + 2), 4.5))
    positions = np.arange(len(machines))
    width = 0.8 / len(metrics)
    for index, metric in enumerate(metrics):
        values = machines[metric].to_numpy(dtype=np.float64)
        axes.bar(positions + (index - (len(metrics) - 1) / 2) * width, values, width, label=metric)
    axes.axhline(0.5, color=TRAIN_COLOUR, linestyle=":", label="chance")
    axes.set_xticks(positions, machines["machine"], rotation=30, ha="right")
    axes.set(
        ylim=(0, 1),
        ylabel="value",
        title=f"{total['mode']} mode: official score {total['official score']:.4f}",
    )
    axes.legend(
        fontsize="small", ncols=len(metrics) + 1, loc="upper center", bbox_to_anchor=(0.5, -0.25)
    )
    return figure
