"""Collect every machine's result and compute the official score (rule summarise_evaluation)."""

from pathlib import Path

import pandas as pd

from firstshot.evaluation import (
    SCORED_METRICS,
    official_score,
    summarise,
    write_html_table,
    write_table,
)
from firstshot.logs import configure_logging

logger = configure_logging(snakemake)

# Each result sits at results/evaluation/<dataset>/<machine>/result.csv.
results = {
    Path(path).parent.name: pd.read_csv(path, dtype={"section": str}) for path in snakemake.input
}
summary = summarise(results, snakemake.params.mode)
score, n_values = official_score(summary.iloc[:-1])
n_total = len(SCORED_METRICS) * len(results)
if n_values < n_total:
    logger.warning(
        "%d of %d AUC and pAUC values are undefined (a domain without normal clips, or a "
        "machine without anomalies) and left out of the official score",
        n_total - n_values,
        n_total,
    )
logger.info(
    "official score (%s mode, %d machines): %.4f", snakemake.params.mode, len(results), score
)
write_table(summary, snakemake.output.csv)
write_html_table(summary, snakemake.output.html)
