"""Synthetic machine sounds in the DCASE Task 2 layout, so the workflow runs with no download.

Each machine hums at its own fundamental with decaying harmonics, slow
amplitude modulation and coloured background noise. The target domain moves
the fundamental and the noise level, as a changed operating condition would.
Anomalies are one of four faults: periodic clicks with a ringing resonance
(a bearing defect), an extra inharmonic tone, a band of high-frequency noise
(friction) and a strong wobble of the amplitude (imbalance). Their strength
is drawn per clip, so some anomalies are hard to hear and detection stays
well short of perfect.

Clip names are a pure function of the settings (``clip_names``), so the
workflow can list every file before the generator has run.
"""

import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ANOMALY_KINDS = ("clicks", "tone", "friction", "wobble")


@dataclass(frozen=True)
class SyntheticSettings:
    """Size and seed of a synthetic data set; see the ``synthetic`` config keys."""

    dev_machines: tuple[str, ...]
    eval_machines: tuple[str, ...]
    source_train_clips: int
    target_train_clips: int
    test_clips_per_group: int
    duration: float
    sample_rate: int
    seed: int

    @classmethod
    def from_config(cls, config: dict) -> "SyntheticSettings":
        values = dict(config)
        values["dev_machines"] = tuple(values["dev_machines"])
        values["eval_machines"] = tuple(values["eval_machines"])
        return cls(**values)


@dataclass(frozen=True)
class Clip:
    """One clip to generate: its file name and what it contains."""

    name: str
    domain: str
    label: str
    index: int


def _test_groups(settings: SyntheticSettings) -> list[tuple[str, str]]:
    groups = [(d, lab) for d in ("source", "target") for lab in ("normal", "anomaly")]
    return [group for group in groups for _ in range(settings.test_clips_per_group)]


def _anonymised_order(settings: SyntheticSettings, machine: str) -> np.ndarray:
    """Shuffle evaluation test clips so that the anonymised index reveals no label."""
    rng = np.random.default_rng([settings.seed, _stable_hash(machine), 1])
    return rng.permutation(4 * settings.test_clips_per_group)


def clips(settings: SyntheticSettings, dataset: str, machine: str, split: str) -> list[Clip]:
    """List the clips of one machine and split, in file-name order."""
    if split == "train":
        domains = ["source"] * settings.source_train_clips + (
            ["target"] * settings.target_train_clips
        )
        return [
            Clip(
                f"section_00_{domain}_train_normal_{i:04d}_speed_{_speed(domain)}.wav",
                domain,
                "normal",
                i,
            )
            for i, domain in enumerate(domains)
        ]

    groups = _test_groups(settings)
    if dataset == "dev":
        return [
            Clip(
                f"section_00_{domain}_test_{label}_{i:04d}_speed_{_speed(domain)}.wav",
                domain,
                label,
                i,
            )
            for i, (domain, label) in enumerate(groups)
        ]
    order = _anonymised_order(settings, machine)
    return sorted(
        (
            Clip(f"section_00_{order[i]:04d}.wav", domain, label, i)
            for i, (domain, label) in enumerate(groups)
        ),
        key=lambda clip: clip.name,
    )


def clip_names(settings: SyntheticSettings, dataset: str, machine: str, split: str) -> list[str]:
    return [clip.name for clip in clips(settings, dataset, machine, split)]


def _speed(domain: str) -> str:
    return "1.0" if domain == "source" else "1.15"


def _stable_hash(text: str) -> int:
    return zlib.crc32(text.encode())


def _machine_profile(machine: str) -> dict:
    """Draw the fixed character of a machine type from its name."""
    rng = np.random.default_rng(_stable_hash(machine))
    return {
        "f0": rng.uniform(60.0, 300.0),
        "harmonics": rng.uniform(0.3, 1.0, size=8) * 0.7 ** np.arange(8),
        "modulation_rate": rng.uniform(0.5, 4.0),
        "noise_cutoff": rng.uniform(1500.0, 5000.0),
        "noise_level": rng.uniform(0.05, 0.15),
    }


def synthesise(settings: SyntheticSettings, machine: str, split: str, clip: Clip) -> np.ndarray:
    """Synthesise one clip as float32 samples in [-1, 1]."""
    # Imported here, not at the top: the Snakefile imports this module for
    # clip_names at every parse, and scipy.signal alone takes about a second.
    from scipy import signal

    rate = settings.sample_rate
    rng = np.random.default_rng(
        [
            settings.seed,
            _stable_hash(machine),
            _stable_hash(split),
            clip.index,
            _stable_hash(clip.domain),
            _stable_hash(clip.label),
        ]
    )
    profile = _machine_profile(machine)
    t = np.arange(int(settings.duration * rate)) / rate
    target = clip.domain == "target"

    f0 = profile["f0"] * (1.15 if target else 1.0) * (1.0 + 0.01 * rng.standard_normal())
    phase = rng.uniform(0, 2 * np.pi)
    modulation = 1.0 + 0.2 * np.sin(2 * np.pi * profile["modulation_rate"] * t + phase)
    hum = sum(
        amplitude * np.sin(2 * np.pi * f0 * (k + 1) * t + rng.uniform(0, 2 * np.pi))
        for k, amplitude in enumerate(profile["harmonics"])
        if f0 * (k + 1) < rate / 2
    )
    noise_level = profile["noise_level"] * (1.6 if target else 1.0)
    b, a = signal.butter(2, profile["noise_cutoff"], fs=rate)
    noise = noise_level * signal.lfilter(b, a, rng.standard_normal(t.size))
    sound = 0.3 * modulation * hum + noise

    if clip.label == "anomaly":
        sound += _anomaly(rng, t, rate, f0, float(np.std(sound)))
    peak = np.max(np.abs(sound))
    return (0.8 * sound / peak).astype(np.float32)


def _anomaly(rng: np.random.Generator, t: np.ndarray, rate: int, f0: float, level: float):
    """Draw one fault with a random strength relative to the clip's RMS ``level``."""
    from scipy import signal

    kind = ANOMALY_KINDS[rng.integers(len(ANOMALY_KINDS))]
    strength = level * rng.uniform(0.1, 0.5)
    if kind == "clicks":
        impulses = np.zeros(t.size)
        period = int(rate / rng.uniform(5.0, 20.0))
        impulses[rng.integers(period) :: period] = 1.0
        ring = np.exp(-t[: rate // 50] * 400.0) * np.sin(
            2 * np.pi * rng.uniform(2000.0, 6000.0) * t[: rate // 50]
        )
        return 3.0 * strength * np.convolve(impulses, ring)[: t.size]
    if kind == "tone":
        return strength * np.sin(2 * np.pi * f0 * rng.uniform(2.3, 4.7) * t)
    if kind == "friction":
        centre = rng.uniform(3000.0, 6500.0)
        b, a = signal.butter(2, [centre * 0.85, centre * 1.15], btype="band", fs=rate)
        return 2.0 * strength * signal.lfilter(b, a, rng.standard_normal(t.size))
    wobble = np.sin(2 * np.pi * rng.uniform(8.0, 15.0) * t)
    return 2.0 * strength * wobble * np.sin(2 * np.pi * f0 * t)


def generate_machine(
    settings: SyntheticSettings, dataset: str, machine: str, machine_dir: Path
) -> list[Clip]:
    """Write every clip of one machine under ``machine_dir``; return its test clips."""
    import soundfile

    for split in ("train", "test"):
        split_dir = machine_dir / split
        split_dir.mkdir(parents=True, exist_ok=True)
        for clip in clips(settings, dataset, machine, split):
            samples = synthesise(settings, machine, split, clip)
            soundfile.write(split_dir / clip.name, samples, settings.sample_rate, subtype="PCM_16")
    return clips(settings, dataset, machine, "test")


def write_ground_truth(test_clips: list[Clip], machine: str, folder: Path) -> None:
    """Write the evaluator's label and domain files for anonymised test clips."""
    folder.mkdir(parents=True, exist_ok=True)
    labels = "".join(f"{c.name},{int(c.label == 'anomaly')}\n" for c in test_clips)
    domains = "".join(f"{c.name},{int(c.domain == 'target')}\n" for c in test_clips)
    (folder / f"ground_truth_{machine}_section_00_test.csv").write_text(labels)
    (folder / f"ground_truth_domain_{machine}_section_00_test.csv").write_text(domains)
