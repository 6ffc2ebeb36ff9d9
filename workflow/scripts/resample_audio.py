"""Read one machine's clips of one split as mono audio into Zarr (rule resample_audio).

Only clips whose log-mel frames are not in the feature cache are read and
resampled. The store lists every clip with its file digest, so that
compute_logmel can take the other clips' frames from the cache.
"""

from dataclasses import asdict

from firstshot.audio import read_clips
from firstshot.cache import FeatureCache, file_digest
from firstshot.features import FeatureSettings
from firstshot.logs import configure_logging
from firstshot.names import parse_clip_name
from firstshot.store import AUDIO_CHUNK_ROWS, write_store

logger = configure_logging(snakemake)

settings = FeatureSettings(**snakemake.params.features)
channel = snakemake.params.channel
cache = FeatureCache(snakemake.params.cache, settings, channel)
clips = [
    {**asdict(parse_clip_name(path)), "path": path, "digest": file_digest(path)}
    for path in snakemake.input
]
uncached = [clip for clip in clips if not cache.contains(clip["digest"])]
write_store(
    snakemake.output[0],
    read_clips([clip["path"] for clip in uncached], settings.sample_rate, channel),
    uncached,
    {
        "kind": "audio",
        "sample_rate": settings.sample_rate,
        "channel": channel,
        "all_clips": clips,
    },
    AUDIO_CHUNK_ROWS,
)
logger.info(
    "resampled %d of %d clips to %d Hz; the frames of the other %d are cached in %s",
    len(uncached),
    len(clips),
    settings.sample_rate,
    len(clips) - len(uncached),
    cache.folder,
)
