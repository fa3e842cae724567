"""The campaign view of a set of runs: distinct crystals pooled over seeds and methods.

The same crystal found by two seeds or two methods is one discovery. The S.U.N. candidates
of a system's runs (relaxed, stable, unique within their run, novel) are matched on their
relaxed structures with the project's one matcher, lowest energy above the hull first, so
that each distinct crystal is represented by its best relaxation and lists every method and
seed that found it. Per method, the discovery curve counts the distinct crystals found
against the CPU minutes spent, runs taken in seed order and candidates in relaxation order.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from crystalgan.core.matching import Matcher
from crystalgan.core.structures import structure_from_row
from crystalgan.evaluation.storage import STORAGE_COLUMNS

# with relax.check: the second potential's energy above its hull and its verdict (confirmed: S.U.N.
# by it too); a crystal is confirmed where any of its finds is, at the lowest second energy
CHECK_COLUMNS = ("check_e_above_hull", "confirmed")
DISCOVERY_COLUMNS = [
    "system",
    "crystal",
    "formula",
    "e_above_hull",
    "spacegroup",
    "methods",
    "seeds",
    "n_found",
    "method",
    "seed",
    "candidate",
    "cif",
    *STORAGE_COLUMNS,
    *CHECK_COLUMNS,
]


def discoveries(relaxations: pd.DataFrame) -> pd.DataFrame:
    """One row per distinct S.U.N. crystal of each system (DISCOVERY_COLUMNS), lowest energy
    above the hull first; ``relaxations``: RELAXED rows with the run's system, method and seed.
    ``crystal`` numbers the distinct crystals of a system; ``methods`` and ``seeds`` list who
    found it ("method:seed" pairs in ``seeds``), ``method``, ``seed``, ``candidate`` and ``cif``
    name its best relaxation."""
    rows = []
    for system, group in relaxations[relaxations["sun"]].groupby("system", sort=True):
        for members in pooled(group):
            best = members.iloc[0]
            rows.append(
                {
                    "system": system,
                    "formula": best["formula"],
                    "e_above_hull": float(best["e_above_hull"]),
                    "spacegroup": best["spacegroup"],
                    "methods": ",".join(sorted(set(members["method"]))),
                    "seeds": ",".join(f"{m}:{s}" for m, s in sorted(set(zip(members["method"], members["seed"])))),
                    "n_found": len(members),
                    "method": best["method"],
                    "seed": int(best["seed"]),
                    "candidate": int(best["candidate"]),
                    "cif": best["cif"],
                    **{c: best.get(c, np.nan) for c in STORAGE_COLUMNS},
                    **checked(members),
                }
            )
    table = pd.DataFrame(rows, columns=[c for c in DISCOVERY_COLUMNS if c != "crystal"])
    table = table.sort_values(["system", "e_above_hull", "formula"], kind="stable").reset_index(drop=True)
    table.insert(1, "crystal", table.groupby("system").cumcount() + 1)
    return table


def checked(members: pd.DataFrame) -> dict:
    """CHECK_COLUMNS of a distinct crystal from its finds (NaN where the runs were not checked)."""
    if "confirmed" not in members:
        return dict.fromkeys(CHECK_COLUMNS, np.nan)
    return {"check_e_above_hull": float(members[CHECK_COLUMNS[0]].min()), "confirmed": bool(members["confirmed"].any())}


def pooled(candidates: pd.DataFrame) -> list[pd.DataFrame]:
    """The ``candidates`` (RELAXED rows with method and seed) grouped into distinct crystals:
    each group a frame of the matching rows, lowest energy above the hull first."""
    ordered = candidates.sort_values(["e_above_hull", "method", "seed", "candidate"], kind="stable")
    matcher = Matcher()
    groups: dict[int, list[int]] = {}
    for i, row in ordered.iterrows():
        twin = matcher.unique(structure_from_row(row), i)
        groups.setdefault(i if twin is None else twin, []).append(i)
    return [ordered.loc[members] for members in groups.values()]


def method_counts(table: pd.DataFrame, runs: pd.DataFrame, cost: str = "cpu_min") -> pd.DataFrame:
    """Per system and method of ``runs``, from the campaign list ``table`` (:func:`discoveries`):
    distinct S.U.N. pooled over its seeds (``n_sun_distinct``), those no other method of the
    system found (``n_sun_exclusive``) and distinct S.U.N. per CPU minute of all its runs
    (``n_sun_distinct_per_cpu_min``; ``runs`` gives each run's ``cost``)."""
    rows = []
    for (system, method), spent in runs.groupby(["system", "method"]):
        finders = table["methods"].str.split(",")
        found = table[(table["system"] == system) & pd.Series([method in f for f in finders], index=table.index)]
        exclusive = found[found["methods"] == method]
        minutes = float(spent[cost].sum()) if cost in spent else np.nan
        rows.append(
            {
                "system": system,
                "method": method,
                "n_sun_distinct": len(found),
                "n_sun_exclusive": len(exclusive),
                "n_sun_distinct_per_cpu_min": len(found) / minutes if minutes > 0 else np.nan,
            }
        )
    return pd.DataFrame(rows)


def discovery_curve(relaxations: pd.DataFrame, runs: pd.DataFrame, cost: str = "cpu_min") -> pd.DataFrame:
    """Per system and method, (cpu_min, n_distinct) after each relaxed candidate: runs in seed
    order, each charged its cost before its relaxations (training, generation, filter, its share
    of the hull) and then each relaxation's own CPU seconds, candidates in relaxation order;
    a S.U.N. candidate adds one when it matches no crystal the method found before."""
    rows = []
    for (system, method), spent in runs.sort_values("seed").groupby(["system", "method"], sort=True):
        matcher, minutes, found = Matcher(), 0.0, 0
        rows.append({"system": system, "method": method, "cpu_min": 0.0, "n_distinct": 0})
        for _, run in spent.iterrows():
            mine = relaxations[
                (relaxations["system"] == system)
                & (relaxations["method"] == method)
                & (relaxations["seed"] == run["seed"])
            ]
            relax_min = float(mine["cpu_s"].sum()) / 60
            minutes += max(float(run.get(cost, 0.0)) - relax_min, 0.0)
            for i, row in mine.iterrows():
                minutes += float(row["cpu_s"]) / 60
                if row["sun"] and matcher.unique(structure_from_row(row), i) is None:
                    found += 1
                rows.append({"system": system, "method": method, "cpu_min": minutes, "n_distinct": found})
    return pd.DataFrame(rows, columns=["system", "method", "cpu_min", "n_distinct"])
