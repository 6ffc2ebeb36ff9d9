rule generate_synthetic_data:
    output:
        clips=get_synthetic_clip_paths(),
        ground_truth=get_synthetic_ground_truth(),
    log:
        "logs/generate_synthetic_data.log",
    benchmark:
        "benchmarks/generate_synthetic_data.tsv"
    conda:
        "../../envs/asd.yaml"
    params:
        settings=config["synthetic"],
        machines=get_synthetic_machines(),
    script:
        "../scripts/generate_synthetic_data.py"
