"""Fit the Gamma decision threshold to the fine-tuning clips' errors (rule fit_threshold)."""

import json

from firstshot.atomic import partial_path
from firstshot.logs import configure_logging
from firstshot.scoring import clip_scores, window_errors
from firstshot.store import read_store
from firstshot.submission import write_rows
from firstshot.threshold import fit_gamma_threshold
from firstshot.training import load_model, pick_device

logger = configure_logging(snakemake)

model, record = load_model(snakemake.input.model)
frames = record["features"]["frames"]
store = read_store(snakemake.input.features)
errors = window_errors(
    model,
    store.data,
    store.offsets,
    frames,
    pick_device(snakemake.params.device),
)
scores = clip_scores(errors, store.offsets, frames)
statistic = snakemake.params.statistic
fit = fit_gamma_threshold(scores if statistic == "clip" else errors, snakemake.params.quantile)
fit["statistic"] = statistic
logger.info("Gamma fit on %d %s errors: %s", fit["n_errors"], statistic, fit)

write_rows(snakemake.output.scores, store.names, [repr(float(s)) for s in scores])
with partial_path(snakemake.output.threshold) as partial, open(partial, "w") as file:
    json.dump(fit, file, indent=2)
