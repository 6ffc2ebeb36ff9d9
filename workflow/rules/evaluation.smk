rule evaluate_scores:
    input:
        unpack(get_labels),
        scores="results/scores/{dataset}/{machine}/anomaly_score_{machine}_section_00_test.csv",
        decisions="results/scores/{dataset}/{machine}/decision_result_{machine}_section_00_test.csv",
    output:
        result="results/evaluation/{dataset}/{machine}/result.csv",
        clips="results/evaluation/{dataset}/{machine}/clips.csv",
    log:
        "logs/evaluate_scores/{dataset}/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    script:
        "../scripts/evaluate_scores.py"


rule summarise_evaluation:
    input:
        get_evaluation_results(),
    output:
        csv="results/evaluation/summary.csv",
        # The report shows HTML files in place but offers CSV files only as downloads.
        html=report(
            "results/evaluation/summary.html",
            caption="../report/summary_table.rst",
            category="Summary",
            labels={"content": "metrics per machine (table)"},
        ),
    log:
        "logs/summarise_evaluation.log",
    conda:
        "../../envs/asd.yaml"
    params:
        mode=MODE,
    script:
        "../scripts/summarise_evaluation.py"
