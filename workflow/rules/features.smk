rule resample_audio:
    input:
        get_clip_paths,
    output:
        # Only compute_logmel reads this audio, and at DCASE scale it would take
        # about 12 GB as float32, so Snakemake deletes it once the frames exist.
        # TODO: writing and reading it back is the largest cost of the feature
        # stage (docs/benchmarks.md). Drop it if the two rules become one job.
        temp(directory("results/audio/{dataset}/{machine}/{split}.zarr")),
    log:
        "logs/resample_audio/{dataset}/{machine}/{split}.log",
    benchmark:
        "benchmarks/resample_audio/{dataset}/{machine}/{split}.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        # All feature settings, not only the sample rate: they key the feature
        # cache, which decides which clips need reading.
        features=config["features"],
        channel=config["audio"]["channel"],
        cache=FEATURE_CACHE_DIR,
    script:
        "../scripts/resample_audio.py"


rule compute_logmel:
    input:
        "results/audio/{dataset}/{machine}/{split}.zarr",
    output:
        directory("results/features/{dataset}/{machine}/{split}.zarr"),
    log:
        "logs/compute_logmel/{dataset}/{machine}/{split}.log",
    benchmark:
        "benchmarks/compute_logmel/{dataset}/{machine}/{split}.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        features=config["features"],
        channel=config["audio"]["channel"],
        # Snakemake deletes a job's outputs before it runs, so frames kept for
        # reuse live outside them; see firstshot/cache.py for the keys.
        cache=FEATURE_CACHE_DIR,
    script:
        "../scripts/compute_logmel.py"
