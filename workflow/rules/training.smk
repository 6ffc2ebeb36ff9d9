rule pretrain_model:
    input:
        get_pretraining_features,
    output:
        "results/pretrain/{pretrain_set}/model.pt",
    log:
        "logs/pretrain_model/{pretrain_set}.log",
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
        "results/features/{dataset}/{machine}/train.zarr",
        pretrained=get_pretrained_model,
    output:
        "results/finetune/{dataset}/{machine}/model.pt",
    log:
        "logs/finetune_model/{dataset}/{machine}.log",
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
