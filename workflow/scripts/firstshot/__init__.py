"""First-shot anomalous sound detection: the logic behind the Snakemake rules.

The rule scripts in ``workflow/scripts`` are thin wrappers around this package,
so every step can be imported and tested without Snakemake.
"""


class InputError(ValueError):
    """Invalid input data or setting, with a message that names it and the fix."""
