rule pretrain_model:
    input:
        get_dev_training_features(),
    output:
        "results/pretrain/model.pt",
    log:
        "logs/pretrain_model.log",
    conda:
        "../../envs/asd.yaml"
    threads: 2
    params:
        epochs=config["training"]["pretrain_epochs"],
        batch_size=config["training"]["batch_size"],
        learning_rate=config["training"]["learning_rate"],
        seed=config["training"]["seed"],
        device=config["training"]["device"],
        # Outside the declared output, which Snakemake deletes before a rerun.
        epoch_checkpoint="results/checkpoints/pretrain/checkpoint.pt",
    script:
        "../scripts/train_model.py"


rule finetune_model:
    input:
        "results/features/eval/{machine}/train.zarr",
        pretrained=get_pretrained_model(),
    output:
        "results/finetune/{machine}/model.pt",
    log:
        "logs/finetune_model/{machine}.log",
    conda:
        "../../envs/asd.yaml"
    threads: 1
    params:
        epochs=config["training"]["finetune_epochs"],
        batch_size=config["training"]["batch_size"],
        learning_rate=config["training"]["learning_rate"],
        seed=config["training"]["seed"],
        device=config["training"]["device"],
        epoch_checkpoint="results/checkpoints/finetune/{machine}/checkpoint.pt",
    script:
        "../scripts/train_model.py"
