"""Write the synthetic DCASE-layout data set (rule generate_synthetic_data)."""

from pathlib import Path

from firstshot.logs import configure_logging
from firstshot.synthetic import SyntheticSettings, generate_machine, write_ground_truth

logger = configure_logging(snakemake)

settings = SyntheticSettings.from_config(snakemake.params.settings)
for dataset, (root, machines) in snakemake.params.machines.items():
    for machine in machines:
        logger.info("generating %s machine %s under %s", dataset, machine, root)
        test_clips = generate_machine(settings, dataset, machine, Path(root) / machine)
        if dataset == "eval":
            write_ground_truth(test_clips, machine, Path(root).parent / "ground_truth")
