"""What the extended hull changes (issue #23): S.U.N. counted against the training binaries and
the elements alone, and against every phase the run knows (the A-B intermetallic types and
the user's known phases), in one run.

    python benchmarks/extended_hull.py --workdir hull-run                 # Fe-Ti-H and Mg-Fe-H, seed 10
    python benchmarks/extended_hull.py --workdir hull-run --seeds 10 11 --samples 200
    python benchmarks/extended_hull.py --workdir hull-pdni --paper ../shared/data/crystalgan-2019 --seeds 10 11 12 13 14

runs the workflow (every valid unique candidate relaxed) on Fe-Ti-H (strong intermetallics:
B2 TiFe, C14 TiFe2) and Mg-Fe-H with the known ternary Mg2FeH6 (``benchmarks/known/MgFeH``,
Didisheim et al., Inorg. Chem. 23, 1953, 1984), from the metals alone (the workflow builds
their binary prototype libraries), or with ``--paper`` on the paper's Pd-Ni-H data; methods
crystalgan, substitution and random. It then prints per system and method, before (hull of
the training binaries and the elements, novelty against the training binaries) and after
(the hull and novelty of the run): distinct S.U.N. crystals pooled over seeds, distinct S.U.N.
per CPU minute, rediscovered known phases, and the crystals that were S.U.N. before but not
after with the phase that lies below them.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import yaml

from crystalgan.core.artifacts import HULL, read_table
from crystalgan.core.structures import structure_from_row
from crystalgan.evaluation.campaign import discoveries, method_counts
from crystalgan.evaluation.stability import e_above_hull, phase_diagram
from crystalgan.physics.relax import judge_relaxed

ROOT = Path(__file__).resolve().parents[1]
METHODS = ["crystalgan", "substitution", "random"]
BEFORE = ("molecule", "element", "binary")  # the hull before issue #23


def systems(paper: Path | None) -> list[dict]:
    if paper is not None:
        return [{"name": "PdNiH", "A": "Pd", "B": "Ni", "AH": str(paper / "PdH"), "BH": str(paper / "NiH")}]
    return [
        {"name": "FeTiH", "A": "Fe", "B": "Ti"},
        {"name": "MgFeH", "A": "Mg", "B": "Fe", "known": str(ROOT / "benchmarks" / "known" / "MgFeH")},
    ]


def rejudged(relaxed: pd.DataFrame, hull: pd.DataFrame, kinds: tuple[str, ...] | None, stable: float) -> pd.DataFrame:
    """The relaxed rows judged against the hull rows of ``kinds`` only (all where None)."""
    hull = hull if kinds is None else hull[hull["kind"].isin(kinds)]
    diagram = phase_diagram(hull)
    out = relaxed.copy()
    out["e_above_hull"] = [e_above_hull(diagram, f, e) for f, e in zip(out["formula"], out["energy_per_atom"])]
    references = [
        (r["id"], r["kind"], structure_from_row(r))
        for _, r in hull[hull["kind"] != "molecule"].iterrows()
        if len(r["lattice"])
    ]
    out["rediscovered"] = ""
    judge_relaxed(out, references, stable)
    return out


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--workdir", type=Path, required=True)
    p.add_argument("--paper", type=Path, help="folder with PdH/ and NiH/ (the paper's data) instead of Fe-Ti, Mg-Fe")
    p.add_argument("--seeds", type=int, nargs="+", default=[10])
    p.add_argument("--samples", type=int, default=70)
    p.add_argument("--cores", type=int, default=2)
    args = p.parse_args()
    work = args.workdir.resolve()
    work.mkdir(parents=True, exist_ok=True)
    config = {
        "systems": systems(args.paper.resolve() if args.paper else None),
        "methods": METHODS,
        "seeds": args.seeds,
        "generate": {"samples": args.samples},
        "relax": {"max_per_run": "all", "device": "cpu"},
    }
    (work / "config.yaml").write_text(yaml.safe_dump(config))
    cmd = ["snakemake", "-s", str(ROOT / "Snakefile"), "-d", str(work), "--configfile", str(work / "config.yaml")]
    subprocess.run([*cmd, "--cores", str(args.cores), "--resources", "gpu=1"], check=True)
    runs = pd.read_csv(work / "results" / "report" / "runs.csv")
    stable = 0.1
    rows = []
    for system in config["systems"]:
        name = system["name"]
        hull = read_table(work / "results" / name / "hull" / "hull.parquet", HULL)
        relaxed = []
        for method in METHODS:
            for seed in args.seeds:
                table = pd.read_parquet(work / "results" / name / method / f"seed{seed}" / "relaxed.parquet")
                relaxed.append(table.assign(system=name, method=method, seed=seed))
        relaxed = pd.concat(relaxed, ignore_index=True)
        judged = {
            "before": rejudged(relaxed, hull, BEFORE, stable),
            "after": rejudged(relaxed, hull, None, stable),
        }
        mine = runs[runs["system"] == name]
        counts = {when: method_counts(discoveries(df), mine).set_index("method") for when, df in judged.items()}
        for method in METHODS:
            rows.append(
                {
                    "system": name,
                    "method": method,
                    "relaxed": int(judged["after"].query("method == @method")["relaxed"].sum()),
                    "sun_before": int(counts["before"].loc[method, "n_sun_distinct"]),
                    "sun_after": int(counts["after"].loc[method, "n_sun_distinct"]),
                    "per_cpu_min_before": counts["before"].loc[method, "n_sun_distinct_per_cpu_min"],
                    "per_cpu_min_after": counts["after"].loc[method, "n_sun_distinct_per_cpu_min"],
                    "rediscovered": int((judged["after"].query("method == @method")["rediscovered"] != "").sum()),
                    "median_e_hull_before": float(judged["before"].query("method == @method")["e_above_hull"].median()),
                    "median_e_hull_after": float(judged["after"].query("method == @method")["e_above_hull"].median()),
                }
            )
        lowest = hull[hull["kind"].isin(["intermetallic", "known"])].sort_values("e_above_hull").head(5)
        print(f"\n{name}: phases beyond the binaries on or nearest the hull (eV/atom above it):")
        for r in lowest.itertuples():
            print(f"  {r.kind:13} {r.id:28} {r.formula:12} {r.e_above_hull:.3f}")
    table = pd.DataFrame(rows)
    pd.set_option("display.width", 200)
    print()
    print(table.round(3).to_string(index=False))
    table.to_csv(work / "extended_hull.csv", index=False)
    if np.isnan(table[["per_cpu_min_after"]].to_numpy()).any():
        print("(per CPU minute: NaN where a run's cost is unknown)", file=sys.stderr)


if __name__ == "__main__":
    main()
