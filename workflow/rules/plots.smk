rule plot_scores:
    input:
        unpack(get_score_plot_inputs),
        threshold="results/threshold/{dataset}/{machine}/threshold.json",
        train_scores="results/threshold/{dataset}/{machine}/train_scores.csv",
    output:
        report(
            "results/plots/{dataset}/{machine}/scores.png",
            caption="../report/scores.rst",
            category="Scores and threshold",
            subcategory="{dataset}",
            labels={"machine": "{machine}", "plot": "score histogram"},
        ),
    log:
        "logs/plot_scores/{dataset}/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    script:
        "../scripts/plot_scores.py"


rule plot_roc:
    input:
        "results/evaluation/{dataset}/{machine}/clips.csv",
    output:
        report(
            "results/plots/{dataset}/{machine}/roc.png",
            caption="../report/roc.rst",
            category="ROC curves",
            subcategory="{dataset}",
            labels={"machine": "{machine}", "plot": "ROC curve"},
        ),
    log:
        "logs/plot_roc/{dataset}/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    script:
        "../scripts/plot_roc.py"


rule plot_losses:
    input:
        unpack(get_losses_inputs),
    output:
        report(
            "results/plots/{dataset}/{machine}/losses.png",
            caption="../report/losses.rst",
            category="Training",
            subcategory="{dataset}",
            labels={"machine": "{machine}", "plot": "loss per epoch"},
        ),
    log:
        "logs/plot_losses/{dataset}/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    script:
        "../scripts/plot_losses.py"


rule plot_summary:
    input:
        "results/evaluation/summary.csv",
    output:
        report(
            "results/plots/summary.png",
            caption="../report/summary_plot.rst",
            category="Summary",
            labels={"content": "metrics per machine (bar chart)"},
        ),
    log:
        "logs/plot_summary.log",
    conda:
        "../../envs/asd.yaml"
    script:
        "../scripts/plot_summary.py"
