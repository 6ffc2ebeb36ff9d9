"""Send a rule script's logging and uncaught exceptions to the rule's log file."""

import logging
import os
import platform
import sys


def configure_logging(snakemake) -> logging.Logger:
    """Log to ``snakemake.log[0]`` (or stderr without one) and log uncaught exceptions there too."""
    handlers = (
        [logging.FileHandler(snakemake.log[0], mode="w")]
        if snakemake.log
        else [logging.StreamHandler()]
    )
    logging.basicConfig(
        level=logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        handlers=handlers,
        force=True,
    )
    logger = logging.getLogger(snakemake.rule)

    def log_uncaught(kind, value, traceback):
        logger.error("uncaught exception", exc_info=(kind, value, traceback))
        sys.__excepthook__(kind, value, traceback)

    sys.excepthook = log_uncaught

    # Ties the rule's log to the cluster job, whose own log and accounting
    # record carry this id.
    job_id = os.environ.get("SLURM_JOB_ID")
    if job_id:
        logger.info("Running in SLURM job %s on %s.", job_id, platform.node())
    return logger
