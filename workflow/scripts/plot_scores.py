"""Plot a machine's test score histogram with the fitted Gamma and threshold (rule plot_scores)."""

import json

import pandas as pd

from firstshot.evaluation import read_clip_values
from firstshot.logs import configure_logging
from firstshot.plots import plot_score_histogram, save_figure

logger = configure_logging(snakemake)

inputs = snakemake.input
# A machine with labels gets its evaluated clip table, one without only its score file.
test = (
    pd.read_csv(inputs.clips) if inputs.get("clips") else read_clip_values(inputs.scores, "score")
)
train_scores = read_clip_values(inputs.train_scores, "score")["score"].to_numpy()
with open(inputs.threshold) as file:
    threshold = json.load(file)

title = f"{snakemake.wildcards.machine} ({snakemake.wildcards.dataset}): test scores"
save_figure(plot_score_histogram(title, test, train_scores, threshold), snakemake.output[0])
