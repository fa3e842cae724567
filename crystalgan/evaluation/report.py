"""Report: the paper's Table 2 over systems x methods x seeds, the valid unique ternaries
(formula, space group, novelty), nearest-neighbour tables of the valid candidates (the
paper's Figure 5), pair-distribution histograms (Figure 6) and learning curves; with the
relax stage, Table 2's physical columns (stable, S.U.N., symmetry after relaxation), the
energies above the hull per method, each system's phase diagram with its S.U.N. candidates
and pictures of the best of them."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from crystalgan.core.artifacts import (
    FILTERED,
    HULL,
    LOSSES,
    NEIGHBOURS,
    RELAXED,
    check_same_run,
    read_cpu,
    read_run,
    read_table,
)
from crystalgan.errors import InputError
from crystalgan.methods import METHODS
from crystalgan.settings import Relax

log = logging.getLogger(__name__)

# Paper Table 2 (Nouira et al. 2019): good-quality ternaries per method, keyed by the metal pair.
PAPER_TABLE2 = {
    frozenset({"Pd", "Ni"}): {"gan": 0, "discogan": 0, "crystalgan_nogeo": 4, "crystalgan": 9},
    frozenset({"Mg", "Ti"}): {"gan": 0, "discogan": 0, "crystalgan_nogeo": 2, "crystalgan": 8},
}
COUNTS = (
    "n_candidates",
    "n_ternary",
    "n_valid",
    "n_valid_unique",
    "n_novel",
    "n_novel_framework",
    "n_valid_data_bounds",
)


RELAX_COUNTS = (
    "n_relaxed",
    "n_relaxed_unique",
    "n_stable",
    "n_sun",
    "n_sun_strict",
    "n_below_hull",
    "n_not_p1",
    "median_e_above_hull",
    "relax_cpu_s_per_candidate",
)
COST = "cpu_min"  # CPU minutes a run cost: see run_cpu_minutes
PER_CPU_MIN = ("n_valid_unique", "n_sun", "n_sun_strict")  # yields also given per CPU minute
DIGITS = {"median_e_above_hull": 3, "relax_cpu_s_per_candidate": 1, COST: 1}  # others: counts


def training_cpu(losses: list[Path]) -> dict[tuple, float]:
    """CPU seconds of each training from its losses table's metadata, keyed by its place in
    the results layout: (system, seed) for results/<system>/seed<k>/stage1/losses.parquet,
    (system, method, seed) for results/<system>/<method>/seed<k>/stage2/losses.parquet."""
    out = {}
    for path in map(Path, losses):
        cpu = read_cpu(path)
        stage, seed = path.parent.name, path.parent.parent.name.removeprefix("seed")
        if stage == "stage1" and "stage1" in cpu:
            out[(path.parents[2].name, int(seed))] = cpu["stage1"]
        elif stage == "stage2" and "stage2" in cpu:
            out[(path.parents[3].name, path.parents[2].name, int(seed))] = cpu["stage2"]
    return out


def run_cpu_minutes(runs: pd.DataFrame, training: dict[tuple, float], hull: dict[str, float]) -> pd.Series:
    """CPU minutes of every run (rows with system, method, seed and the CPU seconds of its own
    stages): generation, filter and relaxation; the stage-2 training of its method; stage 1 for
    every method that learns (a baseline learns nothing); and a share of its system's hull
    (each method's seeds pay it once). NaN where a part is unknown."""
    seeds = runs.groupby(["system", "method"])["seed"].transform("count")
    minutes = []
    for (_, r), n in zip(runs.iterrows(), seeds):
        spec = METHODS[r["method"]]
        s = r["cpu_generate"] + r["cpu_filter"]
        if "cpu_relax" in r:
            s += r["cpu_relax"] + hull.get(r["system"], np.nan) / n
        if spec.model == "stage2":
            s += training.get((r["system"], r["method"], r["seed"]), np.nan)
        if spec.model != "baseline":
            s += training.get((r["system"], r["seed"]), np.nan)
        minutes.append(s / 60)
    return pd.Series(minutes, index=runs.index, dtype=float)


def relaxed_counts(df: pd.DataFrame, strict: float) -> dict:
    """Counts of one run's relaxed table: relaxed, unique after relaxation, stable, S.U.N. (and
    at the ``strict`` threshold), on or below the hull, not P1; the median energy above the
    hull of the relaxed unique ones and the relaxation CPU seconds per candidate."""
    unique = df["relaxed"] & df["unique"]
    return {
        "n_relaxed": int(df["relaxed"].sum()),
        "n_relaxed_unique": int(unique.sum()),
        "n_stable": int((unique & df["stable"]).sum()),
        "n_sun": int(df["sun"].sum()),
        "n_sun_strict": int((df["sun"] & (df["e_above_hull"] <= strict)).sum()),
        "n_below_hull": int((unique & (df["e_above_hull"] <= 0)).sum()),
        "n_not_p1": int((unique & (df["spacegroup"] != "P1")).sum()),
        "median_e_above_hull": float(df.loc[unique, "e_above_hull"].median()) if unique.any() else np.nan,
        "relax_cpu_s_per_candidate": float(df["cpu_s"].mean()) if len(df) else np.nan,
    }


def run_counts(df: pd.DataFrame) -> dict:
    """Counts of one run's filtered table."""
    valid_unique = df["valid"] & df["unique"]
    return {
        "n_candidates": len(df),
        "n_ternary": int(df["is_ternary"].sum()),
        "n_valid": int(df["valid"].sum()),
        "n_valid_unique": int(valid_unique.sum()),
        "n_novel": int((valid_unique & df["novel"]).sum()),
        "n_novel_framework": int((valid_unique & df["novel_framework"]).sum()),
        "n_valid_data_bounds": int(df["valid_data_bounds"].sum()),
    }


def table2(runs: pd.DataFrame) -> pd.DataFrame:
    """Mean and std over seeds of every count, per system x method, with the paper's number."""
    grouped = runs.groupby(["system", "method"], sort=False)
    rows = []
    counts = [c for c in (*COUNTS, *RELAX_COUNTS, COST) if c in runs]
    for (system, method), g in grouped:
        row = {"system": system, "method": method, "seeds": len(g)}
        for c in counts:
            row[f"{c}_mean"] = float(g[c].mean())
            row[f"{c}_std"] = float(g[c].std(ddof=0))
        for c in PER_CPU_MIN:
            if c in runs and COST in runs:
                row[f"{c}_per_cpu_min"] = row[f"{c}_mean"] / row[f"{COST}_mean"]
        paper = PAPER_TABLE2.get(frozenset({g["A"].iloc[0], g["B"].iloc[0]}), {})
        row["paper_n_valid"] = paper.get(method, np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["_m"] = out["method"].map({m: i for i, m in enumerate(METHODS)})
    return out.sort_values(["system", "_m"]).drop(columns="_m").reset_index(drop=True)


def markdown(table: pd.DataFrame) -> str:
    """Table 2 as Markdown: counts of a single seed, mean ± std over several, yields per CPU
    minute (mean yield over mean cost); the paper's count beside n_valid."""
    counts = [c for c in (*COUNTS, *RELAX_COUNTS, COST) if f"{c}_mean" in table]
    rates = [f"{c}_per_cpu_min" for c in PER_CPU_MIN if f"{c}_per_cpu_min" in table]
    head = ["system", "method", "seeds", *counts, *rates, "paper (n_valid)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        cells = [r["system"], r["method"], str(r["seeds"])]
        for c in counts:
            mean, std = r[f"{c}_mean"], r[f"{c}_std"]
            digits = DIGITS.get(c, 1)
            if pd.isna(mean):
                cells.append("")
            elif r["seeds"] == 1:
                cells.append(f"{mean:.{digits}f}" if c in DIGITS else f"{mean:g}")
            else:
                cells.append(f"{mean:.{digits}f} ± {std:.{digits}f}")
        cells += ["" if pd.isna(r[c]) else f"{r[c]:.2f}" for c in rates]
        cells.append("" if pd.isna(r["paper_n_valid"]) else str(int(r["paper_n_valid"])))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


CANDIDATE_COLUMNS = ["candidate", "formula", "spacegroup", "novel", "novel_framework", "valid_data_bounds", "poscar"]


def unique_candidates(df: pd.DataFrame, run: dict) -> pd.DataFrame:
    """The valid unique ternaries of one run: formula, space group, novelty, POSCAR path."""
    keep = df.loc[df["valid"] & df["unique"], CANDIDATE_COLUMNS]
    return keep.assign(system=run["system"], method=run["method"], seed=run["seed"])[
        ["system", "method", "seed", *CANDIDATE_COLUMNS]
    ]


def structure_types(candidates: pd.DataFrame, top: int = 15) -> str:
    """Markdown: per system and method, the most frequent formula + space group of the valid
    unique ternaries (all seeds), with how many of them are novel frameworks."""
    if candidates.empty:
        return "No valid unique ternaries.\n"
    counts = (
        candidates.groupby(["system", "method", "formula", "spacegroup"])
        .agg(count=("candidate", "size"), novel_framework=("novel_framework", "sum"))
        .reset_index()
        .sort_values(["system", "method", "count"], ascending=[True, True, False])
        .groupby(["system", "method"])
        .head(top)
    )
    lines = [
        "| system | method | formula | space group | valid unique | novel framework |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.system} | {r.method} | {r.formula} | {r.spacegroup} | {r.count} | {r.novel_framework} |"
        for r in counts.itertuples()
    ]
    return "\n".join(lines) + "\n"


def plot_distributions(nn: pd.DataFrame, out: Path, d1: float, d2: float) -> None:
    """Histogram of nearest-neighbour distances of valid candidates per pair type (Figure 6)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots(figsize=(7, 4))
    if not nn.empty:
        bins = np.linspace(d1 - 0.2, d2 + 0.2, 40)
        for pair, g in nn.groupby("pair"):
            ax.hist(g["distance"], bins=bins, histtype="step", label=pair, linewidth=1.5)
        ax.legend(title="pair")
    ax.axvspan(d1, d2, color="0.9", zorder=0)
    ax.set_xlabel("nearest-neighbour distance (Å)")
    ax.set_ylabel("atoms in valid candidates")
    ax.set_title("Pair distribution of valid ternaries (all systems, methods, seeds)")
    fig.tight_layout()
    fig.savefig(out, dpi=100)
    plt.close(fig)


def plot_losses(paths: list[Path], out: Path) -> None:
    """Learning curves (per-epoch mean of every loss term) of all training runs."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = [read_table(p, LOSSES).assign(run=str(Path(p).parent)) for p in paths]
    runs = [f for f in frames if not f.empty]
    fig, axes = plt.subplots(len(runs) or 1, 1, figsize=(8, 2.6 * max(len(runs), 1)), squeeze=False)
    for ax, f in zip(axes[:, 0], runs):
        curves = f.groupby(["term", "epoch"])["value"].mean().unstack(0)
        curves.plot(ax=ax, logy=bool((curves > 0).all().all()), linewidth=1)
        ax.set_title(f["run"].iloc[0], fontsize=9)
        ax.legend(fontsize=7, ncol=4)
    fig.tight_layout()
    fig.savefig(out, dpi=80)
    plt.close(fig)


def report(
    filtered: list[Path],
    neighbours: list[Path],
    *,
    out: Path,
    d1: float,
    d2: float,
    losses: list[Path] = (),
    relaxed: list[Path] = (),
    hulls: list[Path] = (),
    relax: Relax | None = None,
) -> pd.DataFrame:
    """Write table2.{csv,md}, runs.csv, candidates.csv, nearest_neighbours.csv, the plots and
    summary.md into ``out`` from the runs' ``filtered`` and ``neighbours`` tables; with the
    runs' ``relaxed`` tables and the systems' ``hulls``, relaxed.csv and the plots of
    ``out/relaxation/`` too (``relax``: the relax settings, for its thresholds)."""
    relax = relax or Relax.of()
    if len(filtered) != len(neighbours) or (relaxed and len(relaxed) != len(filtered)):
        raise InputError(
            f"{len(filtered)} filtered, {len(neighbours)} neighbour and {len(relaxed)} relaxed tables: "
            "one of each per run"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs, nn_tables, candidates, relaxations = [], [], [], []
    for k, (path, nn_path) in enumerate(zip(filtered, neighbours)):
        run = read_run(path)
        check_same_run(run, nn_path, *relaxed[k : k + 1])
        df = read_table(path, FILTERED)
        counts = run_counts(df)
        counts.update({f"cpu_{stage}": s for stage, s in read_cpu(path).items()})
        if relaxed:
            rel = read_table(relaxed[k], RELAXED)
            counts.update(relaxed_counts(rel, relax.strict))
            counts["cpu_relax"] = read_cpu(relaxed[k]).get("relax", np.nan)
            relaxations.append(rel.drop(columns=["lattice", "species", "cart_coords"]).assign(**run))
        runs.append({**run, **counts})
        candidates.append(unique_candidates(df, run))
        nn = read_table(nn_path, NEIGHBOURS).assign(system=run["system"], method=run["method"], seed=run["seed"])
        nn_tables.append(nn[["system", "method", "seed", *NEIGHBOURS.names]])
    runs = pd.DataFrame(runs)
    if {"cpu_generate", "cpu_filter"} <= set(runs):
        hull_cpu = {Path(h).parent.parent.name: read_cpu(h).get("hull", np.nan) for h in hulls}
        runs[COST] = run_cpu_minutes(runs, training_cpu(losses), hull_cpu)
    table = table2(runs)
    runs.to_csv(out / "runs.csv", index=False)
    table.to_csv(out / "table2.csv", index=False)
    (out / "table2.md").write_text(markdown(table))
    candidates = pd.concat(candidates, ignore_index=True)
    (out / "relaxation").mkdir(exist_ok=True)
    if relaxed:
        relaxations = pd.concat(relaxations, ignore_index=True)
        relaxations.to_csv(out / "relaxed.csv", index=False)
        columns = ["system", "method", "seed", "candidate", "e_above_hull", "spacegroup", "sun", "cif"]
        after = relaxations[columns].rename(columns={"spacegroup": "relaxed_spacegroup"})
        candidates = candidates.merge(after, on=["system", "method", "seed", "candidate"], how="left")
        plot_relaxation(
            relaxations,
            [read_table(h, HULL).assign(system=Path(h).parent.parent.name) for h in hulls],
            out / "relaxation",
            relax,
        )
    candidates.to_csv(out / "candidates.csv", index=False)
    nn = pd.concat(nn_tables, ignore_index=True)
    nn.to_csv(out / "nearest_neighbours.csv", index=False)
    plot_distributions(nn, out / "pair_distribution.png", d1, d2)
    plot_losses(list(losses), out / "losses.png")
    summary = [
        "# CrystalGAN run summary",
        "",
        f"Filter window [d1, d2] = [{d1}, {d2}] Å; {len(runs)} runs.",
        "",
        markdown(table),
        "## Most frequent structure types of the valid unique ternaries",
        "",
        structure_types(candidates),
    ]
    if relaxed:
        summary += [
            f"Relaxed with {relax.potential} (fmax {relax.fmax} eV/Å, at most {relax.steps} steps, "
            f"{relax.max_per_run} per run); stable: E_above_hull <= {relax.stable} eV/atom "
            f"(strict: {relax.strict}); S.U.N.: stable, unique and novel after relaxation.",
            "",
        ]
    (out / "summary.md").write_text("\n".join(summary))
    log.info("report written to %s\n%s", out, markdown(table))
    return table


def plot_relaxation(relaxations: pd.DataFrame, hulls: list[pd.DataFrame], folder: Path, relax: Relax) -> None:
    """e_above_hull.png (per method), phase_diagram_<system>.png with the S.U.N. candidates,
    and best_sun.png (the lowest S.U.N. structures) into ``folder``."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    unique = relaxations[relaxations["relaxed"] & relaxations["unique"]]
    methods = [m for m in METHODS if m in set(unique["method"])]
    fig, ax = plt.subplots(figsize=(7, 4))
    if methods:
        values = [unique.loc[unique["method"] == m, "e_above_hull"].to_numpy() for m in methods]
        ax.boxplot(values, showfliers=False)
        for i, v in enumerate(values, start=1):
            ax.plot(np.full(len(v), i) + np.random.default_rng(i).uniform(-0.15, 0.15, len(v)), v, ".", alpha=0.6)
        ax.set_xticks(range(1, len(methods) + 1), methods)
    ax.axhline(relax.stable, color="C3", linestyle="--", label=f"stable ({relax.stable} eV/atom)")
    ax.axhline(relax.strict, color="C2", linestyle=":", label=f"strict ({relax.strict} eV/atom)")
    ax.set_ylabel("energy above hull (eV/atom)")
    ax.set_title("Relaxed unique candidates (all systems and seeds)")
    ax.legend(fontsize=8)
    fig.tight_layout()
    fig.savefig(folder / "e_above_hull.png", dpi=100)
    plt.close(fig)
    for hull in hulls:
        plot_phase_diagram(hull, relaxations, folder / f"phase_diagram_{hull['system'].iloc[0]}.png")
    plot_best(relaxations[relaxations["sun"]].sort_values("e_above_hull").head(4), folder / "best_sun.png")


def plot_phase_diagram(hull: pd.DataFrame, relaxations: pd.DataFrame, path: Path) -> None:
    """The system's phase diagram of its relaxed references with its S.U.N. candidates added."""
    import matplotlib.pyplot as plt
    from pymatgen.analysis.phase_diagram import PDEntry, PDPlotter, PhaseDiagram
    from pymatgen.core import Composition

    from crystalgan.evaluation.stability import phase_diagram

    references = phase_diagram(hull)
    sun = relaxations[(relaxations["system"] == hull["system"].iloc[0]) & relaxations["sun"]]
    entries = [PDEntry(e.composition, e.energy, name=e.composition.reduced_formula) for e in references.all_entries]
    entries += [
        PDEntry(Composition(r.formula), r.energy_per_atom * r.n_atoms, name=Composition(r.formula).reduced_formula)
        for r in sun.itertuples()
    ]
    plotter = PDPlotter(PhaseDiagram(entries), show_unstable=0.2, backend="matplotlib")
    ax = plotter.get_plot(label_unstable=False)
    fig = ax.figure if hasattr(ax, "figure") else plt.gcf()
    fig.suptitle(f"{hull['system'].iloc[0]}: relaxed references and {len(sun)} S.U.N. candidates", y=0.02, va="bottom")
    fig.savefig(path, dpi=90)
    plt.close(fig)


def plot_best(best: pd.DataFrame, path: Path) -> None:
    """Pictures (ASE) of the given relaxed S.U.N. structures, with formula, space group and energy."""
    import matplotlib.pyplot as plt
    from ase.io import read as ase_read
    from ase.visualize.plot import plot_atoms

    fig, axes = plt.subplots(1, max(len(best), 1), figsize=(3.2 * max(len(best), 1), 3.4), squeeze=False)
    for ax, r in zip(axes[0], best.itertuples()):
        atoms = ase_read(r.poscar, format="vasp")
        plot_atoms(atoms.repeat((2, 2, 1)), ax, rotation="10x,20y,0z", radii=0.4)
        ax.set_title(f"{r.formula} {r.spacegroup}\n{r.e_above_hull:.3f} eV/atom ({r.method})", fontsize=8)
        ax.set_axis_off()
    if best.empty:
        axes[0, 0].text(0.5, 0.5, "no S.U.N. candidate", ha="center")
        axes[0, 0].set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
