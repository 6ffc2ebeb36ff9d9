import numpy as np

from firstshot.submission import write_submission


def test_submission_files_have_evaluator_format(tmp_path):
    scores_path = tmp_path / "anomaly_score_fan_section_00_test.csv"
    decisions_path = tmp_path / "decision_result_fan_section_00_test.csv"
    names = ["section_00_0002.wav", "section_00_0000.wav", "section_00_0001.wav"]
    write_submission(scores_path, decisions_path, names, np.array([3.5, 1.25, 2.0]), 2.0)

    assert scores_path.read_text().splitlines() == [
        "section_00_0000.wav,1.25",
        "section_00_0001.wav,2.0",
        "section_00_0002.wav,3.5",
    ]
    assert decisions_path.read_text().splitlines() == [
        "section_00_0000.wav,0",
        "section_00_0001.wav,0",
        "section_00_0002.wav,1",
    ]
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        [scores_path.name, decisions_path.name]
    )
