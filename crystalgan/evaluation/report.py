"""Report: the paper's Table 2 over systems x methods x seeds, the valid unique ternaries
(formula, space group, unseen in training), nearest-neighbour tables of the valid candidates (the
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
    ArtifactError,
    check_same_run,
    read_cpu,
    read_run,
    read_system,
    read_table,
)
from crystalgan.errors import InputError
from crystalgan.evaluation.campaign import DISCOVERY_COLUMNS, discoveries, discovery_curve, method_counts
from crystalgan.evaluation.stability import HULL_TOLERANCE
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
    "n_unseen",
    "n_unseen_framework",
    "n_valid_data_bounds",
)


RELAX_COUNTS = (
    "n_relaxed",
    "n_relaxed_unique",
    "n_stable",
    "n_sun",
    "n_sun_strict",
    "n_on_hull",
    "n_below_hull",
    "n_rediscovered",
    "n_not_p1",
    "median_e_above_hull",
    "relax_cpu_s_per_candidate",
)
COST = "cpu_min"  # CPU minutes a run cost: see run_cpu_minutes
STAGE1 = "stage1"  # the method a stage-1 losses table names in its run metadata (stage 1 serves every method)
PER_CPU_MIN = ("n_valid_unique", "n_sun", "n_sun_strict")  # yields also given per CPU minute
# per method, over all its seeds (crystalgan.evaluation.campaign): distinct S.U.N. crystals, those
# no other method found, and distinct ones per CPU minute of all its runs
POOLED = ("n_sun_distinct", "n_sun_exclusive", "n_sun_distinct_per_cpu_min")
DIGITS = {"median_e_above_hull": 3, "relax_cpu_s_per_candidate": 1, COST: 1}  # others: counts


def training_runs(losses: list[Path]) -> list[dict]:
    """The run metadata of each losses table: its system, method ("stage1" for stage 1) and
    seed; ArtifactError naming a table without it."""
    return [read_run(path) for path in losses]


def training_cpu(losses: list[Path], runs: list[dict]) -> dict[tuple, float]:
    """CPU seconds of each training from its losses table's metadata (``runs``: of each table,
    :func:`training_runs`), keyed (system, seed) for stage 1 and (system, method, seed) for
    stage 2."""
    out = {}
    for path, run in zip(losses, runs):
        cpu = read_cpu(path)
        if run["method"] == STAGE1 and "stage1" in cpu:
            out[(run["system"], int(run["seed"]))] = cpu["stage1"]
        elif run["method"] != STAGE1 and "stage2" in cpu:
            out[(run["system"], run["method"], int(run["seed"]))] = cpu["stage2"]
    return out


def system_hulls(hulls: list[Path], runs: pd.DataFrame) -> dict[str, Path]:
    """Each system's hull table by the system its metadata names; ArtifactError where two
    name the same system or where a hull's metals are not those of its system's runs."""
    out = {}
    for path in hulls:
        found = read_system(path)
        system, metals = found["system"], (found["A"], found["B"])
        if system in out:
            raise ArtifactError(f"{path}: a second hull of system {system} (the first: {out[system]})")
        mine = runs[runs["system"] == system]
        if len(mine) and (mine["A"].iloc[0], mine["B"].iloc[0]) != metals:
            raise ArtifactError(
                f"{path}: a hull of system {system} with metals {'-'.join(metals)}, "
                f"its runs have {mine['A'].iloc[0]}-{mine['B'].iloc[0]}"
            )
        out[system] = Path(path)
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
    at the ``strict`` threshold), on or below the hull (within HULL_TOLERANCE) and below it
    (beyond it), rediscovered known phases, not P1; the median energy above the hull of the
    relaxed unique ones and the relaxation CPU seconds per candidate."""
    unique = df["relaxed"] & df["unique"]
    return {
        "n_relaxed": int(df["relaxed"].sum()),
        "n_relaxed_unique": int(unique.sum()),
        "n_stable": int((unique & df["stable"]).sum()),
        "n_sun": int(df["sun"].sum()),
        "n_sun_strict": int((df["sun"] & (df["e_above_hull"] <= strict)).sum()),
        "n_on_hull": int((unique & (df["e_above_hull"] <= HULL_TOLERANCE)).sum()),
        "n_below_hull": int((unique & (df["e_above_hull"] < -HULL_TOLERANCE)).sum()),
        "n_rediscovered": int((unique & (df["rediscovered"] != "")).sum()),
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
        "n_unseen": int((valid_unique & df["unseen"]).sum()),
        "n_unseen_framework": int((valid_unique & df["unseen_framework"]).sum()),
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
    pooled = [c for c in POOLED if c in table]
    head = ["system", "method", "seeds", *counts, *rates, *pooled, "paper (n_valid)"]
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
        cells += ["" if pd.isna(r[c]) else (f"{r[c]:.2f}" if c.endswith("cpu_min") else f"{r[c]:g}") for c in pooled]
        cells.append("" if pd.isna(r["paper_n_valid"]) else str(int(r["paper_n_valid"])))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


STRUCTURE_COLUMNS = ["lattice", "species", "cart_coords"]  # of a relaxed structure, in the relaxed tables
CANDIDATE_COLUMNS = ["candidate", "formula", "spacegroup", "unseen", "unseen_framework", "valid_data_bounds", "poscar"]


def unique_candidates(df: pd.DataFrame, run: dict) -> pd.DataFrame:
    """The valid unique ternaries of one run: formula, space group, unseen in training, POSCAR path."""
    keep = df.loc[df["valid"] & df["unique"], CANDIDATE_COLUMNS]
    return keep.assign(system=run["system"], method=run["method"], seed=run["seed"])[
        ["system", "method", "seed", *CANDIDATE_COLUMNS]
    ]


def structure_types(candidates: pd.DataFrame, top: int = 15) -> str:
    """Markdown: per system and method, the most frequent formula + space group of the valid
    unique ternaries (all seeds), with how many of them are unseen frameworks."""
    if candidates.empty:
        return "No valid unique ternaries.\n"
    counts = (
        candidates.groupby(["system", "method", "formula", "spacegroup"])
        .agg(count=("candidate", "size"), unseen_framework=("unseen_framework", "sum"))
        .reset_index()
        .sort_values(["system", "method", "count"], ascending=[True, True, False])
        .groupby(["system", "method"])
        .head(top)
    )
    lines = [
        "| system | method | formula | space group | valid unique | unseen framework |",
        "|---|---|---|---|---|---|",
    ]
    lines += [
        f"| {r.system} | {r.method} | {r.formula} | {r.spacegroup} | {r.count} | {r.unseen_framework} |"
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


def plot_losses(paths: list[Path], meta: list[dict], out: Path) -> None:
    """Learning curves (per-epoch mean of every loss term) of all training runs (``meta``: the
    run metadata of each losses table, which names its curves)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    frames = [
        read_table(p, LOSSES).assign(run=f"{r['system']}/{r['method']}/seed{r['seed']}") for p, r in zip(paths, meta)
    ]
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
    losses = list(losses)
    loss_runs = training_runs(losses)
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
            relaxations.append(rel.assign(**run))
        runs.append({**run, **counts})
        candidates.append(unique_candidates(df, run))
        nn = read_table(nn_path, NEIGHBOURS).assign(system=run["system"], method=run["method"], seed=run["seed"])
        nn_tables.append(nn[["system", "method", "seed", *NEIGHBOURS.names]])
    runs = pd.DataFrame(runs)
    hulls = system_hulls(hulls, runs)
    if {"cpu_generate", "cpu_filter"} <= set(runs):
        hull_cpu = {system: read_cpu(h).get("hull", np.nan) for system, h in hulls.items()}
        runs[COST] = run_cpu_minutes(runs, training_cpu(losses, loss_runs), hull_cpu)
    table = table2(runs)
    if relaxed:
        relaxations = pd.concat(relaxations, ignore_index=True)
        pooled = method_counts(relaxations, runs)
        table = table.merge(pooled, on=["system", "method"], how="left")
        found = discoveries(relaxations)
    else:
        found = pd.DataFrame(columns=DISCOVERY_COLUMNS)
    found.to_csv(out / "discoveries.csv", index=False)
    runs.to_csv(out / "runs.csv", index=False)
    table.to_csv(out / "table2.csv", index=False)
    (out / "table2.md").write_text(markdown(table))
    candidates = pd.concat(candidates, ignore_index=True)
    (out / "relaxation").mkdir(exist_ok=True)
    if relaxed:
        relaxations.drop(columns=STRUCTURE_COLUMNS).to_csv(out / "relaxed.csv", index=False)
        columns = ["system", "method", "seed", "candidate", "e_above_hull", "spacegroup", "sun", "cif"]
        after = relaxations[columns].rename(columns={"spacegroup": "relaxed_spacegroup"})
        candidates = candidates.merge(after, on=["system", "method", "seed", "candidate"], how="left")
        plot_relaxation(
            relaxations,
            [read_table(h, HULL).assign(system=system) for system, h in hulls.items()],
            out / "relaxation",
            relax,
        )
        if COST in runs:
            plot_discovery(discovery_curve(relaxations, runs), out / "relaxation")
    candidates.to_csv(out / "candidates.csv", index=False)
    nn = pd.concat(nn_tables, ignore_index=True)
    nn.to_csv(out / "nearest_neighbours.csv", index=False)
    plot_distributions(nn, out / "pair_distribution.png", d1, d2)
    plot_losses(losses, loss_runs, out / "losses.png")
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
            f"(strict: {relax.strict}); S.U.N.: stable, unique and novel after relaxation (novel: matching no "
            f"relaxed phase of the hull: training binaries, intermetallics, known phases); on the hull: within "
            f"{HULL_TOLERANCE * 1000:g} meV/atom.",
            "",
            f"## Distinct S.U.N. crystals, pooled over seeds and methods ({len(found)})",
            "",
            discoveries_markdown(found),
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
    """Pictures (ASE) of the given relaxed S.U.N. structures (from their rows of the relaxed
    tables, not the files beside them), with formula, space group and energy."""
    import matplotlib.pyplot as plt
    from ase import Atoms
    from ase.visualize.plot import plot_atoms

    fig, axes = plt.subplots(1, max(len(best), 1), figsize=(3.2 * max(len(best), 1), 3.4), squeeze=False)
    for ax, r in zip(axes[0], best.itertuples()):
        cell, positions = np.reshape(r.lattice, (3, 3)), np.reshape(r.cart_coords, (-1, 3))
        atoms = Atoms(symbols=list(r.species), positions=positions, cell=cell, pbc=True)
        plot_atoms(atoms.repeat((2, 2, 1)), ax, rotation="10x,20y,0z", radii=0.4)
        ax.set_title(f"{r.formula} {r.spacegroup}\n{r.e_above_hull:.3f} eV/atom ({r.method})", fontsize=8)
        ax.set_axis_off()
    if best.empty:
        axes[0, 0].text(0.5, 0.5, "no S.U.N. candidate", ha="center")
        axes[0, 0].set_axis_off()
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)


def discoveries_markdown(found: pd.DataFrame, top: int = 20) -> str:
    """The first ``top`` rows of the campaign list as a Markdown table."""
    if found.empty:
        return "None."
    lines = [
        "| system | # | formula | E_hull (eV/atom) | space group | found by | CIF |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in found.head(top).itertuples():
        lines.append(
            f"| {r.system} | {r.crystal} | {r.formula} | {r.e_above_hull:.3f} | {r.spacegroup} | {r.seeds} | {r.cif} |"
        )
    return "\n".join(lines)


def plot_discovery(curve: pd.DataFrame, folder: Path) -> None:
    """discovery_<system>.png: distinct S.U.N. crystals found against CPU minutes, per method."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    for system, lines in curve.groupby("system"):
        fig, ax = plt.subplots(figsize=(6, 4))
        for method in [m for m in METHODS if m in set(lines["method"])]:
            mine = lines[lines["method"] == method]
            ax.step(mine["cpu_min"], mine["n_distinct"], where="post", label=method)
        ax.set_xlabel("CPU minutes (training, generation, filter, hull share, relaxations)")
        ax.set_ylabel("distinct S.U.N. crystals")
        ax.set_title(f"{system}: discoveries against cost")
        ax.legend(fontsize=8)
        fig.tight_layout()
        fig.savefig(folder / f"discovery_{system}.png", dpi=100)
        plt.close(fig)
