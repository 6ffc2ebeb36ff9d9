"""Pretrain or fine-tune the autoencoder (rules pretrain_model and finetune_model).

With an input named ``pretrained`` the job starts from those weights and
fine-tunes; otherwise it trains a new model on the pooled feature stores.
A job that was killed continues from its last epoch checkpoint.
"""

import torch

from firstshot import InputError
from firstshot.checkpoint import EpochCheckpoint, training_fingerprint
from firstshot.features import FeatureSettings
from firstshot.logs import configure_logging
from firstshot.model import AutoEncoder
from firstshot.store import read_pooled
from firstshot.training import (
    TrainSettings,
    load_model,
    pick_device,
    save_model,
    settings_record,
    train,
)

logger = configure_logging(snakemake)

params = snakemake.params
settings = TrainSettings(
    epochs=params.epochs,
    batch_size=params.batch_size,
    learning_rate=params.learning_rate,
    seed=params.seed,
)
feature_paths = [path for path in snakemake.input if path != snakemake.input.get("pretrained")]
frames, offsets, stores = read_pooled(feature_paths)
features = FeatureSettings(**stores[0]["features"])
for path, store in zip(feature_paths, stores, strict=True):
    if store["features"] != features.as_dict():
        raise InputError(f"{path} was computed with other feature settings than {feature_paths[0]}")

torch.manual_seed(settings.seed)
pretrained = snakemake.input.get("pretrained")
if pretrained:
    model, record = load_model(pretrained)
    if record["features"] != features.as_dict():
        raise InputError(
            f"{pretrained} was trained on features {record['features']}, but "
            f"{feature_paths[0]} holds {features.as_dict()}. Set the 'features' config keys "
            "to the model's values, or point 'pretrained_model' at a model trained with the "
            "current ones (null pretrains one)."
        )
    stage = "finetune"
else:
    model = AutoEncoder(input_size=features.window_size)
    stage = "pretrain"

device = pick_device(params.device)
logger.info(
    "%s on %s: %d clips, %d frames from %d stores",
    stage,
    device,
    len(offsets) - 1,
    len(frames),
    len(stores),
)
checkpoint = EpochCheckpoint(
    params.epoch_checkpoint,
    training_fingerprint(settings_record(features, settings), model, frames, offsets),
)
losses = train(model, frames, offsets, features, settings, device, checkpoint)
save_model(
    snakemake.output[0],
    model,
    stage=stage,
    losses=losses,
    clips=[clip["name"] for store in stores for clip in store["clips"]],
    pretrained_from=str(pretrained) if pretrained else None,
    **settings_record(features, settings),
)
checkpoint.remove()
