"""Metrics of DCASE 2023-2025 Task 2, computed as the official evaluator computes them.

* AUC (source) and AUC (target): ROC AUC over the normal clips of that domain
  plus every anomalous clip of the machine, of both domains.
* pAUC: ``sklearn.metrics.roc_auc_score(..., max_fpr=0.1)`` over all test clips
  of the machine. sklearn returns the McClish-standardised value, so chance
  level is about 0.5. pAUC (source) and pAUC (target) use the clips of the
  domain AUCs.
* Precision, recall and F1 score per domain, from the 0/1 decisions of that
  domain's clips (its normal and its anomalous clips).
* Official score: the harmonic mean over the AUC (source), AUC (target) and
  pAUC values of every machine pooled together, each floored at ``EPSILON``.

A metric without both classes among its clips (a machine with no target-domain
normal clips has no AUC (target)) is undefined and returned as NaN. The
official score leaves such values out of the pool and returns how many it pooled.
"""

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd
from scipy import stats
from sklearn.metrics import roc_auc_score

from firstshot import InputError

MAX_FPR = 0.1
#: Floor of every pooled value, so a zero AUC gives a tiny official score
#: instead of a division by zero.
EPSILON = float(np.finfo(np.float64).eps)
DOMAINS = ("source", "target")
#: Metrics pooled into the official score.
SCORED_METRICS = ("AUC (source)", "AUC (target)", "pAUC")
#: Columns of the per-machine result file, in the order of the DCASE baseline's file.
METRICS = (
    "AUC (source)",
    "AUC (target)",
    "pAUC",
    "pAUC (source)",
    "pAUC (target)",
    "precision (source)",
    "precision (target)",
    "recall (source)",
    "recall (target)",
    "F1 score (source)",
    "F1 score (target)",
)
#: Labels of the two rows after the sections in a per-machine result table.
MEAN_ROWS = ("arithmetic mean", "harmonic mean")


@dataclass
class LabelledScores:
    """One machine's test clips: score, decision, domain and label, one row per clip.

    Columns: ``clip``, ``section``, ``domain`` (source or target), ``is_anomaly``
    (bool), ``score`` (float, higher is more anomalous) and ``decision`` (0 or 1).
    """

    table: pd.DataFrame


def auc(is_anomaly: np.ndarray, scores: np.ndarray, max_fpr: float | None = None) -> float:
    """ROC AUC as sklearn computes it, or NaN when the clips lack normal or anomalous ones."""
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    if is_anomaly.all() or not is_anomaly.any():
        return math.nan
    return float(roc_auc_score(is_anomaly, scores, max_fpr=max_fpr))


def domain_mask(domains: np.ndarray, is_anomaly: np.ndarray, domain: str) -> np.ndarray:
    """Select the clips of a domain AUC: that domain's normal clips and all anomalies."""
    return (np.asarray(domains) == domain) | np.asarray(is_anomaly, dtype=bool)


def precision_recall_f1(is_anomaly: np.ndarray, decisions: np.ndarray) -> tuple[float, ...]:
    """Return precision, recall and F1 score of decisions (1 = anomaly).

    A ratio whose denominator is zero (no clip decided anomalous, no anomalous
    clip) is 0, as sklearn's ``precision_score(..., zero_division=0)`` returns.
    With no clips at all every value is NaN.
    """
    truth = np.asarray(is_anomaly, dtype=bool)
    predicted = np.asarray(decisions).astype(bool)
    if truth.size == 0:
        return math.nan, math.nan, math.nan
    true_positives = int(np.sum(truth & predicted))
    precision = true_positives / max(int(predicted.sum()), 1)
    recall = true_positives / max(int(truth.sum()), 1)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall > 0 else 0.0
    return precision, recall, f1


def section_metrics(
    domains: np.ndarray, is_anomaly: np.ndarray, scores: np.ndarray, decisions: np.ndarray
) -> dict[str, float]:
    """Compute every metric of ``METRICS`` for the test clips of one section."""
    domains = np.asarray(domains)
    is_anomaly = np.asarray(is_anomaly, dtype=bool)
    scores = np.asarray(scores, dtype=np.float64)
    decisions = np.asarray(decisions)
    metrics = {"pAUC": auc(is_anomaly, scores, MAX_FPR)}
    for domain in DOMAINS:
        mask = domain_mask(domains, is_anomaly, domain)
        metrics[f"AUC ({domain})"] = auc(is_anomaly[mask], scores[mask])
        metrics[f"pAUC ({domain})"] = auc(is_anomaly[mask], scores[mask], MAX_FPR)
        in_domain = domains == domain
        precision, recall, f1 = precision_recall_f1(is_anomaly[in_domain], decisions[in_domain])
        metrics[f"precision ({domain})"] = precision
        metrics[f"recall ({domain})"] = recall
        metrics[f"F1 score ({domain})"] = f1
    return {name: metrics[name] for name in METRICS}


def harmonic_mean(values: Iterable[float]) -> float:
    """Harmonic mean of the defined values, each floored at ``EPSILON``; NaN if none is defined."""
    array = np.asarray(list(values), dtype=np.float64)
    array = array[~np.isnan(array)]
    if array.size == 0:
        return math.nan
    return float(stats.hmean(np.maximum(array, EPSILON)))


def arithmetic_mean(values: Iterable[float]) -> float:
    array = np.asarray(list(values), dtype=np.float64)
    array = array[~np.isnan(array)]
    return float(array.mean()) if array.size else math.nan


def official_score(results: pd.DataFrame) -> tuple[float, int]:
    """Return the official score of per-machine metrics and the number of values it pooled.

    ``results`` has one row per machine and the columns of ``SCORED_METRICS``.
    """
    pooled = results.loc[:, list(SCORED_METRICS)].to_numpy(dtype=np.float64).ravel()
    return harmonic_mean(pooled), int(np.count_nonzero(~np.isnan(pooled)))


def evaluate_machine(labelled: LabelledScores) -> pd.DataFrame:
    """Return the baseline's result table: one row per section, then both means.

    The first column is ``section``; the last two rows are the arithmetic and
    the harmonic mean of each metric over the sections.
    """
    rows = []
    for section, clips in labelled.table.groupby("section", sort=True):
        metrics = section_metrics(
            clips["domain"].to_numpy(),
            clips["is_anomaly"].to_numpy(),
            clips["score"].to_numpy(),
            clips["decision"].to_numpy(),
        )
        rows.append({"section": section, **metrics})
    table = pd.DataFrame(rows, columns=["section", *METRICS])
    arithmetic, harmonic = MEAN_ROWS
    means = [
        {"section": arithmetic, **{m: arithmetic_mean(table[m]) for m in METRICS}},
        {"section": harmonic, **{m: harmonic_mean(table[m]) for m in METRICS}},
    ]
    return pd.concat([table, pd.DataFrame(means)], ignore_index=True)


def read_clip_values(path: str | Path, column: str) -> pd.DataFrame:
    """Read a headerless ``<clip>,<value>`` file of the evaluator's formats."""
    try:
        table = pd.read_csv(path, header=None, names=["clip", column], dtype={"clip": str})
    except pd.errors.EmptyDataError:
        raise InputError(f"{path} is empty; it needs one '<clip>,<value>' row per clip.") from None
    if table[column].isna().any() or table["clip"].duplicated().any():
        raise InputError(
            f"{path}: expected one '<clip>,<number>' row per clip with no header, "
            "but found a missing value, a header row or a repeated clip."
        )
    return table


def labels_from_clips(clips: list[dict]) -> pd.DataFrame:
    """Labels and domains from the clip records of a feature store (parsed from file names)."""
    unlabelled = [clip["name"] for clip in clips if clip["label"] is None or clip["domain"] is None]
    if unlabelled:
        raise InputError(
            f"{len(unlabelled)} test clips carry no label or domain in their names "
            f"(e.g. {unlabelled[0]}); set 'eval_ground_truth' to the evaluator's "
            "ground truth folder."
        )
    return pd.DataFrame(
        {
            "clip": [clip["name"] for clip in clips],
            "section": [clip["section"] for clip in clips],
            "domain": [clip["domain"] for clip in clips],
            "is_anomaly": [clip["label"] == "anomaly" for clip in clips],
        }
    )


def labels_from_ground_truth(label_path: str | Path, domain_path: str | Path) -> pd.DataFrame:
    """Labels and domains from the evaluator's ground truth files (1 = anomaly, 1 = target)."""
    labels = read_clip_values(label_path, "label")
    domains = read_clip_values(domain_path, "is_target")
    for path, table, column in ((label_path, labels, "label"), (domain_path, domains, "is_target")):
        if not table[column].isin([0, 1]).all():
            raise InputError(f"{path}: the second column must be 0 or 1.")
    merged = labels.merge(domains, on="clip", how="outer", indicator=True)
    if (merged["_merge"] != "both").any():
        missing = merged.loc[merged["_merge"] != "both", "clip"].iloc[0]
        raise InputError(
            f"{label_path} and {domain_path} list different clips (e.g. {missing}); "
            "use the two files of the same machine from one ground truth release."
        )
    return pd.DataFrame(
        {
            "clip": merged["clip"],
            # The evaluator's files name section 00 in their file names only.
            "section": "00",
            "domain": np.where(merged["is_target"] == 1, "target", "source"),
            "is_anomaly": merged["label"] == 1,
        }
    )


def join_labels(
    labels: pd.DataFrame, score_path: str | Path, decision_path: str | Path
) -> LabelledScores:
    """Join labels with the score and decision files; every clip must be in all three."""
    scores = read_clip_values(score_path, "score")
    decisions = read_clip_values(decision_path, "decision")
    table = labels.merge(scores, on="clip", how="outer", indicator="in_scores")
    table = table.merge(decisions, on="clip", how="outer", indicator="in_decisions")
    mismatched = table[(table["in_scores"] != "both") | (table["in_decisions"] != "both")]
    if len(mismatched):
        raise InputError(
            f"{len(mismatched)} clips are not in all of the ground truth, {score_path} and "
            f"{decision_path} (e.g. {mismatched['clip'].iloc[0]}). Score every test clip, "
            "and take the ground truth of the same test set."
        )
    if not table["decision"].isin([0, 1]).all():
        raise InputError(f"{decision_path}: decisions must be 0 or 1.")
    table = table.drop(columns=["in_scores", "in_decisions"]).sort_values("clip")
    return LabelledScores(table.reset_index(drop=True))


def summarise(results: dict[str, pd.DataFrame], mode: str) -> pd.DataFrame:
    """Build the summary table: one row per machine, then the harmonic mean row.

    ``results`` maps each machine to its ``evaluate_machine`` table. A machine
    row contains its single section's values, or the harmonic mean over its sections.
    The last row contains the harmonic mean of each column over the machines and,
    in the column ``official score``, the official score.
    """
    rows = []
    for machine, table in results.items():
        sections = table[~table["section"].isin(MEAN_ROWS)]
        # A single section is taken as is: the harmonic mean row would floor a 0 at EPSILON.
        row = sections.iloc[0] if len(sections) == 1 else table.iloc[-1]
        rows.append({"mode": mode, "machine": machine, **row[list(METRICS)].to_dict()})
    summary = pd.DataFrame(rows, columns=["mode", "machine", *METRICS])
    score, _ = official_score(summary)
    total = {"mode": mode, "machine": "harmonic mean"}
    total.update({metric: harmonic_mean(summary[metric]) for metric in METRICS})
    total["official score"] = score
    return pd.concat([summary, pd.DataFrame([total])], ignore_index=True)


def write_table(table: pd.DataFrame, path: str | Path) -> None:
    """Write a CSV with a header, undefined values as empty cells, atomically."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    table.to_csv(partial, index=False, na_rep="")
    partial.replace(path)


def write_html_table(summary: pd.DataFrame, path: str | Path) -> None:
    """Write the summary as a small standalone HTML table for the report, atomically."""
    path = Path(path)
    partial = path.with_name(path.name + ".partial")
    mode = summary["mode"].iloc[-1]
    score = summary["official score"].iloc[-1]
    # The mode and the official score go into the heading, so the table fits a page.
    table = summary.drop(columns=["mode", "official score"]).to_html(
        index=False, na_rep="–", float_format=lambda value: f"{value:.4f}"
    )
    style = (
        "body{font-family:sans-serif;font-size:14px}"
        "table{border-collapse:collapse}"
        "th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}"
        "tr:last-child{font-weight:bold;background:#f3f3f3}"
    )
    heading = f"<h3>{mode} mode: official score {score:.4f}</h3>"
    note = "<p>– : undefined (the clips lack normal or anomalous ones).</p>"
    partial.write_text(
        "<!DOCTYPE html><html><head><meta charset='utf-8'>"
        f"<style>{style}</style></head><body>{heading}{table}{note}</body></html>\n"
    )
    partial.replace(path)
