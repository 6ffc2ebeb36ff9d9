"""Compute the log-mel frames of one machine's clips of one split (rule compute_logmel).

Each clip is read, mixed to mono and resampled, then turned into log-mel
frames, unless the feature cache already holds the frames of a file with the
same content and settings.
"""

from dataclasses import asdict

from firstshot.cache import CacheCounts, FeatureCache, clip_features
from firstshot.features import FeatureSettings
from firstshot.logs import configure_logging
from firstshot.names import parse_clip_name
from firstshot.store import FRAME_CHUNK_ROWS, write_store

logger = configure_logging(snakemake)

paths = list(snakemake.input)
settings = FeatureSettings(**snakemake.params.features)
channel = snakemake.params.channel
cache = FeatureCache(snakemake.params.cache, settings, channel)
counts = CacheCounts()
write_store(
    snakemake.output[0],
    clip_features(paths, settings, channel, cache, counts),
    [asdict(parse_clip_name(path)) for path in paths],
    {
        "kind": "logmel",
        "features": settings.as_dict(),
        "dataset": snakemake.wildcards.dataset,
        "machine": snakemake.wildcards.machine,
        "split": snakemake.wildcards.split,
    },
    FRAME_CHUNK_ROWS,
)
logger.info(
    "wrote log-mel frames of %d clips: %d computed, %d reused from the cache %s",
    len(paths),
    counts.computed,
    counts.reused,
    cache.folder,
)
