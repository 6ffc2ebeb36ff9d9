"""Plot the scored metrics of every machine and the official score (rule plot_summary)."""

import pandas as pd

from firstshot.evaluation import SCORED_METRICS
from firstshot.logs import configure_logging
from firstshot.plots import plot_summary, save_figure

logger = configure_logging(snakemake)

summary = pd.read_csv(snakemake.input[0])
save_figure(plot_summary(summary, SCORED_METRICS), snakemake.output[0])
