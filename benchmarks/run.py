"""Print every speed figure of the project in one run (see benchmarks/README.md for targets).

python benchmarks/run.py            # training steps, filter, generation, dry-run and no-op rerun
python benchmarks/run.py --full     # also the default workflow from clean (paper scale, minutes)
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np
import yaml

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crystalgan.config import defaults  # noqa: E402
from crystalgan.core.artifacts import read_structures  # noqa: E402
from crystalgan.data.curate import curate  # noqa: E402
from crystalgan.data.encoding import encode  # noqa: E402

DEFAULTS = defaults()


def domain(folder: Path, name: str) -> list[Path]:
    return [folder / f"{name}.npy", folder / f"{name}_counts.npy"]


def timed(fn, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_training(work: Path) -> None:
    import tensorflow as tf

    from crystalgan.data.transfer import transfer
    from crystalgan.gan.models import adam_pair, cross_domain_gan, data_scale
    from crystalgan.gan.stage1 import train_stage1
    from crystalgan.gan.stage2 import resolve_geometry
    from crystalgan.gan.train import batch_indices, configure_runtime, run_epochs
    from crystalgan.settings import Geometry, Train

    configure_runtime(2, 0)
    cur, enc, s1 = work / "cur", work / "enc", work / "s1"
    curate(ROOT / "resources/poscar/PdH", ROOT / "resources/poscar/NiH", "Pd", "Ni", cur, DEFAULTS["curate"])
    encode(cur / "AH.parquet", cur / "BH.parquet", cur / "pairs.parquet", enc, "PdNiH", "Pd", "Ni")
    train = Train.of(DEFAULTS["train"])
    geometry = resolve_geometry(
        Geometry.of(DEFAULTS["geometry"]), (cur / "AH.parquet", cur / "BH.parquet"), enc / "meta.json"
    )
    train_stage1(
        domain(enc, "AH"),
        domain(enc, "BH"),
        out=s1,
        checkpoints=work / "ck1",
        train=train.replace(epochs=10),
        seed=0,
        threads=2,
        meta=enc / "meta.json",
    )
    transfer(
        enc / "meta.json",
        domain(enc, "AH"),
        domain(enc, "BH"),
        domain(s1, "x_AHBA1"),
        domain(s1, "y_BHAB1"),
        work / "tr",
        "split",
    )
    print("\n## Training (shipped Pd-Ni-H, 35 + 35 structures, 5 x 100 MLPs)")
    print("Steps run as in training: a graph loop of 100 one-step epochs per tf.function call.")
    print("| stage | batch | ms/step | 1000 epochs (s) |")
    print("|---|---|---|---|")
    for stage, folder, names, geo in (
        ("stage 1", "enc", ("AH", "BH"), None),
        ("stage 2 + geometric loss", "tr", ("AHB_g", "BHA_g"), geometry),
    ):
        (xa, ca), (xb, cb) = (read_structures(work / folder / f"{n}.npy") for n in names)
        scale = data_scale(xa, xb, counts=(ca, cb))
        data = [tf.constant(a) for a in (xa / scale, ca, xb / scale, cb)]
        for batch in (8, 16, 35):
            model = cross_domain_gan(train, scale, swap=geo is None, geometry=geo)
            model.compile(**adam_pair(train))
            model.build(ca, cb)
            n = 100
            ia, ib = (rows.reshape(n, 1, batch) for rows in batch_indices(0, range(n), len(xa), len(xb), 1, batch))
            run = tf.function(lambda ia, ib, m=model, d=data: run_epochs(m, d, 0, ia, ib, tf.constant(0, tf.int64)))
            run(ia, ib)  # trace
            seconds = timed(lambda run=run, ia=ia, ib=ib: run(ia, ib).numpy(), repeat=3) / n
            epoch_steps = int(np.ceil(35 / batch))
            print(f"| {stage} | {batch} | {seconds * 1e3:.1f} | {seconds * 1000 * epoch_steps:.1f} |")


def shipped_ternaries() -> list:
    """The shipped Pd-H prototypes with more than one Pd, the last Pd of each made Ni."""
    from pymatgen.core import Structure

    out = []
    for path in sorted((ROOT / "resources/poscar/PdH").iterdir()):
        s = Structure.from_file(path)
        pd_sites = [i for i, x in enumerate(s) if x.specie.symbol == "Pd"]
        if len(pd_sites) > 1:
            s.replace(pd_sites[-1], "Ni")
            out.append(s)
    return out


def random_candidates(n: int, seed: int = 0):
    """n perturbed ternaries from the shipped prototypes (one Pd of each replaced by Ni)."""
    from crystalgan.core.structures import encode_structure

    rng = np.random.default_rng(seed)
    base = [encode_structure(s, "Pd", "Ni") for s in shipped_ternaries()]
    idx = rng.integers(0, len(base), n)
    x = np.stack([base[i][0] for i in idx])
    c = np.stack([base[i][1] for i in idx])
    rows = np.arange(18)[None, None, :] < c[:, :, None]
    noise = rng.normal(0, 0.15, x[:, 1:].shape).astype(np.float32) * rows[..., None]
    x[:, 1:] += noise
    return x, c


def bench_filter(work: Path) -> None:
    from crystalgan.evaluation.filter import filter_candidates
    from crystalgan.evaluation.verdicts import judge_all

    n = 20_000
    x, c = random_candidates(n)
    names = ("H", "Pd", "Ni")
    print("\n## Filter (pymatgen find_points_in_spheres)")
    t0 = time.perf_counter()
    single = judge_all(x, c, 1.8, 3.0, 6.0, names)
    seconds = time.perf_counter() - t0
    valid = sum(r["valid"] for r in single)
    print(f"geometry verdicts, 1 process: {n / seconds:,.0f} candidates/s ({n} candidates, {valid} valid)")
    t0 = time.perf_counter()
    double = judge_all(x, c, 1.8, 3.0, 6.0, names, processes=2)
    seconds = time.perf_counter() - t0
    same = [r["valid"] for r in single] == [r["valid"] for r in double]
    print(f"geometry verdicts, 2 processes: {n / seconds:,.0f} candidates/s (same verdicts: {same})")
    t0 = time.perf_counter()
    df = filter_candidates(x[:2000], c[:2000], "Pd", "Ni", [], 1.8, 3.0, processes=2)
    seconds = time.perf_counter() - t0
    print(
        f"whole filter stage with StructureMatcher on the valid ones: {2000 / seconds:,.0f} candidates/s "
        f"(2000 candidates, {int(df['valid'].sum())} valid, {int(df['unique'].sum())} unique)"
    )


def bench_generation(work: Path) -> None:
    """Generation + filtering of 100,000 candidates through the CLI stages (one core each)."""
    from crystalgan.gan.stage2 import train_stage2
    from crystalgan.settings import Geometry, Train

    tr, s2, big = work / "tr", work / "s2", work / "big"
    curated = (work / "cur" / "AH.parquet", work / "cur" / "BH.parquet")
    train_stage2(
        domain(tr, "AHB_g"),
        domain(tr, "BHA_g"),
        out=s2,
        checkpoints=work / "ck2",
        method="crystalgan",
        train=Train.of(DEFAULTS["train"], epochs=5),
        geometry=Geometry.of(DEFAULTS["geometry"]),
        seed=0,
        threads=2,
        curated=curated,
        meta=work / "enc" / "meta.json",
    )
    n = 100_000
    env = dict(os.environ)
    cli = [sys.executable, "-m", "crystalgan.cli"]
    t0 = time.perf_counter()
    subprocess.run(
        [
            *cli,
            "generate",
            "--model",
            s2 / "model.json",
            "--weights",
            s2 / "weights.weights.h5",
            "--input-a",
            *domain(tr, "AHB_g"),
            "--input-b",
            *domain(tr, "BHA_g"),
            "--meta",
            work / "enc" / "meta.json",
            "--method",
            "crystalgan",
            "--out",
            big,
            "--samples",
            str(n),
        ],
        check=True,
        env=env,
        capture_output=True,
    )
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = subprocess.run(
        [
            *cli,
            "filter",
            "--candidates",
            big / "candidates.npy",
            "--counts",
            big / "candidates_counts.npy",
            "--info",
            big / "candidates.json",
            "--curated",
            work / "cur" / "AH.parquet",
            work / "cur" / "BH.parquet",
            "--ahb",
            *domain(tr, "AHB_g"),
            "--bha",
            *domain(tr, "BHA_g"),
            "--out",
            big / "filtered.parquet",
            "--neighbours",
            big / "neighbours.parquet",
            "--threads",
            "2",
        ],
        check=True,
        env=env,
        capture_output=True,
        text=True,
    )
    t_filter = time.perf_counter() - t0
    print("\n## Generation + filtering of 100,000 candidates (CLI, from a trained stage 2)")
    print(f"generate {t_gen:.1f} s + filter {t_filter:.1f} s = {t_gen + t_filter:.1f} s")
    print("filter log:", " | ".join(line.split(": ", 1)[-1] for line in done.stderr.splitlines() if " INFO " in line))


def snakemake(workdir: Path, *args) -> tuple[float, str]:
    """Wall seconds and standard output of one Snakemake call."""
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), *args]
    t0 = time.perf_counter()
    done = subprocess.run(cmd, check=True, capture_output=True, text=True)
    return time.perf_counter() - t0, done.stdout


def bench_workflow(work: Path, full: bool, potentials: list[str]) -> None:
    print("\n## Workflow")
    big = work / "big_config"
    big.mkdir()
    systems = [
        {
            "name": f"S{i}",
            "A": "Pd",
            "B": "Ni",
            "AH": str(ROOT / "resources/poscar/PdH"),
            "BH": str(ROOT / "resources/poscar/NiH"),
        }
        for i in range(10)
    ]
    (big / "config.yaml").write_text(yaml.safe_dump({"systems": systems, "seeds": [0, 1, 2, 3, 4]}))
    seconds, out = snakemake(big, "--configfile", str(big / "config.yaml"), "-n", "--quiet", "rules", "host")
    jobs = re.search(r"^total\s+(\d+)", out, re.M).group(1)
    n_methods = len(DEFAULTS["methods"])
    print(f"dry-run of 10 systems x {n_methods} methods x 5 seeds ({jobs} jobs): {seconds:.1f} s")
    if not full:
        return
    command = ("--cores", "8", "--resources", "gpu=1")  # the README's
    walls = {}
    variants = [("without relaxation", {"relax": {"enabled": False}}), ("default", {})]
    variants += [(f"default with {p}", {"relax": {"potential": p}}) for p in potentials]
    for name, extra in variants:
        run = work / name.replace(" ", "_")
        run.mkdir()
        for folder in ("resources", "workflow"):
            shutil.copytree(ROOT / folder, run / folder)
        (run / "extra.yaml").write_text(yaml.safe_dump(extra))
        configs = [str(run / "workflow" / "config.yaml"), str(run / "extra.yaml")]
        walls[name], _ = snakemake(run, *command, "--configfile", *configs)
        print(f"{name}: README command from clean (shipped config, 1000 epochs): {walls[name]:.0f} s")
    for name, wall in walls.items():
        if name != "without relaxation":
            print(f"{name} / relax.enabled false, same run: {wall / walls['without relaxation']:.2f}x")
    default = work / "default"
    per_rule: dict[str, list[float]] = {}
    timings = default / "logs" / "benchmarks"
    for tsv in sorted(timings.rglob("*.tsv")):
        rule = tsv.relative_to(timings).parts[0]
        per_rule.setdefault(rule, []).append(float(tsv.read_text().splitlines()[1].split("\t")[0]))
    timed = set(per_rule)
    for log in sorted((default / "logs").rglob("*.log")):  # the cacheable rules: no tsv, the log's done line
        rule = log.relative_to(default / "logs").parts[0]
        if rule not in timed and (m := re.search(r" done: wall ([\d.]+) s", log.read_text())):
            per_rule.setdefault(rule, []).append(float(m.group(1)))
    print("| rule | jobs | seconds per job (min-max) | total job seconds |")
    print("|---|---|---|---|")
    for rule, seconds in per_rule.items():
        print(f"| {rule} | {len(seconds)} | {min(seconds):.1f}-{max(seconds):.1f} | {sum(seconds):.1f} |")
    t, _ = snakemake(default, *command)
    print(f"no-op rerun (everything up to date): {t:.1f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="also run the default workflow from clean")
    p.add_argument(
        "--potential",
        nargs="*",
        default=[],
        help="with --full, also run the default workflow with each of these relax.potential choices",
    )
    p.add_argument(
        "--only",
        nargs="+",
        choices=("training", "filter", "generation", "workflow"),
        default=("training", "filter", "generation", "workflow"),
        help="sections to run",
    )
    args = p.parse_args()
    cpu, python = platform.processor() or platform.machine(), platform.python_version()
    print(f"# crystalgan benchmarks on {platform.node()}: {os.cpu_count()} cores, {cpu}, Python {python}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "training" in args.only or "generation" in args.only:
            bench_training(work)
        if "filter" in args.only:
            bench_filter(work)
        if "generation" in args.only:
            bench_generation(work)
        if "workflow" in args.only:
            bench_workflow(work, args.full, args.potential)


if __name__ == "__main__":
    main()
