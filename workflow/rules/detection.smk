rule fit_threshold:
    input:
        model="results/finetune/{machine}/model.pt",
        features="results/features/eval/{machine}/train.zarr",
    output:
        threshold="results/threshold/{machine}/threshold.json",
        scores="results/threshold/{machine}/train_scores.csv",
    log:
        "logs/fit_threshold/{machine}.log",
    benchmark:
        "benchmarks/fit_threshold/{machine}.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        quantile=config["threshold"]["quantile"],
        statistic=config["threshold"]["statistic"],
        device=config["training"]["device"],
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
    benchmark:
        "benchmarks/score_clips/{machine}.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        device=config["training"]["device"],
    script:
        "../scripts/score_clips.py"
