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
