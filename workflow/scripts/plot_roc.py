"""Plot a machine's ROC curves with the pAUC region (rule plot_roc)."""

import pandas as pd

from firstshot.logs import configure_logging
from firstshot.plots import plot_roc, save_figure

logger = configure_logging(snakemake)

clips = pd.read_csv(snakemake.input[0])
title = f"{snakemake.wildcards.machine} ({snakemake.wildcards.dataset})"
save_figure(plot_roc(title, clips), snakemake.output[0])
