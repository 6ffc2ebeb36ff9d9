"""Score an evaluation machine's test clips and write its submission files (rule score_clips)."""

import json

from firstshot.logs import configure_logging
from firstshot.scoring import clip_scores, window_errors
from firstshot.store import read_store
from firstshot.submission import write_submission
from firstshot.training import load_model, pick_device

logger = configure_logging(snakemake)

model, record = load_model(snakemake.input.model)
frames = record["features"]["frames"]
with open(snakemake.input.threshold) as file:
    threshold = json.load(file)["threshold"]
store = read_store(snakemake.input.features)
errors = window_errors(
    model,
    store.data,
    store.offsets,
    frames,
    pick_device(snakemake.params.device),
)
scores = clip_scores(errors, store.offsets, frames)
write_submission(
    snakemake.output.scores,
    snakemake.output.decisions,
    store.names,
    scores,
    threshold,
)
logger.info(
    "scored %d clips; %d above the threshold %.6g",
    len(scores),
    int((scores > threshold).sum()),
    threshold,
)
