"""Check the workflow config against its JSON schema and list every problem at once.

Snakemake's ``validate`` stops at the first problem and prints the whole
schema with it. This check names each bad key by its dotted path, with the
schema's description of that key, so one message lists every fix.
"""

from pathlib import Path

import jsonschema
import yaml


def load_schema(path: str | Path) -> dict:
    with open(path, encoding="utf-8") as file:
        return yaml.safe_load(file)


def describe_config_errors(config: dict, schema: dict) -> list[str]:
    """Return one line per invalid, mistyped or unknown key of ``config``; empty when valid."""
    validator = jsonschema.Draft202012Validator(schema)
    problems = []
    for error in validator.iter_errors(config):
        where = ".".join(str(part) for part in error.absolute_path)
        if error.validator == "additionalProperties":
            known = sorted(error.schema.get("properties", {}))
            for key in sorted(set(error.instance) - set(known)):
                full_key = f"{where}.{key}" if where else key
                problems.append(
                    f"unknown config key '{full_key}'. Known keys here: {', '.join(known)}. "
                    "Correct the spelling or remove the key."
                )
            continue
        description = " ".join(str(error.schema.get("description", "")).split())
        line = f"config key '{where or '(top level)'}': {error.message}."
        if description:
            line += f" Expected: {description}"
        if "default" in error.schema:
            line += f" Default: {error.schema['default']!r}."
        problems.append(line)
    return sorted(problems)
