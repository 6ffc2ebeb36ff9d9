"""Benchmark the workflow on synthetic data of the DCASE 2025 Task 2 shape (``make bench``).

The data set has the shape of DCASE 2025 Task 2: 7 development and 8
evaluation machines, each with 990 source and 10 target training clips and
200 test clips of 10 s. ``--scale`` multiplies the clip counts (at least one
clip per group), so a quick run keeps all 15 machines. The data is generated
once into ``--cache`` and reused.

The benchmark

1. times a dry run of the full-scale job graph on empty files with the
   full-scale names, since a dry run needs only the names;
2. runs the whole workflow with Snakemake and reads back the wall time and
   peak RSS that each rule's ``benchmark:`` file records;
3. times, in this process and on one thread, each step of the workflow next to
   a reference written the straightforward way: ``librosa.load`` and
   ``librosa.feature.melspectrogram`` per file, a ``DataLoader`` training loop
   over materialised 640-d windows at batch 64, and scoring clip by clip;
4. writes the figures between the markers of ``docs/benchmarks.md``.
"""

import argparse
import platform
import re
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "workflow" / "scripts"))

import librosa  # noqa: E402
import torch  # noqa: E402

from firstshot.audio import read_clip  # noqa: E402
from firstshot.features import FeatureSettings, LogMel  # noqa: E402
from firstshot.model import AutoEncoder  # noqa: E402
from firstshot.scoring import window_errors  # noqa: E402
from firstshot.store import (  # noqa: E402
    AUDIO_CHUNK_ROWS,
    FRAME_CHUNK_ROWS,
    read_pooled,
    read_store,
    write_store,
)
from firstshot.synthetic import SyntheticSettings, clip_names, generate_machine  # noqa: E402
from firstshot.training import TrainSettings, train  # noqa: E402
from firstshot.windows import window_starts  # noqa: E402

#: Machine folder names of DCASE 2025 Task 2; the synthetic sound of each is
#: drawn from its name.
DEV_MACHINES = ("ToyCar", "ToyTrain", "bearing", "fan", "gearbox", "slider", "valve")
EVAL_MACHINES = (
    "AutoTrash",
    "BandSealer",
    "CoffeeGrinder",
    "HomeCamera",
    "Polisher",
    "ScrewFeeder",
    "ToyPet",
    "ToyRCCar",
)
SOURCE_TRAIN_CLIPS = 990
TARGET_TRAIN_CLIPS = 10
TEST_CLIPS_PER_GROUP = 50  # 4 groups (source/target x normal/anomaly): 200 test clips
DURATION = 10.0
SAMPLE_RATE = 16000

MARK_BEGIN = "<!-- benchmark figures: begin (written by tools/benchmark.py) -->"
MARK_END = "<!-- benchmark figures: end -->"


def dataset_settings(scale: float) -> SyntheticSettings:
    """Return the synthetic data set of the DCASE shape with clip counts times ``scale``."""
    return SyntheticSettings(
        dev_machines=DEV_MACHINES,
        eval_machines=EVAL_MACHINES,
        source_train_clips=max(1, round(SOURCE_TRAIN_CLIPS * scale)),
        target_train_clips=max(1, round(TARGET_TRAIN_CLIPS * scale)),
        test_clips_per_group=max(1, round(TEST_CLIPS_PER_GROUP * scale)),
        duration=DURATION,
        sample_rate=SAMPLE_RATE,
        seed=0,
    )


def generate_data(settings: SyntheticSettings, root: Path, workers: int) -> None:
    """Write the data set under ``root`` unless a previous run finished writing it.

    Machines are written in ``workers`` processes at once. Each clip draws from
    its own seeded generator, so the order does not change the data.
    """
    done = root / "complete"
    if done.exists():
        print(f"reusing the data set in {root}")
        return
    print(f"generating the data set in {root} with {workers} processes")
    shutil.rmtree(root, ignore_errors=True)
    jobs = [
        (settings, dataset, machine, root / f"{dataset}_data" / "raw" / machine)
        for dataset in ("dev", "eval")
        for machine in getattr(settings, f"{dataset}_machines")
    ]
    with ProcessPoolExecutor(max_workers=workers) as pool:
        # list() re-raises the first error of any worker.
        list(pool.map(generate_machine, *zip(*jobs, strict=True)))
    done.touch()


def touch_names(settings: SyntheticSettings, root: Path) -> int:
    """Create empty clip files with the names of the data set; return their count."""
    count = 0
    for dataset in ("dev", "eval"):
        for machine in getattr(settings, f"{dataset}_machines"):
            for split in ("train", "test"):
                folder = root / f"{dataset}_data" / "raw" / machine / split
                folder.mkdir(parents=True, exist_ok=True)
                for name in clip_names(settings, dataset, machine, split):
                    (folder / name).touch()
                    count += 1
    return count


def snakemake_command(workdir: Path, data_root: Path, cores: int, *arguments: str) -> list[str]:
    return [
        str(Path(sys.executable).with_name("snakemake")),
        "--snakefile",
        str(REPO / "Snakefile"),
        "--directory",
        str(workdir),
        "--configfile",
        str(REPO / "config" / "config.yaml"),
        "--cores",
        str(cores),
        "--config",
        f"dev_root={data_root / 'dev_data' / 'raw'}",
        f"eval_root={data_root / 'eval_data' / 'raw'}",
        *arguments,
    ]


def time_dry_run(cache: Path) -> tuple[float, float, int]:
    """Time ``snakemake --dry-run`` of the full-scale job graph.

    Return its wall time, its CPU time (user and system, which other load on
    the machine disturbs less) in seconds, and the number of clips.
    """
    root = cache / "full-scale-names"
    clips = touch_names(dataset_settings(1.0), root)
    workdir = Path(tempfile.mkdtemp(prefix="dry-run-", dir=cache))
    command = snakemake_command(workdir, root, 2, "--dry-run", "--quiet")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    result = subprocess.run(command, capture_output=True, text=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    if result.returncode != 0:
        sys.exit(f"The dry run failed:\n{result.stderr[-4000:]}")
    shutil.rmtree(workdir)
    cpu_seconds = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    return seconds, cpu_seconds, clips


def run_workflow(data_root: Path, workdir: Path, cores: int) -> float:
    """Run the workflow from scratch in ``workdir``; return its wall time in seconds.

    The wall time is also written to ``workdir/wall_seconds.txt`` for
    ``--reuse-run``.
    """
    for name in ("results", "logs", "benchmarks", ".snakemake", "wall_seconds.txt"):
        path = workdir / name
        if path.is_dir():
            shutil.rmtree(path)
        else:
            path.unlink(missing_ok=True)
    workdir.mkdir(parents=True, exist_ok=True)
    start = time.perf_counter()
    subprocess.run(snakemake_command(workdir, data_root, cores), check=True)
    seconds = time.perf_counter() - start
    (workdir / "wall_seconds.txt").write_text(f"{seconds:.1f}\n")
    return seconds


def reused_run_seconds(workdir: Path) -> float:
    """Return the wall time of the previous complete run in ``workdir``."""
    record = workdir / "wall_seconds.txt"
    if not record.exists():
        sys.exit(f"--reuse-run: {record} not found; run the benchmark once without it.")
    return float(record.read_text())


#: Stages timed on the clock, with the rules that make up each.
CLOCK_STAGES = {
    "features": ("resample_audio", "compute_logmel"),
    "pretraining": ("pretrain_model",),
    "fine-tuning": ("finetune_model",),
    "thresholds and scoring": ("fit_threshold", "score_clips"),
}


def stage_spans(workdir: Path) -> dict[str, float]:
    """Return the wall seconds from the first start to the last end of each clock stage.

    Read from the newest Snakemake log in ``workdir``, where a line
    ``[<date>]`` comes before each ``rule <name>:`` (a start) and each
    ``Finished jobid: <id> (Rule: <name>)`` (an end). Stages overlap where
    Snakemake runs jobs of two stages at once.
    """
    log = max((workdir / ".snakemake" / "log").glob("*.snakemake.log"))
    starts: dict[str, float] = {}
    ends: dict[str, float] = {}
    stamp = None
    for line in log.read_text().splitlines():
        if match := re.fullmatch(r"\[(\w{3} \w{3} +\d+ [\d:]+ \d{4})\]", line):
            stamp = time.mktime(time.strptime(match[1], "%a %b %d %H:%M:%S %Y"))
        elif match := re.fullmatch(r"(?:local)?rule (\w+):", line):
            starts.setdefault(match[1], stamp)
        elif match := re.fullmatch(r"Finished jobid: \d+ \(Rule: (\w+)\)", line):
            ends[match[1]] = stamp
    spans = {}
    for stage, rules in CLOCK_STAGES.items():
        begin = [starts[rule] for rule in rules if rule in starts]
        end = [ends[rule] for rule in rules if rule in ends]
        if begin and end:
            spans[stage] = max(end) - min(begin)
    return spans


def read_job_benchmarks(workdir: Path) -> pd.DataFrame:
    """Return one row per job: rule, wall seconds (``s``) and peak RSS (``max_rss``, MB)."""
    rows = []
    for path in sorted((workdir / "benchmarks").rglob("*.tsv")):
        record = pd.read_csv(path, sep="\t").iloc[0]
        rule = path.relative_to(workdir / "benchmarks").parts[0].removesuffix(".tsv")
        rows.append({"rule": rule, "s": float(record["s"]), "max_rss": float(record["max_rss"])})
    return pd.DataFrame(rows)


@dataclass
class StageSize:
    """Work of one rule in a run: a count of items and their unit."""

    items: float
    unit: str


def stage_jobs(settings: SyntheticSettings) -> dict[str, int]:
    """Return the number of jobs of each rule for a data set of ``settings``."""
    n_dev, n_eval = len(settings.dev_machines), len(settings.eval_machines)
    return {
        "resample_audio": n_dev + 2 * n_eval,
        "compute_logmel": n_dev + 2 * n_eval,
        "pretrain_model": 1,
        "finetune_model": n_eval,
        "fit_threshold": n_eval,
        "score_clips": n_eval,
    }


def stage_sizes(settings: SyntheticSettings, features: FeatureSettings, training: dict) -> dict:
    """Return the work of each rule for a data set of ``settings``, as a StageSize."""
    train_clips = settings.source_train_clips + settings.target_train_clips
    test_clips = 4 * settings.test_clips_per_group
    n_dev, n_eval = len(settings.dev_machines), len(settings.eval_machines)
    # The workflow reads the training clips of the development machines and
    # every clip of the evaluation machines; development test clips are unused.
    all_clips = n_dev * train_clips + n_eval * (train_clips + test_clips)
    frames = 1 + int(settings.duration * settings.sample_rate) // features.hop_length
    windows = frames - features.frames + 1
    return {
        "resample_audio": StageSize(all_clips, "clips"),
        "compute_logmel": StageSize(all_clips, "clips"),
        "pretrain_model": StageSize(
            n_dev * train_clips * windows * training["pretrain_epochs"], "windows"
        ),
        "finetune_model": StageSize(
            n_eval * train_clips * windows * training["finetune_epochs"], "windows"
        ),
        "fit_threshold": StageSize(n_eval * train_clips * windows, "windows"),
        "score_clips": StageSize(n_eval * test_clips * windows, "windows"),
    }


# Reference implementations, written the straightforward way.


def reference_features(paths: list[str], features: FeatureSettings) -> list[np.ndarray]:
    """Load and transform each file with librosa, one after the other."""
    result = []
    for path in paths:
        audio, _ = librosa.load(path, sr=features.sample_rate)
        mel = librosa.feature.melspectrogram(
            y=audio,
            sr=features.sample_rate,
            n_fft=features.n_fft,
            hop_length=features.hop_length,
            n_mels=features.n_mels,
            power=features.power,
        )
        result.append((10 * np.log10(np.maximum(mel, 1e-10))).T.astype(np.float32))
    return result


def reference_windows(frames: np.ndarray, offsets: np.ndarray, n_frames: int) -> np.ndarray:
    """Materialise every window of ``n_frames`` stacked frames, clip by clip."""
    windows = []
    for begin, end in zip(offsets[:-1], offsets[1:], strict=True):
        clip = frames[begin:end]
        for t in range(len(clip) - n_frames + 1):
            windows.append(clip[t : t + n_frames].reshape(-1))
    return np.stack(windows)


def reference_train(windows: np.ndarray, epochs: int, batch_size: int) -> None:
    """Train a new autoencoder with a DataLoader over the materialised windows."""
    torch.manual_seed(0)
    model = AutoEncoder(input_size=windows.shape[1])
    dataset = torch.utils.data.TensorDataset(torch.from_numpy(windows))
    loader = torch.utils.data.DataLoader(dataset, batch_size=batch_size, shuffle=True)
    optimizer = torch.optim.Adam(model.parameters(), lr=0.001)
    loss_function = torch.nn.MSELoss()
    model.train()
    for _ in range(epochs):
        for (batch,) in loader:
            if len(batch) < 2:
                continue
            optimizer.zero_grad()
            loss = loss_function(model(batch), batch)
            loss.backward()
            optimizer.step()


@torch.no_grad()
def reference_scores(
    model: AutoEncoder, frames: np.ndarray, offsets: np.ndarray, n_frames: int
) -> list[float]:
    """Score each clip on its own, from its materialised windows."""
    model.eval()
    scores = []
    for begin, end in zip(offsets[:-1], offsets[1:], strict=True):
        clip_offsets = np.array([0, end - begin])
        windows = torch.from_numpy(reference_windows(frames[begin:end], clip_offsets, n_frames))
        scores.append(float(((model(windows) - windows) ** 2).mean()))
    return scores


# Our steps, called as the rule scripts call them.


def our_features(paths: list[str], features: FeatureSettings, folder: Path) -> None:
    """Resample into an audio store, then compute log-mel frames into a feature store."""
    clips = [{"name": Path(path).name} for path in paths]
    audio_path, feature_path = folder / "audio.zarr", folder / "features.zarr"
    write_store(
        audio_path,
        (read_clip(path, features.sample_rate) for path in paths),
        clips,
        {"kind": "audio"},
        AUDIO_CHUNK_ROWS,
    )
    audio = read_store(audio_path)
    log_mel = LogMel(features)
    write_store(
        feature_path,
        (log_mel(audio.clip(index)) for index in range(len(clips))),
        clips,
        {"kind": "logmel"},
        FRAME_CHUNK_ROWS,
    )


MEMORY_PROBE = """
import resource, sys
import torch
sys.path.insert(0, {scripts!r})
from firstshot.features import FeatureSettings
from firstshot.model import AutoEncoder
from firstshot.store import read_pooled
from firstshot.training import TrainSettings, train

torch.set_num_threads(1)
frames, offsets, _ = read_pooled({paths!r})
train(AutoEncoder(), frames, offsets, FeatureSettings(), TrainSettings(epochs=1),
      torch.device("cpu"))
print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024)
"""


def measure_pretrain_memory(cache: Path) -> tuple[float, float]:
    """Return the peak RSS (MB) of reading and training on full-scale pretraining frames.

    Writes 7 stores of 1000 clips of random log-mel frames once into ``cache``,
    then, in another process, reads them as the rule pretrain_model does and
    trains one whole epoch at batch 64, about a minute on one core. Later
    epochs repeat the first, so one epoch shows the peak of the job, as long
    as nothing kept from step to step grows. Return the peak RSS and the size
    of the frames, in MB.
    """
    settings = dataset_settings(1.0)
    features = FeatureSettings()
    clips = settings.source_train_clips + settings.target_train_clips
    frames = 1 + int(settings.duration * settings.sample_rate) // features.hop_length
    folder = cache / "full-scale-frames"
    paths = [folder / f"{machine}.zarr" for machine in settings.dev_machines]
    rng = np.random.default_rng(0)
    for path in paths:
        if not path.exists():
            write_store(
                path,
                (
                    rng.normal(-40, 10, size=(frames, features.n_mels)).astype(np.float32)
                    for _ in range(clips)
                ),
                [{"name": f"clip_{index}.wav"} for index in range(clips)],
                {"kind": "logmel", "features": features.as_dict()},
                FRAME_CHUNK_ROWS,
            )
    probe = MEMORY_PROBE.format(
        scripts=str(REPO / "workflow" / "scripts"), paths=[str(path) for path in paths]
    )
    result = subprocess.run(
        [sys.executable, "-c", probe], check=True, capture_output=True, text=True
    )
    frame_megabytes = len(paths) * clips * frames * features.n_mels * 4 / 2**20
    return float(result.stdout.split()[-1]), frame_megabytes


def timed(function, *arguments) -> float:
    start = time.perf_counter()
    function(*arguments)
    return time.perf_counter() - start


def best_time(repeats: int, function, *arguments) -> float:
    """Return the shortest of ``repeats`` timed calls, after one untimed warm-up call.

    The first call of a step pays for loading kernels and filling caches, and
    on a shared machine other processes slow single calls down, so the
    fastest call is the best estimate of the steady cost.
    """
    function(*arguments)
    return min(timed(function, *arguments) for _ in range(repeats))


@dataclass
class Comparison:
    """Our time and the reference's for one step on the same ``items``."""

    step: str
    items: float
    unit: str
    ours: float
    reference: float

    def as_row(self) -> dict:
        return {
            "step": self.step,
            "items": f"{self.items:,.0f} {self.unit}",
            "ours": f"{self.items / self.ours:,.0f} {self.unit}/s",
            "reference": f"{self.items / self.reference:,.0f} {self.unit}/s",
            "ours / reference": f"{self.reference / self.ours:.2f}",
        }


def compare_in_process(
    workdir: Path, data_root: Path, clips: int, epochs: int, repeats: int
) -> dict[str, Comparison]:
    """Time our steps and the reference on the same inputs, on one thread."""
    torch.set_num_threads(1)
    features = FeatureSettings()
    folders = [data_root / "dev_data" / "raw" / machine / "train" for machine in DEV_MACHINES]
    paths = [str(path) for folder in folders for path in sorted(folder.glob("*.wav"))][:clips]
    result = {}

    with tempfile.TemporaryDirectory(dir=workdir) as scratch:
        ours = best_time(repeats, our_features, paths, features, Path(scratch))
    reference = best_time(repeats, reference_features, paths, features)
    result["features"] = Comparison(
        "audio and log-mel features", len(paths), "clips", ours, reference
    )

    stores = [workdir / "results" / "features" / "dev" / m / "train.zarr" for m in DEV_MACHINES]
    frames, offsets, _ = read_pooled(stores)
    # The first clips only: the reference materialises every window, which
    # at full scale would take 5.5 GB and about 2 minutes per call.
    offsets = offsets[: clips + 1]
    frames = frames[: offsets[-1]]
    n_windows = len(window_starts(offsets, features.frames))
    settings = TrainSettings(epochs=epochs)
    device = torch.device("cpu")
    ours = best_time(repeats, train, AutoEncoder(), frames, offsets, features, settings, device)
    windows = reference_windows(frames, offsets, features.frames)
    reference = best_time(repeats, reference_train, windows, epochs, settings.batch_size)
    result["training"] = Comparison(
        "training at batch 64", n_windows * epochs, "windows", ours, reference
    )

    model = AutoEncoder()
    ours = best_time(repeats, window_errors, model, frames, offsets, features.frames, device)
    reference = best_time(repeats, reference_scores, model, frames, offsets, features.frames)
    result["scoring"] = Comparison("scoring", n_windows, "windows", ours, reference)
    return result


#: The in-process step whose throughput each rule's work runs at.
RULE_STEPS = {
    "resample_audio": "features",
    "compute_logmel": "features",
    "pretrain_model": "training",
    "finetune_model": "training",
    "fit_threshold": "scoring",
    "score_clips": "scoring",
}


def summarise_stages(
    jobs: pd.DataFrame,
    sizes: dict,
    full_sizes: dict,
    full_jobs: dict,
    comparisons: dict[str, Comparison],
    cores: int,
) -> list[dict]:
    """Return per-rule figures and an estimate of each rule's wall time at full scale.

    A job's time is modelled as a fixed cost (starting Python, importing
    torch, reading and writing stores) plus its items at the steady
    throughput measured in process. The fixed cost per job is what the
    measured job time leaves after the items. The two feature rules share one
    in-process measurement, so each is charged half of its time per clip.
    """
    rows = []
    for rule, size in sizes.items():
        rule_jobs = jobs[jobs["rule"] == rule]
        if rule_jobs.empty:
            continue
        step = comparisons[RULE_STEPS[rule]]
        share = 0.5 if RULE_STEPS[rule] == "features" else 1.0
        seconds_per_item = share * step.ours / step.items
        job_seconds = rule_jobs["s"].sum()
        fixed = max(0.0, (job_seconds - size.items * seconds_per_item) / len(rule_jobs))
        # Jobs of one rule run side by side up to the core count (every job
        # has one thread); pretraining is one job.
        parallel = min(cores, full_jobs[rule])
        full_seconds = (
            full_jobs[rule] * fixed + full_sizes[rule].items * seconds_per_item
        ) / parallel
        rows.append(
            {
                "rule": rule,
                "jobs": len(rule_jobs),
                "job time (s)": f"{job_seconds:.1f}",
                "throughput per job": f"{size.items / job_seconds:,.0f} {size.unit}/s",
                "peak RSS (MB)": f"{rule_jobs['max_rss'].max():.0f}",
                "full-scale estimate (s)": (
                    f"({full_jobs[rule]} x {fixed:.1f} + {full_sizes[rule].items:,.0f} x "
                    f"{seconds_per_item:.2e}) / {parallel} = {full_seconds:,.0f}"
                ),
                "estimate_seconds": full_seconds,
            }
        )
    return rows


def clock_table(spans: dict[str, float], sizes: dict, features: Comparison) -> list[dict]:
    """Return each clock stage's wall time and throughput, and the features' reference."""
    items = {
        "features": sizes["resample_audio"],
        "pretraining": sizes["pretrain_model"],
        "fine-tuning": sizes["finetune_model"],
        "thresholds and scoring": StageSize(
            sizes["fit_threshold"].items + sizes["score_clips"].items, "windows"
        ),
    }
    rows = []
    for stage, seconds in spans.items():
        size = items[stage]
        row = {
            "stage": stage,
            "wall time (s)": f"{seconds:,.0f}",
            "throughput": f"{size.items / seconds:,.0f} {size.unit}/s",
            "reference": "",
        }
        if stage == "features":
            reference = features.items / features.reference
            row["reference"] = (
                f"{reference:,.0f} clips/s; ours / reference: "
                f"{size.items / seconds / reference:.2f}"
            )
        rows.append(row)
    return rows


def markdown_table(rows: list[dict], columns: list[str]) -> str:
    lines = ["| " + " | ".join(columns) + " |", "|" + " --- |" * len(columns)]
    lines += ["| " + " | ".join(str(r[c]) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def machine_description() -> str:
    model = ""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.exists():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    import os

    cores = os.cpu_count()
    memory = ""
    meminfo = Path("/proc/meminfo")
    if meminfo.exists():
        kilobytes = int(meminfo.read_text().split()[1])
        memory = f", {kilobytes / 2**20:.0f} GiB memory"
    return f"{model or platform.processor()}, {cores} logical cores{memory}, {platform.system()}"


def versions() -> str:
    import snakemake
    import zarr

    packages = {
        "Python": platform.python_version(),
        "snakemake": snakemake.__version__,
        "torch": torch.__version__,
        "librosa": librosa.__version__,
        "numpy": np.__version__,
        "zarr": zarr.__version__,
    }
    return ", ".join(f"{name} {version}" for name, version in packages.items())


def write_report(path: Path, text: str) -> None:
    """Put ``text`` between the markers of ``path``, keeping the text around them."""
    block = f"{MARK_BEGIN}\n{text}\n{MARK_END}"
    if path.exists() and MARK_BEGIN in (old := path.read_text()):
        before, rest = old.split(MARK_BEGIN, 1)
        after = rest.split(MARK_END, 1)[1] if MARK_END in rest else ""
        path.write_text(before + block + after)
    else:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(f"# Benchmarks\n\n{block}\n")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument(
        "--scale",
        type=float,
        default=1.0,
        help="fraction of the DCASE clip counts to generate (1 = 18,000 clips)",
    )
    parser.add_argument("--cores", type=int, default=2, help="cores given to Snakemake")
    parser.add_argument(
        "--cache",
        type=Path,
        default=REPO / "resources" / "benchmark",
        help="folder for the generated data and the workflow run",
    )
    parser.add_argument(
        "--reference-clips",
        type=int,
        default=200,
        help="training clips of the development machines on which each step is compared "
        "with the reference",
    )
    parser.add_argument(
        "--reference-epochs", type=int, default=1, help="epochs of the compared training loops"
    )
    parser.add_argument(
        "--repeats",
        type=int,
        default=3,
        help="timed calls of each compared step after a warm-up call; the fastest counts",
    )
    parser.add_argument(
        "--reuse-run",
        action="store_true",
        help="take the workflow figures from the previous run at this scale instead of "
        "running the workflow again",
    )
    parser.add_argument("--output", type=Path, default=REPO / "docs" / "benchmarks.md")
    parser.add_argument("--note", default="", help="text printed above the figures")
    args = parser.parse_args()

    settings = dataset_settings(args.scale)
    data_root = args.cache / f"scale-{args.scale:g}" / "data"
    workdir = args.cache / f"scale-{args.scale:g}" / "run"
    args.cache.mkdir(parents=True, exist_ok=True)

    dry_run_seconds, dry_run_cpu_seconds, full_clips = time_dry_run(args.cache)
    print(f"dry run of the full-scale job graph ({full_clips} clips): {dry_run_seconds:.1f} s")

    start = time.perf_counter()
    generate_data(settings, data_root, args.cores)
    generate_seconds = time.perf_counter() - start

    if args.reuse_run:
        total_seconds = reused_run_seconds(workdir)
    else:
        total_seconds = run_workflow(data_root, workdir, args.cores)
    jobs = read_job_benchmarks(workdir)
    config = read_config()
    features = FeatureSettings(**config["features"])
    sizes = stage_sizes(settings, features, config["training"])
    full_sizes = stage_sizes(dataset_settings(1.0), features, config["training"])
    comparisons = compare_in_process(
        workdir, data_root, args.reference_clips, args.reference_epochs, args.repeats
    )
    stages = summarise_stages(
        jobs, sizes, full_sizes, stage_jobs(dataset_settings(1.0)), comparisons, args.cores
    )

    peak_megabytes, frame_megabytes = measure_pretrain_memory(args.cache)
    print(f"pretraining at full scale: peak RSS {peak_megabytes:.0f} MB")

    n_clips = sizes["resample_audio"].items
    clock_rows = clock_table(stage_spans(workdir), sizes, comparisons["features"])
    estimate = sum(stage["estimate_seconds"] for stage in stages)
    command = " ".join(["python tools/benchmark.py", *sys.argv[1:]])
    text = "\n\n".join(
        [
            f"## Run at scale {args.scale:g}: {n_clips:,.0f} clips of 10 s",
            *([args.note] if args.note else []),
            "\n".join(
                [
                    f"- Date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
                    f"- Machine: {machine_description()}; no GPU",
                    f"- Versions: {versions()}",
                    f"- Command: `{command}`",
                    f"- Data generation (reused when cached): {generate_seconds:.0f} s",
                    f"- Workflow run with `--cores {args.cores}`: {total_seconds:.0f} s wall time",
                    f"- Dry run of the full-scale job graph ({full_clips:,} clips): "
                    f"{dry_run_seconds:.1f} s wall time, {dry_run_cpu_seconds:.1f} s CPU time",
                    f"- Pretraining memory at full scale ({frame_megabytes:,.0f} MB of log-mel "
                    "frames; reading, then one epoch at batch 64): peak RSS "
                    f"{peak_megabytes:,.0f} MB",
                ]
            ),
            "### Stages of the workflow run on the clock (from Snakemake's log)",
            "Wall time from the first job of a stage starting to its last job ending, "
            f"with `--cores {args.cores}`. The evaluation machines' feature jobs may run "
            "beside pretraining, and scoring beside fine-tuning, so the stages can overlap. "
            "The reference runs on one core in this process (table at the end).",
            markdown_table(clock_rows, ["stage", "wall time (s)", "throughput", "reference"]),
            "### Stages of the workflow run (from the rules' `benchmark:` files)",
            "Job time is the sum of the wall times of a rule's jobs, including the start "
            "of Python and the reading and writing of stores. The full-scale estimate "
            "models a job as a fixed cost (the job time at this scale less its items at "
            "the in-process throughput below) plus its items at that throughput, and "
            "divides by the jobs that run at once: (jobs x fixed seconds + items x "
            "seconds per item) / parallel jobs.",
            markdown_table(
                stages,
                [
                    "rule",
                    "jobs",
                    "job time (s)",
                    "throughput per job",
                    "peak RSS (MB)",
                    "full-scale estimate (s)",
                ],
            ),
            f"Sum of the estimates, an ESTIMATE of the full-scale run: {estimate:,.0f} s "
            f"({estimate / 60:.0f} min), with the stages run one after the other.",
            "### Our steps next to the reference, in one process on one thread",
            f"Each figure is the fastest of {args.repeats} calls after a warm-up call.",
            markdown_table(
                [comparison.as_row() for comparison in comparisons.values()],
                ["step", "items", "ours", "reference", "ours / reference"],
            ),
        ]
    )
    write_report(args.output, text)
    print(text)


def read_config() -> dict:
    import yaml

    return yaml.safe_load((REPO / "config" / "config.yaml").read_text())


if __name__ == "__main__":
    main()
