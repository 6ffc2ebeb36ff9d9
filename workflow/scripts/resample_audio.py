"""Read one machine's clips of one split as mono audio into Zarr (rule resample_audio)."""

from dataclasses import asdict

from firstshot.audio import read_clips
from firstshot.logs import configure_logging
from firstshot.names import parse_clip_name
from firstshot.store import AUDIO_CHUNK_ROWS, write_store

logger = configure_logging(snakemake)

paths = list(snakemake.input)
rate = snakemake.params.sample_rate
channel = snakemake.params.channel
clips = [asdict(parse_clip_name(path)) for path in paths]
write_store(
    snakemake.output[0],
    read_clips(paths, rate, channel),
    clips,
    {"kind": "audio", "sample_rate": rate, "channel": channel},
    AUDIO_CHUNK_ROWS,
)
logger.info("wrote %d clips at %d Hz", len(paths), rate)
