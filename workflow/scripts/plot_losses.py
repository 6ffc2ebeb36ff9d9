"""Plot the pretraining and fine-tuning loss per epoch of one machine (rule plot_losses)."""

from pathlib import Path

import torch

from firstshot.logs import configure_logging
from firstshot.plots import plot_losses, save_figure

logger = configure_logging(snakemake)

pretrained = torch.load(snakemake.input.pretrained, map_location="cpu", weights_only=True)
finetuned = torch.load(snakemake.input.finetuned, map_location="cpu", weights_only=True)
# The pretraining set is the folder name: all, or without_<machine>.
pretrain_set = Path(snakemake.input.pretrained).parent.name
title = f"{snakemake.wildcards.machine} ({snakemake.wildcards.dataset}): training loss"
figure = plot_losses(title, pretrained["losses"], finetuned["losses"], pretrain_set)
save_figure(figure, snakemake.output[0])
