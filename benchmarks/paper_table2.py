"""Reproduce the paper's Table 2 on a folder of Pd-H and Ni-H structures (e.g. the paper's own data).

    python benchmarks/paper_table2.py ../shared/data/crystalgan-2019 --seeds 5 --first-seed 10 \
        --methods gan discogan crystalgan_nogeo crystalgan substitution random --workdir paper-run
    python benchmarks/paper_table2.py ../shared/data/crystalgan-2019 --seeds 5 --first-seed 10 \
        --methods crystalgan substitution --samples 10000 --workdir paper-run   # at scale
    python benchmarks/paper_table2.py ../shared/data/crystalgan-2019 --seeds 5 --first-seed 10 \
        --methods crystalgan crystalgan_nogeo substitution random --relax all --workdir relax-run   # S.U.N.

runs the workflow in the work folder (Snakemake keeps what is up to date there: the second
command trains nothing, it generates and filters again) and prints Table 2 with mean and
std over seeds next to the paper's numbers, the yield per CPU-minute of every method, and
the most frequent formula + space group of the valid unique ternaries; with ``--relax``, the
physical columns (relaxed, stable, S.U.N., not P1, median energy above the hull) and S.U.N.
per CPU-minute.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time
from pathlib import Path

import pandas as pd
import yaml

from crystalgan.evaluation.report import structure_types

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("data", type=Path, help="folder holding PdH/ and NiH/ (POSCAR files)")
    p.add_argument("--seeds", type=int, default=5, help="seeds 0..N-1 (default %(default)s)")
    p.add_argument("--first-seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=1000)
    p.add_argument("--samples", type=int, default=70, help="candidates per run (paper: 70)")
    p.add_argument("--methods", nargs="+", default=["gan", "discogan", "crystalgan_nogeo", "crystalgan"])
    p.add_argument("--workdir", type=Path, default=Path("paper-run"))
    p.add_argument("--configfile", type=Path, help="extra config (e.g. workflow/presets/paper.yaml)")
    p.add_argument("--cores", type=int, default=2)
    p.add_argument(
        "--relax", default="off", help="off, or candidates relaxed per run (a number, or all): the physical columns"
    )
    args = p.parse_args()

    args.workdir.mkdir(parents=True, exist_ok=True)
    data = args.data.resolve()
    config = {
        "systems": [{"name": "PdNiH", "A": "Pd", "B": "Ni", "AH": str(data / "PdH"), "BH": str(data / "NiH")}],
        "methods": args.methods,
        "seeds": list(range(args.first_seed, args.first_seed + args.seeds)),
        "train": {"epochs": args.epochs},
        "generate": {"samples": args.samples},
        "relax": {"enabled": False}
        if args.relax == "off"
        else {"enabled": True, "max_per_run": args.relax if args.relax == "all" else int(args.relax)},
    }
    run_config = args.workdir / "config.yaml"
    run_config.write_text(yaml.safe_dump(config))
    cmd = [
        sys.executable,
        "-m",
        "snakemake",
        "-s",
        str(ROOT / "Snakefile"),
        "-d",
        str(args.workdir),
        "--cores",
        str(args.cores),
        "--resources",
        "gpu=1",
        "--configfile",
    ]
    cmd += [str(args.configfile.resolve()), str(run_config)] if args.configfile else [str(run_config)]
    t0 = time.time()
    subprocess.run(cmd, check=True)
    wall = time.time() - t0
    table = pd.read_csv(args.workdir / "results" / "report" / "table2.csv")
    cols = [
        "method",
        "seeds",
        "n_ternary_mean",
        "n_valid_mean",
        "n_valid_std",
        "n_valid_unique_mean",
        "n_valid_unique_std",
        "n_unseen_mean",
        "n_unseen_framework_mean",
        "paper_n_valid",
    ]
    print(f"\nTable 2 on {data} ({args.samples} candidates per run, {args.epochs} epochs), wall {wall:.0f} s\n")
    print(table[cols].to_string(index=False, float_format=lambda v: f"{v:.1f}"))
    print("\nYield per CPU-minute (mean per run; cost as crystalgan.evaluation.report.run_cpu_minutes counts it)\n")
    yield_cols = ["method", "cpu_min_mean", "n_valid_unique_per_cpu_min"]
    print(table[yield_cols].to_string(index=False, float_format=lambda v: f"{v:.2f}"))
    if args.relax != "off":
        physical = ["n_relaxed", "n_relaxed_unique", "n_stable", "n_sun", "n_sun_strict", "n_not_p1"]
        print(
            f"\nAfter relaxation ({args.relax} per run; mean ± std over seeds; CPU includes the relaxations and "
            "each run's share of the hull)\n"
        )
        shown = table[["method"]].copy()
        for c in [*physical, "median_e_above_hull", "relax_cpu_s_per_candidate"]:
            digits = 3 if c == "median_e_above_hull" else 1
            shown[c] = [f"{m:.{digits}f} ± {d:.{digits}f}" for m, d in zip(table[f"{c}_mean"], table[f"{c}_std"])]
        shown["sun_per_cpu_min"] = table["n_sun_per_cpu_min"].map(lambda v: f"{v:.2f}")
        shown["sun_strict_per_cpu_min"] = table["n_sun_strict_per_cpu_min"].map(lambda v: f"{v:.2f}")
        print(shown.to_string(index=False))
        share = [
            (t["n_not_p1_mean"] / t["n_relaxed_unique_mean"]) if t["n_relaxed_unique_mean"] else float("nan")
            for _, t in table.iterrows()
        ]
        print("\nShare of relaxed unique candidates not P1:", dict(zip(table["method"], [round(v, 2) for v in share])))
    candidates = pd.read_csv(args.workdir / "results" / "report" / "candidates.csv")
    print(
        f"\nMost frequent formula + space group of the valid unique ternaries (all seeds; all of them in "
        f"{args.workdir / 'results' / 'report' / 'candidates.csv'})\n"
    )
    print(structure_types(candidates, top=10))


if __name__ == "__main__":
    main()
