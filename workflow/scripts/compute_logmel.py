"""Compute log-mel frames of every clip in an audio store (rule compute_logmel)."""

from firstshot.features import FeatureSettings, LogMel, check_clip_lengths
from firstshot.logs import configure_logging
from firstshot.store import FRAME_CHUNK_ROWS, read_store, write_store

logger = configure_logging(snakemake)

settings = FeatureSettings(**snakemake.params.features)
audio = read_store(snakemake.input[0])
if audio.attributes["sample_rate"] != settings.sample_rate:
    raise ValueError(
        f"{snakemake.input[0]} holds audio at {audio.attributes['sample_rate']} Hz, "
        f"not {settings.sample_rate} Hz; delete it and rerun."
    )
wildcards = snakemake.wildcards
clip_paths = [f"{wildcards.machine}/{wildcards.split}/{name}" for name in audio.names]
check_clip_lengths(audio.lengths(), clip_paths, settings)

log_mel = LogMel(settings)
write_store(
    snakemake.output[0],
    (log_mel(audio.clip(index)) for index in range(len(audio.clips))),
    audio.clips,
    {"kind": "logmel", "features": settings.as_dict()},
    FRAME_CHUNK_ROWS,
)
logger.info("wrote log-mel frames of %d clips", len(audio.clips))
