"""Print every speed figure of the project in one run (see benchmarks/README.md for targets).

    python benchmarks/run.py            # training steps, filter, generation, dry-run and no-op rerun
    python benchmarks/run.py --full     # also the default workflow from clean (paper scale, minutes)
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import numpy as np  # noqa: E402
import yaml  # noqa: E402

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from crystalgan.artifacts import read_structures, write_json, write_structures  # noqa: E402
from crystalgan.curate import DEFAULT_OPTIONS, curate  # noqa: E402
from crystalgan.encoding import encode  # noqa: E402

TRAIN = yaml.safe_load((ROOT / "workflow" / "schemas" / "config.schema.yaml").read_text())


def schema_defaults(section: str) -> dict:
    props = TRAIN["properties"][section]["properties"]
    out = {k: v["default"] for k, v in props.items() if "default" in v and v.get("type") != "object"}
    for k, v in props.items():
        if v.get("type") == "object":
            out[k] = {kk: vv["default"] for kk, vv in v["properties"].items()}
    return out


def timed(fn, repeat: int = 1) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def bench_training(work: Path) -> None:
    import tensorflow as tf

    from crystalgan.models import CrossDomainGAN, data_scale
    from crystalgan.stage1 import train_stage1
    from crystalgan.transfer import transfer
    from crystalgan.train import batch_indices, configure_runtime, run_steps

    configure_runtime(2, 0)
    curate(ROOT / "resources/poscar/PdH", ROOT / "resources/poscar/NiH", "Pd", "Ni", work / "cur", DEFAULT_OPTIONS)
    encode(work / "cur", work / "enc", "PdNiH", "Pd", "Ni")
    options = schema_defaults("train")
    geometry = schema_defaults("geometry")
    train_stage1(work / "enc", work / "s1", work / "ck1", {**options, "epochs": 10}, 0, 2)
    transfer(work / "enc", work / "s1", work / "tr", "split")
    print("\n## Training (shipped Pd-Ni-H, 35 + 35 structures, 5 x 100 MLPs)")
    print("Steps run as in training: a graph loop of 100 steps per tf.function call.")
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
            model = CrossDomainGAN(options, scale, swap=geo is None, geometry=geo)
            model.build_all(ca, cb)
            n = 100
            ia, ib = batch_indices(0, range(n), len(xa), len(xb), 1, batch)
            run = tf.function(lambda ia, ib: run_steps(model, data, 0, ia, ib, tf.constant(0, tf.int64)))
            run(ia, ib)  # trace
            seconds = timed(lambda: run(ia, ib).numpy(), repeat=3) / n
            epoch_steps = int(np.ceil(35 / batch))
            print(f"| {stage} | {batch} | {seconds * 1e3:.1f} | {seconds * 1000 * epoch_steps:.1f} |")


def random_candidates(n: int, seed: int = 0):
    """n perturbed ternaries from the shipped prototypes (one Pd of each replaced by Ni)."""
    from pymatgen.core import Structure

    from crystalgan.encoding import encode_structure

    rng = np.random.default_rng(seed)
    base = []
    for path in sorted((ROOT / "resources/poscar/PdH").iterdir()):
        s = Structure.from_file(path)
        pd_sites = [i for i, x in enumerate(s) if x.specie.symbol == "Pd"]
        if len(pd_sites) > 1:
            s.replace(pd_sites[-1], "Ni")
            base.append(encode_structure(s, "Pd", "Ni"))
    idx = rng.integers(0, len(base), n)
    x = np.stack([base[i][0] for i in idx])
    c = np.stack([base[i][1] for i in idx])
    rows = np.arange(18)[None, None, :] < c[:, :, None]
    noise = rng.normal(0, 0.15, x[:, 1:].shape).astype(np.float32) * rows[..., None]
    x[:, 1:] += noise
    return x, c


def bench_filter(work: Path) -> None:
    from crystalgan.filter import filter_candidates, judge_all

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
    folder = work / "cands"
    write_structures(x[:2000], c[:2000], folder / "candidates.npy")
    write_json({"A": "Pd", "B": "Ni"}, folder / "candidates.json")
    t0 = time.perf_counter()
    df = filter_candidates(folder, [], work / "filtered.parquet", 1.8, 3.0, processes=2)
    seconds = time.perf_counter() - t0
    print(f"whole filter stage with StructureMatcher on the valid ones: {2000 / seconds:,.0f} candidates/s "
          f"(2000 candidates, {int(df['valid'].sum())} valid, {int(df['unique'].sum())} unique)")


def bench_generation(work: Path) -> None:
    """Generation + filtering of 100,000 candidates through the CLI stages (one core each)."""
    from crystalgan.stage2 import train_stage2

    options = {**schema_defaults("train"), "epochs": 5}
    train_stage2(work / "tr", work / "s2", work / "ck2", "crystalgan", options, schema_defaults("geometry"), 0, 2)
    n = 100_000
    env = dict(os.environ)
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "crystalgan.cli", "generate", "--model", str(work / "s2"), "--inputs",
                    str(work / "tr"), "--meta", str(work / "enc" / "meta.json"), "--method", "crystalgan",
                    "--out", str(work / "big"), "--samples", str(n)], check=True, env=env, capture_output=True)
    t_gen = time.perf_counter() - t0
    t0 = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "crystalgan.cli", "filter", "--candidates", str(work / "big"),
                           "--curated", str(work / "cur"), "--transfer", str(work / "tr"), "--out",
                           str(work / "big" / "filtered.parquet"), "--threads", "2"],
                          check=True, env=env, capture_output=True, text=True)
    t_filter = time.perf_counter() - t0
    print("\n## Generation + filtering of 100,000 candidates (CLI, from a trained stage 2)")
    print(f"generate {t_gen:.1f} s + filter {t_filter:.1f} s = {t_gen + t_filter:.1f} s")
    print("filter log:", " | ".join(line.split(": ", 1)[-1] for line in done.stderr.splitlines() if " INFO " in line))


def snakemake(workdir: Path, *args) -> float:
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(workdir), *args]
    t0 = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True)
    return time.perf_counter() - t0


def bench_workflow(work: Path, full: bool) -> None:
    print("\n## Workflow")
    big = work / "big_config"
    big.mkdir()
    systems = [{"name": f"S{i}", "A": "Pd", "B": "Ni", "AH": str(ROOT / "resources/poscar/PdH"),
                "BH": str(ROOT / "resources/poscar/NiH")} for i in range(10)]
    (big / "config.yaml").write_text(yaml.safe_dump({"systems": systems, "seeds": [0, 1, 2, 3, 4]}))
    seconds = snakemake(big, "--configfile", str(big / "config.yaml"), "-n", "--quiet")
    print(f"dry-run of 10 systems x 4 methods x 5 seeds ({10 * (2 + 5 * 13) + 2} jobs): {seconds:.1f} s")
    if not full:
        return
    default = work / "default"
    default.mkdir()
    for folder in ("resources", "workflow"):
        shutil.copytree(ROOT / folder, default / folder)
    command = ("--cores", "8", "--resources", "gpu=1")  # the README's
    t = snakemake(default, *command)
    print(f"default workflow from clean (README command, 2 systems x 4 methods x 1 seed, 1000 epochs): {t:.0f} s wall")
    per_rule: dict[str, list[float]] = {}
    for tsv in sorted((default / "benchmarks").rglob("*.tsv")):
        rule = tsv.relative_to(default / "benchmarks").parts[0]
        per_rule.setdefault(rule, []).append(float(tsv.read_text().splitlines()[1].split("\t")[0]))
    print("| rule | jobs | seconds per job (min-max) | total job seconds |")
    print("|---|---|---|---|")
    for rule, seconds in per_rule.items():
        print(f"| {rule} | {len(seconds)} | {min(seconds):.1f}-{max(seconds):.1f} | {sum(seconds):.1f} |")
    t = snakemake(default, *command)
    print(f"no-op rerun (everything up to date): {t:.1f} s")


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--full", action="store_true", help="also run the default workflow from clean")
    p.add_argument("--only", nargs="+", choices=("training", "filter", "generation", "workflow"),
                   default=("training", "filter", "generation", "workflow"), help="sections to run")
    args = p.parse_args()
    print(f"# crystalgan benchmarks on {platform.node()}: {os.cpu_count()} cores, {platform.processor() or platform.machine()}, Python {platform.python_version()}")
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        if "training" in args.only or "generation" in args.only:
            bench_training(work)
        if "filter" in args.only:
            bench_filter(work)
        if "generation" in args.only:
            bench_generation(work)
        if "workflow" in args.only:
            bench_workflow(work, args.full)


if __name__ == "__main__":
    main()
