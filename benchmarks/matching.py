"""StructureMatcher uniqueness and novelty (:func:`crystalgan.core.matching.mark_novelty`) of
one run's valid candidates, timed:

    python benchmarks/matching.py results/PdNiH/crystalgan/seed10 results/PdNiH/curated/{AH,BH}.parquet \
        --transfer results/PdNiH/seed10/transfer --processes 2 --repeat 3

prints the best time of ``--repeat`` passes (the training references, as the filter stage
gets them: curated binaries and, with ``--transfer``, the stage-2 ternaries). With
``--plain`` it also runs the pass without the shortcuts (``Catalogue.proven`` and the
skipped primitive search) and says whether both tables are identical: the shortcuts only
save work, they must not change a verdict. Without them every same-formula, same-size pair
goes to ``fit`` and every cell through ``get_primitive_structure``. ``--out`` writes the
table (CSV) to compare two versions of the code.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from crystalgan.core import matching
from crystalgan.core.artifacts import FILTERED, read_json, read_structures, read_table
from crystalgan.evaluation.filter import binary_structures, transfer_structures


def plain_reduced(s):
    return s.get_reduced_structure(reduction_algo="niggli").get_primitive_structure()


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("run", type=Path, help="a run folder: candidates.npy, candidates_counts.npy, filtered.parquet")
    p.add_argument("curated", type=Path, nargs="+", help="the system's curated AH.parquet and BH.parquet")
    p.add_argument("--transfer", type=Path, help="the seed's transfer folder (AHB_g, BHA_g): references too")
    p.add_argument("--processes", type=int, default=2)
    p.add_argument("--repeat", type=int, default=1, help="passes with the shortcuts; the best is printed")
    p.add_argument("--plain", action="store_true", help="also one pass without the shortcuts, compared")
    p.add_argument("--out", type=Path, help="CSV of the table (with the shortcuts)")
    args = p.parse_args()
    x, counts = read_structures(args.run / "candidates.npy", args.run / "candidates_counts.npy")
    info = read_json(args.run / "candidates.json")
    verdicts = read_table(args.run / "filtered.parquet", FILTERED)[["candidate", "valid"]]
    training = binary_structures(args.curated)
    if args.transfer:
        domains = [(args.transfer / f"{n}.npy", args.transfer / f"{n}_counts.npy") for n in ("AHB_g", "BHA_g")]
        training += transfer_structures(domains, info["A"], info["B"])

    def one_pass() -> tuple:
        df = verdicts.copy()
        for column in matching.MATCH_COLUMNS:
            df[column] = None
        t0 = time.perf_counter()
        matching.mark_novelty(df, x, counts, info["A"], info["B"], training, args.processes)
        return time.perf_counter() - t0, df

    times, tables = [], {}
    for _ in range(args.repeat):
        seconds, tables["with shortcuts"] = one_pass()
        times.append(seconds)
    df = tables["with shortcuts"]
    print(
        f"with shortcuts: best {min(times):.2f} s of {args.repeat} ({', '.join(f'{t:.2f}' for t in times)}) for "
        f"{int(df['valid'].sum())} valid, {int(df['unique'].eq(True).sum())} unique, "
        f"{int(df['unseen'].eq(True).sum())} unseen, {int(df['unseen_framework'].eq(True).sum())} unseen framework "
        f"({len(training)} references, {args.processes} processes)"
    )
    if args.out:
        df.to_csv(args.out, index=False)
    if args.plain:
        fast = matching.Catalogue.proven, matching.reduced
        matching.Catalogue.proven, matching.reduced = (lambda *a: None), plain_reduced
        try:
            seconds, tables["without"] = one_pass()
        finally:
            matching.Catalogue.proven, matching.reduced = fast
        print(f"without: {seconds:.2f} s")
        print("identical tables:", tables["with shortcuts"].equals(tables["without"]))


if __name__ == "__main__":
    main()
