"""StructureMatcher uniqueness and novelty of one run's candidates, with the shortcuts and
without them, in one process pool each:

    python benchmarks/matching.py results/PdNiH/crystalgan/seed10 results/PdNiH/curated/{AH,BH}.parquet

prints the time of both and whether their tables are identical (``Catalogue.proven`` and the
skipped primitive search only save work: they must not change a verdict). Without them every
same-formula, same-size pair goes to ``fit`` and every cell through ``get_primitive_structure``.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from crystalgan import matching
from crystalgan.core.artifacts import FILTERED, read_json, read_structures, read_table
from crystalgan.evaluation.filter import binary_structures


def plain_reduced(s):
    return s.get_reduced_structure(reduction_algo="niggli").get_primitive_structure()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="a run folder: candidates.npy, candidates_counts.npy, filtered.parquet")
    p.add_argument("curated", type=Path, nargs="+", help="the system's curated AH.parquet and BH.parquet")
    p.add_argument("--processes", type=int, default=2)
    args = p.parse_args()
    x, counts = read_structures(args.run / "candidates.npy", args.run / "candidates_counts.npy")
    info = read_json(args.run / "candidates.json")
    verdicts = read_table(args.run / "filtered.parquet", FILTERED)[["candidate", "valid"]]
    training = binary_structures(args.curated)
    fast = matching.Catalogue.proven, matching.reduced
    plain = (lambda *a: None), plain_reduced
    tables = {}
    for name, (proven, reduced) in (("with shortcuts", fast), ("without", plain)):
        matching.Catalogue.proven, matching.reduced = proven, reduced
        df = verdicts.copy()
        for column in matching.MATCH_COLUMNS:
            df[column] = None
        t0 = time.perf_counter()
        matching.mark_novelty(df, x, counts, info["A"], info["B"], training, args.processes)
        tables[name] = df
        print(
            f"{name}: {time.perf_counter() - t0:.1f} s for {int(df['valid'].sum())} valid, "
            f"{int(df['unique'].eq(True).sum())} unique ({args.processes} processes)"
        )
    print("identical tables:", tables["with shortcuts"].equals(tables["without"]))


if __name__ == "__main__":
    main()
