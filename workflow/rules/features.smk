rule compute_logmel:
    input:
        get_clip_paths,
    output:
        directory("results/features/{dataset}/{machine}/{split}.zarr"),
    log:
        "logs/compute_logmel/{dataset}/{machine}/{split}.log",
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
