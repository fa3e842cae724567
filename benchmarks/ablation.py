"""Ablation of the PGCGM options and augmentation (issue #13), judged after relaxation.

    python benchmarks/ablation.py ../shared/data/crystalgan-2019 --seeds 0 1 2 --workdir ablation-run
    python benchmarks/ablation.py ../shared/data/crystalgan-2019 --seeds 10 11 12 13 14 \\
        --variants none augment windows+augment --workdir ablation-report
    python benchmarks/ablation.py ../shared/data/crystalgan-2019 --seeds 10 11 12 13 14 \\
        --variants none augment --samples 1000 --again --workdir ablation-report   # same models
    python benchmarks/ablation.py ../shared/data/crystalgan-2019 --seeds 0 1 2 \\
        --variants augment augment+ternaries --relax 8 --workdir ternaries-choose      # issue #24

runs the workflow once per variant (a config change; ``a+b`` combines variants) on the
folders ``<A>H`` and ``<B>H`` of ``data`` (``--metals A B``, default Pd Ni), in
``workdir/<variant>``, and prints per variant and method the mean over seeds of: valid,
valid unique, relaxed unique, S.U.N., S.U.N. at the strict threshold, not P1 after
relaxation, median energy above the hull, relaxation CPU-s per candidate, CPU minutes per
run and S.U.N. per CPU minute. Every variant starts from every option off (``none``: the
defaults before issue #13, without augmentation), whatever the defaults are now; the first
variant is the reference, which also runs the baselines, in the same run.

The reference's curated and encoded data and hull are linked into the others' work
folders, and so are its stage-1 models where a variant leaves stage 1 alone, and its transfer
sets where it leaves the transfer alone too, so that every variant is charged the same stage 1
and hull (their CPU seconds come from the linked tables) and nothing is computed twice.
"""

from __future__ import annotations

import argparse
import copy
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from crystalgan.config import STAGE2_LAMBDAS
from crystalgan.methods import BASELINES

ROOT = Path(__file__).resolve().parents[1]
GENERATIVE = ["crystalgan", "crystalgan_nogeo"]

# Every option off (the defaults before issue #13): what each variant changes, and the
# reference ("none") the variants are compared with, whatever the defaults are now.
NONE = {"train": {"augment": []}}
VARIANTS = {
    "none": {},
    "wgan-gp": {"train": {"adversarial": "wgan-gp", "critic_steps": 5}},
    "distance": {"geometry": {"distance": {"inter": 3.5, "intra": 5.0}}},
    "box": {"train": {"lambdas": {"volume": 12.5, "abc": 5.0}}},
    "windows": {"geometry": {"target": "data"}},
    "merge": {"generate": {"merge": 1.0}},
    "augment": {"train": {"augment": ["translate", "rotate", "permute"]}},
    "ternaries": {"transfer": {"ternaries": "all"}},  # issue #24: the ternary library in stage 2
}


def merged(base: dict, extra: dict) -> dict:
    """``base`` with ``extra`` merged in, nested sections key by key."""
    out = copy.deepcopy(base)
    for key, value in extra.items():
        out[key] = merged(out.get(key, {}), value) if isinstance(value, dict) else value
    return out


def overrides(name: str) -> dict:
    """The config change of variant ``name`` (``a+b``: both) from every option off."""
    out: dict = copy.deepcopy(NONE)
    for part in name.split("+"):
        if part not in VARIANTS:
            raise SystemExit(f"unknown variant {part!r} (one of {', '.join(VARIANTS)}, combined with +)")
        out = merged(out, VARIANTS[part])
    return out


def keeps_stage1(change: dict, reference: dict) -> bool:
    """Whether a variant's config leaves stage 1 as the ``reference`` variant's makes it."""
    before = reference.get("train", {})
    train = {k: v for k, v in change.get("train", {}).items() if before.get(k, object()) != v}
    return set(train) <= {"lambdas"} and set(train.get("lambdas", {})) <= set(STAGE2_LAMBDAS)


def methods_of(change: dict, reference: dict) -> list[str]:
    """Methods a variant runs: crystalgan, plus crystalgan_nogeo where the change reaches it,
    plus the baselines in the ``reference`` variant."""
    if change == reference:
        return GENERATIVE + list(BASELINES)
    only_geometric = set(change) <= {"geometry", "train"} and keeps_stage1(change, reference)
    return ["crystalgan"] if only_geometric else GENERATIVE


def link(source: Path, target: Path) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    if not target.exists():
        target.symlink_to(source.resolve(), target_is_directory=source.is_dir())


def run_variant(name: str, args, first: Path | None, reference: dict) -> pd.DataFrame:
    change = overrides(name)
    work = args.workdir / name
    work.mkdir(parents=True, exist_ok=True)
    data, (a, b) = args.data.resolve(), args.metals
    system = f"{a}{b}H"
    config = merged(
        {
            "systems": [{"name": system, "A": a, "B": b, "AH": str(data / f"{a}H"), "BH": str(data / f"{b}H")}],
            "methods": methods_of(change, reference),
            "seeds": args.seeds,
            "train": {"epochs": args.epochs},
            "generate": {"samples": args.samples},
            "relax": {"enabled": False} if args.relax == "off" else {"enabled": True, "max_per_run": args.relax},
        },
        change,
    )
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    if first is not None:  # reuse what the variant does not change
        shared = ["curated", "encoded", "hull"]
        if keeps_stage1(change, reference):
            shared += [f"seed{s}/stage1" for s in args.seeds]
            shared += [f"seed{s}/transfer" for s in args.seeds if change.get("transfer") == reference.get("transfer")]
        for folder in shared:
            if (first / "results" / system / folder).exists():
                link(first / "results" / system / folder, work / "results" / system / folder)
    cmd = [sys.executable, "-m", "snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work)]
    cmd += ["--cores", str(args.cores), "--resources", "gpu=1", "--configfile", str(work / "config.yaml")]
    cmd += ["--rerun-triggers", "mtime", "--rerun-incomplete", "--quiet", "rules"]
    cmd += ["--forcerun", "generate", "baseline"] if args.again else []
    t0 = time.time()
    subprocess.run(cmd, check=True)
    print(f"variant {name}: {time.time() - t0:.0f} s wall", flush=True)
    table = pd.read_csv(work / "results" / "report" / "table2.csv")
    table.insert(0, "variant", name)
    return table


COLUMNS = {
    "n_valid_mean": "valid",
    "n_valid_unique_mean": "valid unique",
    "n_valid_data_bounds_mean": "in data windows",
    "n_relaxed_unique_mean": "relaxed unique",
    "n_sun_mean": "S.U.N.",
    "n_sun_std": "S.U.N. std",
    "n_sun_strict_mean": "S.U.N. strict",
    "n_not_p1_mean": "not P1",
    "median_e_above_hull_mean": "median E_hull",
    "relax_cpu_s_per_candidate_mean": "relax CPU-s/cand",
    "cpu_min_mean": "CPU min/run",
    "n_sun_per_cpu_min": "S.U.N./CPU min",
    "n_sun_strict_per_cpu_min": "strict/CPU min",
    "n_sun_distinct": "distinct S.U.N. (pooled over seeds)",
    "n_sun_distinct_per_cpu_min": "distinct/CPU min",
}


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path, help="folder holding <A>H/ and <B>H/ (e.g. PdH/ and NiH/)")
    p.add_argument("--metals", nargs=2, default=["Pd", "Ni"], metavar=("A", "B"))
    p.add_argument("--variants", nargs="+", default=list(VARIANTS), help="the first: the reference")
    p.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    p.add_argument("--samples", type=int, default=70)
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument(
        "--relax", default=8, type=lambda v: v if v in ("all", "off") else int(v), help="relaxed per run, all or off"
    )
    p.add_argument("--cores", type=int, default=2)
    p.add_argument("--workdir", type=Path, default=Path("ablation-run"))
    p.add_argument(
        "--again", action="store_true", help="generate again from the trained models (e.g. with another --samples)"
    )
    args = p.parse_args()
    reference = overrides(args.variants[0])
    tables, first = [], None
    for name in args.variants:
        tables.append(run_variant(name, args, first, reference))
        first = first or args.workdir / name
    table = pd.concat(tables, ignore_index=True)
    table.to_csv(args.workdir / "ablation.csv", index=False)
    shown = table[["variant", "method", *[c for c in COLUMNS if c in table]]].rename(columns=COLUMNS)
    print(
        f"\nAblation on {args.data} ({' and '.join(args.metals)}), seeds {args.seeds}, "
        f"{args.samples} candidates per run, {args.relax} relaxed per run "
        f"(mean over seeds; {args.workdir / 'ablation.csv'})\n"
    )
    print(shown.to_string(index=False, float_format=lambda v: f"{v:.3f}" if abs(v) < 1 else f"{v:.1f}"))


if __name__ == "__main__":
    main()
