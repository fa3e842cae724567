"""Report: the paper's Table 2 over systems x methods x seeds, the valid unique ternaries
(formula, space group, novelty), nearest-neighbour tables of the valid candidates (the
paper's Figure 5), pair-distribution histograms (Figure 6) and learning curves."""

from __future__ import annotations

import logging
from pathlib import Path

import numpy as np
import pandas as pd

from crystalgan.artifacts import FILTERED, LOSSES, read_json, read_structures, read_table

log = logging.getLogger(__name__)

METHOD_ORDER = ("gan", "discogan", "crystalgan_nogeo", "crystalgan", "substitution", "random")
# Paper Table 2 (Nouira et al. 2019): good-quality ternaries per method, keyed by the metal pair.
PAPER_TABLE2 = {
    frozenset({"Pd", "Ni"}): {"gan": 0, "discogan": 0, "crystalgan_nogeo": 4, "crystalgan": 9},
    frozenset({"Mg", "Ti"}): {"gan": 0, "discogan": 0, "crystalgan_nogeo": 2, "crystalgan": 8},
}
COUNTS = ("n_candidates", "n_ternary", "n_valid", "n_valid_unique", "n_novel", "n_novel_framework", "n_valid_data_bounds")


def run_of(path: Path) -> dict:
    """System, method and seed of ``results/<system>/<method>/seed<k>/filtered.parquet``."""
    path = Path(path)
    info = read_json(path.parent / "candidates.json")
    return {"system": info["system"], "method": info["method"], "seed": int(info["seed"]), "A": info["A"], "B": info["B"]}


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
    for (system, method), g in grouped:
        row = {"system": system, "method": method, "seeds": len(g)}
        for c in COUNTS:
            row[f"{c}_mean"] = float(g[c].mean())
            row[f"{c}_std"] = float(g[c].std(ddof=0))
        paper = PAPER_TABLE2.get(frozenset({g["A"].iloc[0], g["B"].iloc[0]}), {})
        row["paper_n_valid"] = paper.get(method, np.nan)
        rows.append(row)
    out = pd.DataFrame(rows)
    out["_m"] = out["method"].map({m: i for i, m in enumerate(METHOD_ORDER)})
    return out.sort_values(["system", "_m"]).drop(columns="_m").reset_index(drop=True)


def markdown(table: pd.DataFrame) -> str:
    """Table 2 as Markdown: mean ± std over seeds, the paper's count beside n_valid."""
    head = ["system", "method", "seeds", *COUNTS, "paper (n_valid)"]
    lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
    for _, r in table.iterrows():
        cells = [r["system"], r["method"], str(r["seeds"])]
        cells += [f"{r[f'{c}_mean']:.1f} ± {r[f'{c}_std']:.1f}" for c in COUNTS]
        cells.append("" if pd.isna(r["paper_n_valid"]) else str(int(r["paper_n_valid"])))
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines) + "\n"


def neighbour_table(df: pd.DataFrame, path: Path, run: dict, d2: float) -> pd.DataFrame:
    """Figure 5 format for the valid unique candidates of one run (its filtered table ``df``,
    read from ``path``): atom, neighbour, distance."""
    from crystalgan.filter import nearest_neighbours

    keep = df[df["valid"] & df["unique"]]
    if keep.empty:
        return pd.DataFrame(columns=["system", "method", "seed", "candidate", "atom", "neighbour", "pair", "distance"])
    x, counts = read_structures(Path(path).parent / "candidates.npy")
    names = ("H", run["A"], run["B"])
    rows = []
    for k in keep["candidate"]:
        n = counts[k]
        species = np.repeat(np.arange(3), n)
        coords = np.vstack([x[k, slot, : n[slot - 1]] for slot in (1, 2, 3)]).astype(float)
        nn, neighbour, _ = nearest_neighbours(x[k, 0, :3].astype(float), coords, species, 2 * d2)
        label = [f"{names[s]}{i - int(np.sum(n[:s]))}" for i, s in enumerate(species)]
        for i in range(len(species)):
            j = neighbour[i]
            rows.append(
                (run["system"], run["method"], run["seed"], int(k), label[i], label[j],
                 f"{names[species[i]]}-{names[species[j]]}", float(nn[i]))
            )
    return pd.DataFrame(rows, columns=["system", "method", "seed", "candidate", "atom", "neighbour", "pair", "distance"])


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
    lines = ["| system | method | formula | space group | valid unique | novel framework |", "|---|---|---|---|---|---|"]
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


def report(filtered: list[Path], out: Path, d1: float, d2: float, losses: list[Path] = ()) -> pd.DataFrame:
    """Write table2.{csv,md}, runs.csv, candidates.csv, nearest_neighbours.csv, the plots and
    summary.md into ``out``."""
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    runs, nn_tables, candidates = [], [], []
    for path in filtered:
        run = run_of(path)
        df = read_table(path, FILTERED)
        runs.append({**run, **run_counts(df)})
        candidates.append(unique_candidates(df, run))
        nn_tables.append(neighbour_table(df, path, run, d2))
    runs = pd.DataFrame(runs)
    table = table2(runs)
    runs.to_csv(out / "runs.csv", index=False)
    table.to_csv(out / "table2.csv", index=False)
    (out / "table2.md").write_text(markdown(table))
    candidates = pd.concat(candidates, ignore_index=True)
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
    (out / "summary.md").write_text("\n".join(summary))
    log.info("report written to %s\n%s", out, markdown(table))
    return table
