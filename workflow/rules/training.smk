rule pretrain_model:
    input:
        get_pretraining_features,
    output:
        "results/pretrain/{pretrain_set}/model.pt",
    log:
        "logs/pretrain_model/{pretrain_set}.log",
    benchmark:
        "benchmarks/pretrain_model/{pretrain_set}.tsv"
    conda:
        "../../envs/asd.yaml"
    # One thread: a batch of 64 windows is too little arithmetic to split, and
    # a second thread only adds synchronisation (on a loaded 2-core machine a
    # step took 39 ms instead of 5.7 ms). The free core then serves the feature
    # jobs of the evaluation machines, which do not wait for pretraining.
    threads: 1
    # NOTE: runtime and mem_mb are estimates for the DCASE 2025 development set
    # (7 machines of 1000 clips of 10 s, 1.1 GB of float32 frames, held twice
    # while the stores are pooled). Neither was measured on a GPU node; raise
    # them with --set-resources if a cluster job is killed.
    resources:
        gpu=get_training_gpus,
        mem_mb=8000,
        runtime=180,
    params:
        epochs=config["training"]["pretrain_epochs"],
        batch_size=config["training"]["batch_size"],
        learning_rate=config["training"]["learning_rate"],
        seed=config["training"]["seed"],
        device=config["training"]["device"],
        # Outside the declared output, which Snakemake deletes before a rerun.
        epoch_checkpoint="results/checkpoints/pretrain/{pretrain_set}/checkpoint.pt",
    script:
        "../scripts/train_model.py"


rule finetune_model:
    input:
        "results/features/{dataset}/{machine}/train.zarr",
        pretrained=get_pretrained_model,
    output:
        "results/finetune/{dataset}/{machine}/model.pt",
    log:
        "logs/finetune_model/{dataset}/{machine}.log",
    benchmark:
        "benchmarks/finetune_model/{dataset}/{machine}.tsv"
    conda:
        "../../envs/asd.yaml"
    threads: 1
    # One machine's 1000 clips hold 160 MB of frames; see pretrain_model for
    # how these estimates were made.
    resources:
        gpu=get_training_gpus,
        mem_mb=4000,
        runtime=60,
    params:
        epochs=config["training"]["finetune_epochs"],
        batch_size=config["training"]["batch_size"],
        learning_rate=config["training"]["learning_rate"],
        seed=config["training"]["seed"],
        device=config["training"]["device"],
        epoch_checkpoint="results/checkpoints/finetune/{dataset}/{machine}/checkpoint.pt",
    script:
        "../scripts/train_model.py"
