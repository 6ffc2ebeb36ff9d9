import yaml
from conftest import REPO

from firstshot.settings import describe_config_errors, load_schema

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")


def repository_config():
    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


def test_config_repository_file_valid():
    assert describe_config_errors(repository_config(), SCHEMA) == []


def test_config_errors_listed_together():
    config = repository_config()
    config["audio"]["chanel"] = 1
    config["features"]["n_mels"] = 64.5
    config["training"]["device"] = "gpu"
    config["eval_root"] = None

    problems = describe_config_errors(config, SCHEMA)
    assert len(problems) == 4
    assert problems[0].startswith("config key 'eval_root': None is not of type 'string'")
    assert problems[1].startswith("config key 'features.n_mels': 64.5 is not of type 'integer'")
    assert "Default: 128." in problems[1]
    assert problems[2].startswith("config key 'training.device': 'gpu' does not match")
    assert problems[3] == (
        "unknown config key 'audio.chanel'. Known keys here: channel. "
        "Correct the spelling or remove the key."
    )


def test_config_partial_config_valid():
    # Keys left out are filled in from the schema's defaults afterwards.
    assert describe_config_errors({"dev_root": "data/dev", "training": {}}, SCHEMA) == []
