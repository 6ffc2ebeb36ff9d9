rule resample_audio:
    input:
        get_clip_paths,
    output:
        # Resampled audio is only read by compute_logmel, and at DCASE scale it
        # takes about 12 GB as float32, so it is deleted once the features exist.
        temp(directory("results/audio/{dataset}/{machine}/{split}.zarr")),
    log:
        "logs/resample_audio/{dataset}/{machine}/{split}.log",
    benchmark:
        "benchmarks/resample_audio/{dataset}/{machine}/{split}.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        sample_rate=config["features"]["sample_rate"],
        channel=config["audio"]["channel"],
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
    script:
        "../scripts/compute_logmel.py"
