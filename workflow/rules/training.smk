rule pretrain_model:
    input:
        get_dev_training_features(),
    output:
        "results/pretrain/model.pt",
    log:
        "logs/pretrain_model.log",
    benchmark:
        "benchmarks/pretrain_model.tsv"
    conda:
        "../../envs/asd.yaml"
    # One thread: a batch of 64 windows is too little arithmetic to split, and
    # a second thread only adds synchronisation (on a loaded 2-core machine a
    # step took 39 ms instead of 5.7 ms). The free core then serves the feature
    # jobs of the evaluation machines, which do not wait for pretraining.
    threads: 1
    params:
        epochs=config["training"]["pretrain_epochs"],
        batch_size=config["training"]["batch_size"],
        learning_rate=config["training"]["learning_rate"],
        seed=config["training"]["seed"],
        device=config["training"]["device"],
    script:
        "../scripts/train_model.py"


rule finetune_model:
    input:
        "results/features/eval/{machine}/train.zarr",
        pretrained="results/pretrain/model.pt",
    output:
        "results/finetune/{machine}/model.pt",
    log:
        "logs/finetune_model/{machine}.log",
    benchmark:
        "benchmarks/finetune_model/{machine}.tsv"
    conda:
        "../../envs/asd.yaml"
    threads: 1
    params:
        epochs=config["training"]["finetune_epochs"],
        batch_size=config["training"]["batch_size"],
        learning_rate=config["training"]["learning_rate"],
        seed=config["training"]["seed"],
        device=config["training"]["device"],
    script:
        "../scripts/train_model.py"
