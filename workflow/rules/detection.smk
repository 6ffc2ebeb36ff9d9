rule fit_threshold:
    input:
        model="results/finetune/{dataset}/{machine}/model.pt",
        features="results/features/{dataset}/{machine}/train.zarr",
    output:
        threshold="results/threshold/{dataset}/{machine}/threshold.json",
        scores="results/threshold/{dataset}/{machine}/train_scores.csv",
    log:
        "logs/fit_threshold/{dataset}/{machine}.log",
    benchmark:
        "benchmarks/fit_threshold/{dataset}/{machine}.tsv"
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
        model="results/finetune/{dataset}/{machine}/model.pt",
        threshold="results/threshold/{dataset}/{machine}/threshold.json",
        features="results/features/{dataset}/{machine}/test.zarr",
    output:
        scores="results/scores/{dataset}/{machine}/anomaly_score_{machine}_section_00_test.csv",
        decisions="results/scores/{dataset}/{machine}/decision_result_{machine}_section_00_test.csv",
    log:
        "logs/score_clips/{dataset}/{machine}.log",
    benchmark:
        "benchmarks/score_clips/{dataset}/{machine}.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        # CPU-only for the reason given in fit_threshold.
        device="cpu",
    script:
        "../scripts/score_clips.py"


# The submission folder holds the evaluation machines' files side by side, as
# the DCASE evaluator reads them; development machines are scored only in the
# leave_one_out mode and are no part of a submission.
rule collect_submission:
    input:
        scores="results/scores/eval/{machine}/anomaly_score_{machine}_section_00_test.csv",
        decisions="results/scores/eval/{machine}/decision_result_{machine}_section_00_test.csv",
    output:
        scores="results/submission/anomaly_score_{machine}_section_00_test.csv",
        decisions="results/submission/decision_result_{machine}_section_00_test.csv",
    log:
        "logs/collect_submission/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    shell:
        "cp {input.scores:q} {output.scores:q} 2> {log:q} && "
        "cp {input.decisions:q} {output.decisions:q} 2>> {log:q}"
