"""Compute log-mel frames of every clip in an audio store (rule compute_logmel)."""

from firstshot.features import FeatureSettings, LogMel, check_clip_length
from firstshot.logs import configure_logging
from firstshot.store import FRAME_CHUNK_ROWS, read_store, write_store

logger = configure_logging(snakemake)

settings = FeatureSettings(**snakemake.params.features)
audio = read_store(snakemake.input[0])
if audio.attributes["sample_rate"] != settings.sample_rate:
    raise ValueError(
        f"{snakemake.input[0]} contains audio at {audio.attributes['sample_rate']} Hz, "
        f"not {settings.sample_rate} Hz; delete it and rerun."
    )
lengths = audio.lengths()
for clip, n_samples in zip(audio.clips, lengths, strict=True):
    check_clip_length(int(n_samples), settings, clip["name"])
    clip["n_samples"] = int(n_samples)

log_mel = LogMel(settings)
write_store(
    snakemake.output[0],
    (log_mel(audio.clip(index)) for index in range(len(audio.clips))),
    audio.clips,
    {
        "kind": "logmel",
        "features": settings.as_dict(),
        **{key: audio.attributes[key] for key in ("dataset", "machine", "split")},
    },
    FRAME_CHUNK_ROWS,
)
logger.info("wrote log-mel frames of %d clips", len(audio.clips))
