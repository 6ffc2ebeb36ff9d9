"""DCASE metrics against hand-computed cases, and evaluation of small fixed CSV files."""

import math

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import f1_score, precision_score, recall_score

from firstshot import InputError
from firstshot.evaluation import (
    EPSILON,
    METRICS,
    LabelledScores,
    auc,
    evaluate_machine,
    harmonic_mean,
    join_labels,
    labels_from_clips,
    labels_from_ground_truth,
    official_score,
    precision_recall_f1,
    section_metrics,
    summarise,
    write_table,
)

# Ten normal clips scored 0..9 (0-4 source, 5-9 target) and two anomalies:
# a source one scored 9, tied with the highest target normal, and a target one
# scored 9.5. Threshold decisions are score > 3.5.
DOMAINS = np.array(["source"] * 5 + ["target"] * 5 + ["source", "target"])
IS_ANOMALY = np.array([False] * 10 + [True, True])
SCORES = np.array([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 9, 9.5], dtype=float)
DECISIONS = (SCORES > 3.5).astype(int)


def test_auc_perfect_and_reversed():
    labels = np.array([0, 0, 0, 1, 1])
    scores = np.array([0.1, 0.2, 0.3, 0.8, 0.9])
    assert auc(labels, scores) == 1.0
    assert auc(labels, scores, max_fpr=0.1) == 1.0
    assert auc(labels, -scores) == 0.0
    # Reversed: no area below FPR 0.1, standardised by McClish as
    # 0.5 * (1 + (0 - 0.005) / (0.1 - 0.005)) = 9 / 19.
    assert auc(labels, -scores, max_fpr=0.1) == pytest.approx(9 / 19)


def test_auc_with_ties_counts_half():
    # 19 of 20 anomaly-normal pairs are ordered right and one is tied: 19.5 / 20.
    assert auc(IS_ANOMALY, SCORES) == pytest.approx(0.975)


def test_pauc_with_ties():
    # ROC points (0, 0.5) and (0.1, 1.0) because the tie moves both rates at once:
    # area below FPR 0.1 is 0.1 * (0.5 + 1.0) / 2 = 0.075, standardised
    # 0.5 * (1 + (0.075 - 0.005) / 0.095) = 33 / 38.
    assert auc(IS_ANOMALY, SCORES, max_fpr=0.1) == pytest.approx(33 / 38)


def test_auc_undefined_without_both_classes():
    assert math.isnan(auc(np.array([True, True]), np.array([1.0, 2.0])))
    assert math.isnan(auc(np.array([False, False]), np.array([1.0, 2.0]), max_fpr=0.1))


def test_section_metrics_hand_computed():
    metrics = section_metrics(DOMAINS, IS_ANOMALY, SCORES, DECISIONS)
    assert list(metrics) == list(METRICS)
    # Both anomalies outscore every source normal.
    assert metrics["AUC (source)"] == 1.0
    assert metrics["pAUC (source)"] == 1.0
    # Target normals 5-9: 9.5 beats all 5, 9 beats 4 and ties 1.
    assert metrics["AUC (target)"] == pytest.approx(9.5 / 10)
    # Five normals: ROC (0, 0.5) then (0.2, 1.0), so TPR 0.75 at FPR 0.1;
    # area 0.1 * (0.5 + 0.75) / 2 = 0.0625, standardised 61 / 76.
    assert metrics["pAUC (target)"] == pytest.approx(61 / 76)
    assert metrics["pAUC"] == pytest.approx(33 / 38)
    # Source: normal 4 and the source anomaly are above 3.5.
    assert metrics["precision (source)"] == pytest.approx(1 / 2)
    assert metrics["recall (source)"] == 1.0
    assert metrics["F1 score (source)"] == pytest.approx(2 / 3)
    # Target: all five normals and the target anomaly are above 3.5.
    assert metrics["precision (target)"] == pytest.approx(1 / 6)
    assert metrics["recall (target)"] == 1.0
    assert metrics["F1 score (target)"] == pytest.approx(2 / 7)


def test_section_metrics_without_target_normals():
    source_only = np.array(["source"] * 12)
    metrics = section_metrics(source_only, IS_ANOMALY, SCORES, DECISIONS)
    assert metrics["AUC (source)"] == pytest.approx(0.975)
    assert metrics["pAUC"] == pytest.approx(33 / 38)
    for metric in (
        "AUC (target)",
        "pAUC (target)",
        "precision (target)",
        "recall (target)",
        "F1 score (target)",
    ):
        assert math.isnan(metrics[metric]), metric


def test_precision_recall_f1_zero_denominators():
    # No clip decided anomalous: precision 0 (no division by zero), recall 0.
    assert precision_recall_f1(np.array([True, False]), np.array([0, 0])) == (0.0, 0.0, 0.0)
    # No anomalous clip: recall 0 by the same convention.
    assert precision_recall_f1(np.array([False, False]), np.array([1, 0])) == (0.0, 0.0, 0.0)
    assert all(math.isnan(v) for v in precision_recall_f1(np.array([]), np.array([])))


@pytest.mark.parametrize(
    ("truth", "decisions"),
    [([0, 0, 1, 1], [0, 1, 1, 0]), ([1, 1, 0], [0, 0, 0]), ([0, 0, 0], [1, 0, 1])],
)
def test_precision_recall_f1_match_sklearn(truth, decisions):
    expected = (
        precision_score(truth, decisions, zero_division=0),
        recall_score(truth, decisions, zero_division=0),
        f1_score(truth, decisions, zero_division=0),
    )
    assert precision_recall_f1(np.array(truth), np.array(decisions)) == pytest.approx(expected)


def test_harmonic_mean_pools_and_floors():
    assert harmonic_mean([1.0, 0.5, 0.8, 0.25, 1.0, math.nan]) == pytest.approx(5 / 9.25)
    floored = harmonic_mean([0.0, 1.0, 1.0])
    assert 0 < floored < 1e-14
    assert floored == pytest.approx(3 / (1 / EPSILON + 2))
    assert math.isnan(harmonic_mean([math.nan]))


def test_official_score_pools_every_machine():
    results = pd.DataFrame(
        {
            "AUC (source)": [1.0, 0.25],
            "AUC (target)": [0.5, 1.0],
            "pAUC": [0.8, math.nan],
        }
    )
    score, n_values = official_score(results)
    # 5 / (1/1 + 1/0.5 + 1/0.8 + 1/0.25 + 1/1): pooled, not a mean of per-machine means.
    assert score == pytest.approx(5 / 9.25)
    assert n_values == 5


def test_summary_rows_and_official_score():
    def result_table(values):
        labelled = LabelledScores(
            pd.DataFrame(
                {
                    "clip": [f"c{i}.wav" for i in range(12)],
                    "section": "00",
                    "domain": DOMAINS,
                    "is_anomaly": IS_ANOMALY,
                    "score": values,
                    "decision": DECISIONS,
                }
            )
        )
        return evaluate_machine(labelled)

    summary = summarise({"a": result_table(SCORES), "b": result_table(-SCORES)}, "leave_one_out")
    assert summary["machine"].tolist() == ["a", "b", "harmonic mean"]
    assert set(summary["mode"]) == {"leave_one_out"}
    assert summary.loc[0, "AUC (target)"] == pytest.approx(0.95)
    # Reversed scores: no source pair right, and the tied target pair counts half.
    assert summary.loc[1, "AUC (source)"] == 0.0
    assert summary.loc[1, "AUC (target)"] == pytest.approx(0.05)
    pooled = [1.0, 0.95, 33 / 38, 0.0, 0.05, summary.loc[1, "pAUC"]]
    assert summary.loc[2, "official score"] == pytest.approx(harmonic_mean(pooled))
    assert math.isnan(summary.loc[0, "official score"])


@pytest.fixture
def fixed_files(tmp_path):
    """Ground truth, score and decision files of six clips in the evaluator's formats."""
    names = [f"section_00_{i:04d}.wav" for i in range(6)]
    labels = [0, 0, 1, 0, 0, 1]
    targets = [0, 0, 0, 1, 1, 1]
    scores = [0.1, 0.4, 0.9, 0.3, 0.6, 0.5]
    decisions = [0, 1, 1, 0, 1, 1]

    def write(name, values):
        path = tmp_path / name
        # Rows out of order on purpose: the evaluator sorts by clip name.
        rows = sorted(zip(names, values, strict=True), reverse=True)
        path.write_text("".join(f"{clip},{value}\n" for clip, value in rows))
        return path

    return {
        "label_file": write("ground_truth_m_section_00_test.csv", labels),
        "domain_file": write("ground_truth_domain_m_section_00_test.csv", targets),
        "scores": write("anomaly_score_m_section_00_test.csv", scores),
        "decisions": write("decision_result_m_section_00_test.csv", decisions),
    }


def test_evaluate_fixed_csv(fixed_files, tmp_path):
    labels = labels_from_ground_truth(fixed_files["label_file"], fixed_files["domain_file"])
    labelled = join_labels(labels, fixed_files["scores"], fixed_files["decisions"])
    result = evaluate_machine(labelled)
    assert result["section"].tolist() == ["00", "arithmetic mean", "harmonic mean"]
    row = result.iloc[0]
    # Source normals 0.1, 0.4; anomalies 0.9, 0.5: all 4 pairs right.
    assert row["AUC (source)"] == 1.0
    # Target normals 0.3, 0.6 against 0.9, 0.5: 3 of 4 pairs right.
    assert row["AUC (target)"] == pytest.approx(0.75)
    # Source clips: normals decided 0, 1 and anomaly decided 1.
    assert row["precision (source)"] == pytest.approx(0.5)
    assert row["recall (source)"] == 1.0
    # Target clips: normals decided 0, 1 and anomaly decided 1.
    assert row["F1 score (target)"] == pytest.approx(2 / 3)

    path = tmp_path / "result.csv"
    write_table(result, path)
    header = path.read_text().splitlines()[0]
    assert header == (
        "section,AUC (source),AUC (target),pAUC,pAUC (source),pAUC (target),"
        "precision (source),precision (target),recall (source),recall (target),"
        "F1 score (source),F1 score (target)"
    )


def test_evaluate_rejects_missing_clip(fixed_files):
    lines = fixed_files["scores"].read_text().splitlines()
    fixed_files["scores"].write_text("\n".join(lines[1:]) + "\n")
    labels = labels_from_ground_truth(fixed_files["label_file"], fixed_files["domain_file"])
    with pytest.raises(InputError, match="not in all of"):
        join_labels(labels, fixed_files["scores"], fixed_files["decisions"])


def test_evaluate_rejects_header_row(fixed_files):
    text = fixed_files["scores"].read_text()
    fixed_files["scores"].write_text("clip,score\n" + text)
    labels = labels_from_ground_truth(fixed_files["label_file"], fixed_files["domain_file"])
    with pytest.raises(InputError, match="header"):
        join_labels(labels, fixed_files["scores"], fixed_files["decisions"])


def test_labels_from_clip_records():
    clips = [
        {"name": "a.wav", "section": "00", "domain": "target", "label": "anomaly"},
        {"name": "b.wav", "section": "00", "domain": "source", "label": "normal"},
    ]
    labels = labels_from_clips(clips)
    assert labels["is_anomaly"].tolist() == [True, False]
    assert labels["domain"].tolist() == ["target", "source"]
    with pytest.raises(InputError, match="eval_ground_truth"):
        labels_from_clips([{"name": "c.wav", "section": "00", "domain": None, "label": None}])
