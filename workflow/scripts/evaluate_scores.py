"""Compute the DCASE metrics of one machine's score and decision files (rule evaluate_scores)."""

from firstshot.evaluation import (
    evaluate_machine,
    join_labels,
    labels_from_clips,
    labels_from_ground_truth,
    write_table,
)
from firstshot.logs import configure_logging
from firstshot.store import read_attributes

logger = configure_logging(snakemake)

inputs = snakemake.input
if inputs.get("features"):
    labels = labels_from_clips(read_attributes(inputs.features)["clips"])
    logger.info("labels from the file names recorded in %s", inputs.features)
else:
    labels = labels_from_ground_truth(inputs.label_file, inputs.domain_file)
    logger.info("labels from %s and %s", inputs.label_file, inputs.domain_file)

labelled = join_labels(labels, inputs.scores, inputs.decisions)
result = evaluate_machine(labelled)
for metric, value in result.iloc[0, 1:].items():
    logger.info("%s: %.4f", metric, value)

write_table(labelled.table, snakemake.output.clips)
write_table(result, snakemake.output.result)
