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
    CONFIRMED,
    FILTERED,
    HULL,
    LOSSES,
    NEIGHBOURS,
    RELAXED,
    ArtifactError,
    check_same_run,
    read_cpu,
    read_potential,
    read_run,
    read_system,
    read_table,
)
from crystalgan.errors import InputError
from crystalgan.evaluation.campaign import (
    CHECK_COLUMNS,
    DISCOVERY_COLUMNS,
    discoveries,
    discovery_curve,
    method_counts,
)
from crystalgan.evaluation.stability import HULL_TOLERANCE
from crystalgan.evaluation.storage import WINDOW
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
    "n_sun_confirmed",  # with relax.check: S.U.N. by the second potential too
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
        **({"n_sun_confirmed": int(df["confirmed"].sum())} if "confirmed" in df else {}),
        "n_not_p1": int((unique & (df["spacegroup"] != "P1")).sum()),
        "median_e_above_hull": float(df.loc[unique, "e_above_hull"].median()) if unique.any() else np.nan,
        "relax_cpu_s_per_candidate": float(df["cpu_s"].mean()) if len(df) else np.nan,
    }


def with_check(relaxed: pd.DataFrame, confirmed: pd.DataFrame) -> pd.DataFrame:
    """A run's RELAXED rows with the second potential's energy above its hull
    (``check_e_above_hull``, NaN where not re-relaxed) and ``confirmed`` from its CONFIRMED rows."""
    check = confirmed[["candidate", "e_above_hull", "confirmed"]].rename(columns={"e_above_hull": CHECK_COLUMNS[0]})
    out = relaxed.merge(check, on="candidate", how="left")
    return out.assign(confirmed=out["confirmed"].fillna(False).astype(bool))


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


def _pyplot():
    """matplotlib's pyplot on the Agg backend (no display in a workflow job)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: Path, dpi: int = 100) -> None:
    """Save ``fig`` with nothing clipped (titles, legends outside the axes) and close it."""
    fig.savefig(path, dpi=dpi, bbox_inches="tight")
    _pyplot().close(fig)


def formula_text(formula: str, subscripts: bool = True) -> str:
    """The reduced formula of ``formula`` as a hydride's is written, the same in every plot and
    log: the metals in alphabetical order, hydrogen last ("NiPd3H4"); counts as mathtext
    subscripts for a plot ("NiPd$_{3}$H$_{4}$")."""
    from pymatgen.core import Composition

    comp = Composition(formula).reduced_composition
    order = sorted(e.symbol for e in comp if e.symbol != "H") + (["H"] if "H" in comp else [])
    count = "$_{{{:g}}}$" if subscripts else "{:g}"
    return "".join(e + (count.format(comp[e]) if comp[e] != 1 else "") for e in order)


def unordered_pairs(pairs: pd.Series) -> pd.Series:
    """Pair names of the neighbour tables ("atom-neighbour") without their order: "Pd-Ni" and
    "Ni-Pd" are one pair, named with its elements in alphabetical order ("Ni-Pd")."""
    return pairs.map(lambda pair: "-".join(sorted(pair.split("-"))))


def distribution_figure(nn: pd.DataFrame, d1: float, d2: float):
    """Figure 6: histograms of the nearest-neighbour distances of the atoms of valid candidates,
    one panel per system, one series per unordered pair (H-H first), the window [d1, d2] marked."""
    plt = _pyplot()
    from matplotlib.patches import Patch

    systems = sorted(set(nn["system"])) if not nn.empty else []
    fig, axes = plt.subplots(max(len(systems), 1), 1, figsize=(7, 3.2 * max(len(systems), 1)), sharex=True)
    axes = np.atleast_1d(axes)
    bins = np.linspace(d1 - 0.2, d2 + 0.2, 41)
    for ax, system in zip(axes, systems):
        mine = nn[nn["system"] == system]
        pairs = unordered_pairs(mine["pair"])
        for pair in sorted(set(pairs), key=lambda p: (p != "H-H", len(set(p.split("-"))), p)):
            distances = mine.loc[pairs == pair, "distance"]
            ax.hist(distances, bins=bins, histtype="step", linewidth=1.6, label=f"{pair} ({len(distances)})")
        n = len(mine[["method", "seed", "candidate"]].drop_duplicates())
        ax.set_title(f"{system}: {n} valid candidates", fontsize=10)
    for ax in axes:
        ax.axvspan(d1, d2, color="0.93", zorder=0)
        for d, name, side in ((d1, "d1", -1), (d2, "d2", 1)):  # outside the window: no valid distance there
            ax.axvline(d, color="0.35", linestyle="--", linewidth=1)
            ax.annotate(
                f"{name} = {d:g} Å",
                (d, 1),
                xycoords=("data", "axes fraction"),
                xytext=(3 * side, -3),
                textcoords="offset points",
                ha="right" if side < 0 else "left",
                va="top",
                rotation=90,
                fontsize=8,
                color="0.35",
            )
        ax.set_ylabel("atoms")
        handles, labels = ax.get_legend_handles_labels()
        window = Patch(facecolor="0.93", edgecolor="0.35", linestyle="--", label="filter window [d1, d2]")
        ax.legend(
            [*handles, window],
            [*labels, window.get_label()],
            title="pair (atoms)",
            fontsize=8,
            title_fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            borderaxespad=0,
        )
    if not systems:
        axes[0].text(0.5, 0.5, "no valid candidate", ha="center", va="center", transform=axes[0].transAxes)
    axes[-1].set_xlim(bins[0], bins[-1])
    axes[-1].set_xlabel("nearest-neighbour distance (Å)")
    fig.suptitle("Nearest-neighbour distances in the valid candidates (all methods and seeds)", fontsize=11)
    fig.tight_layout()
    return fig


def plot_distributions(nn: pd.DataFrame, out: Path, d1: float, d2: float) -> None:
    """pair_distribution.png: :func:`distribution_figure`."""
    _save(distribution_figure(nn, d1, d2), out)


def run_title(run: dict) -> str:
    """A training run as a plot names it: system, method (stage 1: shared by the methods), seed."""
    method = "stage 1 (shared by the GAN methods)" if run["method"] == STAGE1 else f"{run['method']} (stage 2)"
    return f"{run['system']} · {method} · seed {run['seed']}"


def plot_losses(paths: list[Path], meta: list[dict], out: Path) -> None:
    """Learning curves (per-epoch mean of every loss term) of all training runs (``meta``: the
    run metadata of each losses table, which names its panel: system, method, seed)."""
    plt = _pyplot()
    from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter

    frames = [read_table(p, LOSSES).assign(run=run_title(r)) for p, r in zip(paths, meta)]
    runs = [f for f in frames if not f.empty]
    fig, axes = plt.subplots(len(runs) or 1, 1, figsize=(8, 2.6 * max(len(runs), 1)), squeeze=False)
    for ax, f in zip(axes[:, 0], runs):
        curves = f.groupby(["term", "epoch"])["value"].mean().unstack(0)
        log_scale = bool((curves > 0).all().all())
        curves.plot(ax=ax, logy=log_scale, linewidth=1, marker="." if len(curves) < 3 else None)
        if log_scale:  # plain numbers at 1, 2, 5 x 10^k rather than powers of ten on every minor tick
            ax.yaxis.set_major_locator(LogLocator(subs=(1.0, 2.0, 5.0)))
            ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
            ax.yaxis.set_minor_formatter(NullFormatter())
        ax.set_title(f["run"].iloc[0], fontsize=9)
        ax.set_ylabel("loss (epoch mean)", fontsize=8)
        ax.legend(fontsize=7, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    if not runs:
        axes[0, 0].text(0.5, 0.5, "no training run", ha="center", va="center", transform=axes[0, 0].transAxes)
    fig.tight_layout()
    _save(fig, out, dpi=80)


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
    confirmed: list[Path] = (),
    relax: Relax | None = None,
) -> pd.DataFrame:
    """Write table2.{csv,md}, runs.csv, candidates.csv, nearest_neighbours.csv, the plots and
    summary.md into ``out`` from the runs' ``filtered`` and ``neighbours`` tables; with the
    runs' ``relaxed`` tables and the systems' ``hulls``, relaxed.csv and the plots of
    ``out/relaxation/`` too (``relax``: the relax settings, for its thresholds), and with their
    ``confirmed`` tables (relax.check) the second potential's verdicts."""
    relax = relax or Relax.of()
    if (
        len(filtered) != len(neighbours)
        or (relaxed and len(relaxed) != len(filtered))
        or (confirmed and len(confirmed) != len(relaxed))
    ):
        raise InputError(
            f"{len(filtered)} filtered, {len(neighbours)} neighbour, {len(relaxed)} relaxed and {len(confirmed)} "
            "confirmed tables: one of each per run"
        )
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    losses = list(losses)
    loss_runs = training_runs(losses)
    runs, nn_tables, candidates, relaxations = [], [], [], []
    for k, (path, nn_path) in enumerate(zip(filtered, neighbours)):
        run = read_run(path)
        check_same_run(run, nn_path, *relaxed[k : k + 1], *confirmed[k : k + 1])
        df = read_table(path, FILTERED)
        counts = run_counts(df)
        counts.update({f"cpu_{stage}": s for stage, s in read_cpu(path).items()})
        if relaxed:
            rel = read_table(relaxed[k], RELAXED)
            if confirmed:
                rel = with_check(rel, read_table(confirmed[k], CONFIRMED))
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
        found = discoveries(relaxations)
        table = table.merge(method_counts(found, runs), on=["system", "method"], how="left")
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
        plot_relaxation(relaxations, found, hulls, out / "relaxation", relax)
        if COST in runs:
            plot_discovery(discovery_curve(relaxations, runs), out / "relaxation")
        plot_storage(relaxations, found, out / "relaxation")
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
            *([checked_text(found, read_potential(confirmed[0])), ""] if confirmed else []),
            f"## Distinct S.U.N. crystals, pooled over seeds and methods ({len(found)})",
            "",
            discoveries_markdown(found),
            "",
        ]
    (out / "summary.md").write_text("\n".join(summary))
    log.info("report written to %s\n%s", out, markdown(table))
    if relaxed:
        log.info("%s", best_text(found, out / "discoveries.csv"))
    return table


def plot_relaxation(
    relaxations: pd.DataFrame, found: pd.DataFrame, hulls: dict[str, Path], folder: Path, relax: Relax
) -> None:
    """e_above_hull.png (per method), phase_diagram_<system>.png (each system's hull with its
    distinct S.U.N. crystals ``found``, the campaign list) and best_sun.png (the lowest of them)
    into ``folder``; ``hulls``: each system's hull table."""
    plt = _pyplot()
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
    _save(fig, folder / "e_above_hull.png")
    for system, path in hulls.items():
        metals = read_system(path)
        title = f"{metals['A']}–{metals['B']}–H ({system})"
        if potential := stored_potential(path):
            title += f", relaxed with {potential}"
        figure = phase_diagram_figure(
            read_table(path, HULL), (metals["A"], metals["B"]), found[found["system"] == system], title
        )
        _save(figure, folder / f"phase_diagram_{system}.png", dpi=110)
    plot_best(best_structures(found, relaxations), folder / "best_sun.png")


def stored_potential(path: Path) -> str | None:
    """The potential a hull table names in its metadata, None where it names none."""
    try:
        return read_potential(path)
    except ArtifactError:
        return None


def ternary_xy(formula: str, metals: tuple[str, str]) -> tuple[float, float]:
    """The point of a composition of A-B-H in the Gibbs triangle: A at (0, 0), B at (1, 0),
    H at the top (1/2, sqrt(3)/2)."""
    from pymatgen.core import Composition

    comp = Composition(formula)
    x_b, x_h = comp.get_atomic_fraction(metals[1]), comp.get_atomic_fraction("H")
    return x_b + x_h / 2, x_h * np.sqrt(3) / 2


LEGEND_ON_HULL = "reference on the hull"
LEGEND_ABOVE_HULL = "reference above the hull"
LEGEND_SUN = "S.U.N. crystal (# of discoveries.csv)"
KEY_ROWS = 12  # S.U.N. crystals listed beside a phase diagram


def phase_diagram_figure(hull: pd.DataFrame, metals: tuple[str, str], found: pd.DataFrame, title: str):
    """The Gibbs triangle of a system's hull: the tie lines of pymatgen's PhaseDiagram of the
    relaxed references, references on the hull (labelled) and above it, and the system's
    distinct S.U.N. crystals ``found`` (rows of the campaign list) as stars numbered as in the
    list, listed beside it with their energy above the hull, space group and finders."""
    from itertools import combinations

    from crystalgan.evaluation.stability import phase_diagram

    plt = _pyplot()
    diagram = phase_diagram(hull)
    fig = plt.figure(figsize=(11, 6))
    ax = fig.add_axes((0.02, 0.06, 0.55, 0.84))
    ax.set_xlim(-0.08, 1.08)
    ax.set_ylim(-0.08, np.sqrt(3) / 2 + 0.06)
    ax.set_aspect("equal")
    ax.set_axis_off()
    ax.apply_aspect()  # the final data-to-pixel transform, for placing the labels
    corners = np.array([[0, 0], [1, 0], [0.5, np.sqrt(3) / 2], [0, 0]])
    ax.plot(corners[:, 0], corners[:, 1], color="0.3", linewidth=1.2, zorder=1)
    edges = {tuple(sorted(pair)) for facet in diagram.facets for pair in combinations(facet, 2)}
    for i, j in sorted(edges):
        (x0, y0), (x1, y1) = (ternary_xy(diagram.qhull_entries[k].composition, metals) for k in (i, j))
        ax.plot([x0, x1], [y0, y1], color="0.15", linewidth=1.1, zorder=2)
    stable = diagram.stable_entries
    above = np.array([ternary_xy(e.composition, metals) for e in diagram.all_entries if e not in stable])
    if len(above):
        ax.scatter(*above.T, s=22, facecolor="white", edgecolor="0.55", zorder=3, label=LEGEND_ABOVE_HULL)
    on = {e.composition.reduced_formula: ternary_xy(e.composition, metals) for e in stable}
    ax.scatter(*np.array(list(on.values())).T, s=38, color="black", zorder=4, label=LEGEND_ON_HULL)
    found = found.sort_values("crystal")
    stars = {}  # point: the crystals there
    for crystal, formula in zip(found["crystal"], found["formula"]):
        stars.setdefault(ternary_xy(formula, metals), []).append(str(crystal))
    if stars:
        ax.scatter(
            *np.array(list(stars)).T,
            s=150,
            marker="*",
            color="C3",
            edgecolor="darkred",
            linewidth=0.6,
            zorder=5,
            label=LEGEND_SUN,
        )
    labels = Labels(ax, [*on.values(), *stars])
    centre = np.array([0.5, np.sqrt(3) / 6])
    for formula, xy in on.items():
        corner = formula in ("H2", *metals)  # its element, bold, outside the triangle
        name = ("H" if formula == "H2" else formula) if corner else formula_text(formula)
        away = np.asarray(xy) - centre
        labels.add(
            xy,
            name,
            away / np.linalg.norm(away),
            14 if corner else 8,
            fontsize=13 if corner else 9,
            fontweight="bold" if corner else "normal",
        )
    for xy, crystals in stars.items():
        labels.add(xy, ",".join(crystals), np.array([1.0, 0.6]), 7, fontsize=9, color="darkred", fontweight="bold")
    ax.legend(loc="upper left", fontsize=9, frameon=False, bbox_to_anchor=(-0.01, 1.0))
    fig.suptitle(
        f"{title}: {len(on)} references on the hull, {len(above)} above, {len(found)} S.U.N. crystals", fontsize=11
    )
    key = fig.add_axes((0.58, 0.06, 0.41, 0.84))
    key.set_axis_off()
    key.set_title("distinct S.U.N. crystals (discoveries.csv)", fontsize=10, loc="left")
    if found.empty:
        key.text(0, 0.95, "none", fontsize=9, va="top")
        return fig
    rows = [
        [str(r.crystal), formula_text(r.formula), r.spacegroup, f"{r.e_above_hull * 1000:.0f}", r.methods]
        for r in found.head(KEY_ROWS).itertuples()
    ]
    if len(found) > KEY_ROWS:
        rows.append(["", f"... {len(found) - KEY_ROWS} more", "", "", "in discoveries.csv"])
    table = key.table(
        cellText=rows,
        colLabels=["#", "formula", "space group", "E_hull (meV/atom)", "found by"],
        loc="upper left",
        cellLoc="left",
        colLoc="left",
        edges="horizontal",
    )
    table.auto_set_font_size(False)
    table.set_fontsize(8.5)
    table.auto_set_column_width(range(5))
    table.scale(1, 1.5)
    return fig


class Labels:
    """Labels of the points of a plot that overlap neither each other nor the points: each at
    the first free place of several around its point (the preferred direction first)."""

    def __init__(self, ax, points: list):
        self.ax = ax
        self.renderer = ax.figure.canvas.get_renderer()
        self.taken = [self._box(xy, 5) for xy in points]  # the markers

    def _box(self, xy, half: float):
        from matplotlib.transforms import Bbox

        x, y = self.ax.transData.transform(xy)
        return Bbox([[x - half, y - half], [x + half, y + half]])

    def add(self, xy, text: str, direction: np.ndarray, distance: float, **style) -> None:
        """Label the point ``xy``, preferably ``distance`` points away towards ``direction``."""
        turns = (0, 45, -45, 90, -90, 135, -135, 180)
        tries = [(np.deg2rad(t), f) for f in (1.0, 1.8) for t in turns]
        angle = np.arctan2(direction[1], direction[0])
        first = None
        for turn, far in tries:
            dx, dy = np.cos(angle + turn) * distance * far, np.sin(angle + turn) * distance * far
            label = self.ax.annotate(
                text,
                xy,
                xytext=(dx, dy),
                textcoords="offset points",
                zorder=6,
                ha="left" if dx > 0.3 * distance else "right" if dx < -0.3 * distance else "center",
                va="bottom" if dy > 0.3 * distance else "top" if dy < -0.3 * distance else "center",
                **style,
            )
            box = label.get_window_extent(self.renderer)
            if not any(box.overlaps(other) for other in self.taken):
                self.taken.append(box)
                if first is not None:
                    first.remove()
                return
            if first is None:
                first = label  # kept where no place is free
            else:
                label.remove()
        self.taken.append(first.get_window_extent(self.renderer))


def best_structures(found: pd.DataFrame, relaxations: pd.DataFrame, n: int = 4) -> pd.DataFrame:
    """The ``n`` first crystals of the campaign list ``found`` (the lowest energies above the
    hull), each with its best relaxation's row of the relaxed tables (its structure)."""
    if found.empty:
        return found
    best = found.sort_values("e_above_hull", kind="stable").head(n)
    keys = ["system", "method", "seed", "candidate"]
    extra = [c for c in relaxations if c not in best or c in keys]
    return best.merge(relaxations[extra], on=keys, how="left")


def plot_best(best: pd.DataFrame, path: Path) -> None:
    """best_sun.png: :func:`best_figure`."""
    _save(best_figure(best), path, dpi=100)


def best_figure(best: pd.DataFrame):
    """Pictures (ASE, 2 x 2 x 1 cells) of relaxed S.U.N. crystals from their rows (rows of the
    campaign list with their relaxed structure: no file is read), titled with the formula, the
    energy above the hull, the space group and the run that found it, and a key of the
    elements' colours."""
    from ase import Atoms
    from ase.data import atomic_numbers
    from ase.data.colors import jmol_colors
    from ase.visualize.plot import plot_atoms
    from matplotlib.lines import Line2D

    plt = _pyplot()
    n = max(len(best), 1)
    fig, axes = plt.subplots(1, n, figsize=(3.4 * n, 4.2), squeeze=False)
    elements = []
    for ax, r in zip(axes[0], best.itertuples()):
        cell, positions = np.reshape(r.lattice, (3, 3)), np.reshape(r.cart_coords, (-1, 3))
        atoms = Atoms(symbols=list(r.species), positions=positions, cell=cell, pbc=True)
        plot_atoms(atoms.repeat((2, 2, 1)), ax, rotation="10x,20y,0z", radii=0.4)
        below = " (below the hull)" if r.e_above_hull < 0 else ""
        ax.set_title(
            f"#{r.crystal} {formula_text(r.formula)}   {r.spacegroup}\n"
            f"E_hull {r.e_above_hull * 1000:.0f} meV/atom{below}\n"
            f"{r.system} · {r.method} · seed {r.seed} · candidate {r.candidate}",
            fontsize=9,
        )
        ax.set_axis_off()
        elements += [e for e in (r.A, r.B, "H") if e in set(r.species) and e not in elements]
    if best.empty:
        axes[0, 0].text(0.5, 0.5, "no S.U.N. candidate", ha="center", va="center")
        axes[0, 0].set_axis_off()
    handles = [
        Line2D(
            [],
            [],
            marker="o",
            linestyle="",
            markersize=10,
            markeredgecolor="black",
            markerfacecolor=jmol_colors[atomic_numbers[e]],
            label=e,
        )
        for e in elements
    ]
    if handles:
        fig.legend(
            handles=handles,
            loc="lower center",
            ncol=len(handles),
            frameon=False,
            fontsize=10,
            bbox_to_anchor=(0.5, -0.02),
            title="elements (Jmol colours)",
            title_fontsize=9,
        )
    fig.tight_layout(rect=(0, 0.08 if handles else 0, 1, 1))
    return fig


def best_text(found: pd.DataFrame, where: Path, top: int = 5) -> str:
    """The first ``top`` rows of the campaign list as plain text for the log: system, formula,
    energy above the hull, space group, who found it and the CIF of its best relaxation."""
    if found.empty:
        return f"no S.U.N. crystal found ({where} is empty)"
    rows = found.head(top).assign(
        formula=lambda f: [formula_text(x, subscripts=False) for x in f["formula"]],
        e_above_hull=lambda f: (f["e_above_hull"] * 1000).round(0).astype(int),
    )
    rows = rows[["system", "crystal", "formula", "e_above_hull", "spacegroup", "seeds", "cif"]].rename(
        columns={
            "crystal": "#",
            "e_above_hull": "E_hull (meV/atom)",
            "spacegroup": "space group",
            "seeds": "found by",
            "cif": "CIF",
        }
    )
    widths = {c: max(len(c), *(len(str(v)) for v in rows[c])) for c in rows}
    lines = ["  ".join(str(v).ljust(widths[c]) for c, v in row.items()).rstrip() for _, row in rows.iterrows()]
    head = f"best S.U.N. crystals: the first {len(rows)} of {len(found)} in {where}"
    return "\n".join([head, "  ".join(c.ljust(w) for c, w in widths.items()).rstrip(), *lines])


def checked_text(found: pd.DataFrame, potential: str) -> str:
    """How many distinct S.U.N. crystals the second potential confirmed."""
    n = int(found["confirmed"].sum())
    share = f" ({n / len(found):.0%})" if len(found) else ""
    return (
        f"Checked with {potential} (relax.check): {n} of the {len(found)} distinct S.U.N. crystals{share} are "
        f"S.U.N. by {potential} too, each re-relaxed against the hull of {potential} (column confirmed)."
    )


def discoveries_markdown(found: pd.DataFrame, top: int = 20) -> str:
    """The first ``top`` rows of the campaign list as a Markdown table."""
    if found.empty:
        return "None."
    lines = [
        "| system | # | formula | E_hull (meV/atom) | space group | found by | CIF |",
        "|---|---|---|---|---|---|---|",
    ]
    for r in found.head(top).itertuples():
        lines.append(
            f"| {r.system} | {r.crystal} | {formula_text(r.formula, subscripts=False)} | {r.e_above_hull * 1000:.0f} "
            f"| {r.spacegroup} | {r.seeds} | {r.cif} |"
        )
    return "\n".join(lines)


def plot_discovery(curve: pd.DataFrame, folder: Path) -> None:
    """discovery_<system>.png: distinct S.U.N. crystals found against CPU minutes, per method
    (each method's curve ends at the cost of all its runs, marked with its count)."""
    plt = _pyplot()
    from matplotlib.ticker import MaxNLocator

    for system, lines in curve.groupby("system"):
        fig, ax = plt.subplots(figsize=(7, 4))
        for method in [m for m in METHODS if m in set(lines["method"])]:
            mine = lines[lines["method"] == method]
            (line,) = ax.step(
                mine["cpu_min"],
                mine["n_distinct"],
                where="post",
                linewidth=1.6,
                label=f"{method} ({mine['n_distinct'].iloc[-1]} in {mine['cpu_min'].iloc[-1]:.1f} min)",
            )
            ax.plot(mine["cpu_min"].iloc[-1], mine["n_distinct"].iloc[-1], "o", color=line.get_color())
        ax.yaxis.set_major_locator(MaxNLocator(integer=True))
        ax.set_ylim(bottom=-0.2)
        ax.set_xlabel("CPU minutes spent (training, generation, filter, hull share, relaxations)")
        ax.set_ylabel("distinct S.U.N. crystals found")
        ax.set_title(f"{system}: discoveries against cost (higher and further left is better)", fontsize=10)
        ax.legend(
            fontsize=8,
            title="method (found in CPU time)",
            title_fontsize=8,
            loc="upper left",
            bbox_to_anchor=(1.01, 1),
            borderaxespad=0,
        )
        ax.grid(alpha=0.3)
        fig.tight_layout()
        _save(fig, folder / f"discovery_{system}.png")


STORAGE_RANGE = (-100.0, 200.0)  # kJ/mol H2 shown: beyond, a candidate is far from storing hydrogen


def storage_figure(relaxations: pd.DataFrame, found: pd.DataFrame, system: str):
    """Enthalpy of dehydrogenation against gravimetric capacity of a system's relaxed unique
    candidates (grey) and distinct S.U.N. crystals (numbered as in discoveries.csv), the window
    of reversible storage near room temperature (storage.WINDOW) marked; enthalpies beyond
    STORAGE_RANGE (a metal-rich candidate far above the hull, per mol of its little H2) are
    drawn at its edge and counted in the title."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(7, 4.5))
    unique = relaxations[(relaxations["system"] == system) & relaxations["relaxed"] & relaxations["unique"]]
    found = found[found["system"] == system]
    low, high = STORAGE_RANGE
    outside = int(((unique["dh_kj_per_mol_h2"] < low) | (unique["dh_kj_per_mol_h2"] > high)).sum())
    ax.axhspan(*WINDOW, color="C2", alpha=0.15, label=f"reversible near room temperature ({WINDOW[0]:g}-{WINDOW[1]:g})")
    ax.axhline(0, color="0.4", linewidth=0.8)
    ax.plot(unique["wt_h"], unique["dh_kj_per_mol_h2"].clip(low, high), ".", color="0.6", label="relaxed unique")
    ax.plot(found["wt_h"], found["dh_kj_per_mol_h2"].clip(low, high), "*", color="C3", markersize=11, label="S.U.N.")
    for r in found.itertuples():
        if np.isfinite(r.wt_h) and np.isfinite(r.dh_kj_per_mol_h2):
            xy = (r.wt_h, min(max(r.dh_kj_per_mol_h2, low), high))
            ax.annotate(f"{r.crystal}", xy, xytext=(4, 4), textcoords="offset points", fontsize=8)
    ax.set_ylim(low * 1.05, high * 1.05)
    ax.set_xlabel("gravimetric capacity (wt% H)")
    ax.set_ylabel("dehydrogenation enthalpy (kJ/mol H2)")
    beyond = f"; {outside} beyond {low:g} to {high:g}, drawn at the edge" if outside else ""
    ax.set_title(f"{system}: how strongly each candidate binds its hydrogen{beyond}", fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1), borderaxespad=0)
    ax.grid(alpha=0.3)
    fig.tight_layout()
    return fig


def plot_storage(relaxations: pd.DataFrame, found: pd.DataFrame, folder: Path) -> None:
    """storage_<system>.png of every system: :func:`storage_figure`."""
    for system in sorted(set(relaxations["system"])):
        _save(storage_figure(relaxations, found, system), folder / f"storage_{system}.png")
