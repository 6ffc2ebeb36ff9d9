"""Compute the log-mel frames of one machine's clips of one split (rule compute_logmel).

Clips that resample_audio read are turned into frames and added to the
feature cache; the frames of the others come from the cache.
"""

from firstshot.cache import CacheCounts, FeatureCache, clip_features
from firstshot.features import FeatureSettings, check_clip_lengths
from firstshot.logs import configure_logging
from firstshot.store import FRAME_CHUNK_ROWS, read_store, write_store

logger = configure_logging(snakemake)

settings = FeatureSettings(**snakemake.params.features)
channel = snakemake.params.channel
audio = read_store(snakemake.input[0])
clips = audio.attributes["all_clips"]
resampled = {clip["digest"]: audio.clip(index) for index, clip in enumerate(audio.clips)}
# Every new clip too short for one window is reported at once; cached clips
# passed this check when their frames were computed.
check_clip_lengths(
    [len(audio.clip(index)) for index in range(len(audio.clips))],
    [clip["path"] for clip in audio.clips],
    settings,
)

cache = FeatureCache(snakemake.params.cache, settings, channel)
counts = CacheCounts()
write_store(
    snakemake.output[0],
    clip_features(
        [clip["path"] for clip in clips],
        settings,
        channel,
        cache,
        counts,
        digests=[clip["digest"] for clip in clips],
        resampled=resampled,
    ),
    clips,
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
    len(clips),
    counts.computed,
    counts.reused,
    cache.folder,
)
