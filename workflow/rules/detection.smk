rule fit_threshold:
    input:
        model="results/finetune/{machine}/model.pt",
        features="results/features/eval/{machine}/train.zarr",
    output:
        threshold="results/threshold/{machine}/threshold.json",
        scores="results/threshold/{machine}/train_scores.csv",
    log:
        "logs/fit_threshold/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    params:
        quantile=config["threshold"]["quantile"],
        statistic=config["threshold"]["statistic"],
        # Scoring is one forward pass per window, an estimated minute or less on
        # one CPU core for 1000 DCASE clips, so it requests no GPU and leaves
        # the GPUs to the training jobs.
        device="cpu",
    script:
        "../scripts/fit_threshold.py"


rule score_clips:
    input:
        model="results/finetune/{machine}/model.pt",
        threshold="results/threshold/{machine}/threshold.json",
        features="results/features/eval/{machine}/test.zarr",
    output:
        scores="results/submission/anomaly_score_{machine}_section_00_test.csv",
        decisions="results/submission/decision_result_{machine}_section_00_test.csv",
    log:
        "logs/score_clips/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    params:
        # CPU-only for the reason given in fit_threshold.
        device="cpu",
    script:
        "../scripts/score_clips.py"
