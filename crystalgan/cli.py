"""Command line: ``crystalgan <stage>``; every Snakemake rule is one call of it."""

from __future__ import annotations

import argparse
import json
import logging
import os
import sys
import time
from pathlib import Path

from crystalgan import __version__
from crystalgan.artifacts import cpu_seconds
from crystalgan.config import defaults

log = logging.getLogger("crystalgan")
DEFAULTS = defaults()
TENSORFLOW_COMMANDS = ("train-stage1", "train-stage2", "generate")  # the commands whose jobs import TensorFlow


def _json(text: str) -> dict:
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise argparse.ArgumentTypeError(f"not valid JSON: {exc}") from None
    if not isinstance(value, dict):
        raise argparse.ArgumentTypeError("expected a JSON object")
    return value


def _add_system(p: argparse.ArgumentParser) -> None:
    p.add_argument("--a", required=True, metavar="ELEMENT", help="metal A (e.g. Pd)")
    p.add_argument("--b", required=True, metavar="ELEMENT", help="metal B (e.g. Ni)")


def _add_domain(p: argparse.ArgumentParser, flag: str, what: str, required: bool = True) -> None:
    """An encoded domain: its tensor file ``X.npy`` and its counts file ``X_counts.npy``."""
    p.add_argument(flag, nargs=2, required=required, type=Path, metavar=("TENSORS", "COUNTS"), help=what)


def cmd_methods(args) -> None:
    from crystalgan.methods import METHODS

    for name, spec in METHODS.items():
        print(f"{name:18} {spec.description}")


def cmd_prototypes(args) -> None:
    from crystalgan.config import metal_problem
    from crystalgan.prototypes import write_library

    for metal in args.metal:
        if problem := metal_problem(metal):
            raise ValueError(f"--metal {metal}: {problem}")
    relax = None
    if args.relax:
        relax = {
            "potential": args.potential,
            "fmax": args.fmax,
            "steps": args.steps,
            "optimizer": args.optimizer,
            "device": args.device,
        }
    for metal in args.metal:
        out = Path(args.out) / f"{metal}H"
        paths = write_library(metal, out, relax, args.threads)
        log.info("wrote %d prototypes for %s to %s", len(paths), metal, out)


def cmd_curate(args) -> None:
    from crystalgan.curate import curate

    options = {**DEFAULTS["curate"], **args.options}
    counts = curate(args.ah, args.bh, args.a, args.b, Path(args.out), options)
    log.info("curated: %s", counts)


def cmd_encode(args) -> None:
    from crystalgan.encoding import encode

    meta = encode(args.ah, args.bh, args.pairs, Path(args.out), args.system, args.a, args.b)
    log.info("encoded %d AH and %d BH structures", len(meta["ids"]["AH"]), len(meta["ids"]["BH"]))


def cmd_train_stage1(args) -> None:
    from crystalgan.stage1 import train_stage1

    train_stage1(args.ah, args.bh, Path(args.out), Path(args.checkpoints), args.options, args.seed, args.threads)


def cmd_transfer(args) -> None:
    from crystalgan.transfer import transfer

    transfer(args.meta, args.ah, args.bh, args.rec_a, args.rec_b, Path(args.out), args.mode)


def cmd_train_stage2(args) -> None:
    from crystalgan.stage2 import train_stage2

    train_stage2(
        args.ahb,
        args.bha,
        Path(args.out),
        Path(args.checkpoints),
        args.method,
        args.options,
        args.geometry,
        args.seed,
        args.threads,
        args.curated,
        args.meta,
    )


def cmd_generate(args) -> None:
    from crystalgan.generate import generate

    generate(
        args.model,
        args.weights,
        (args.input_a, args.input_b),
        args.meta,
        Path(args.out),
        args.samples,
        args.noise,
        args.seed,
        args.method,
        args.merge,
    )


def cmd_baseline(args) -> None:
    from crystalgan.baselines import baseline

    baseline(args.method, args.meta, (args.ah, args.bh), (args.ahb, args.bha), Path(args.out), args.samples, args.seed)


def cmd_filter(args) -> None:
    from crystalgan.filter import write_filtered

    write_filtered(
        (args.candidates, args.counts),
        args.info,
        args.curated,
        [d for d in (args.ahb, args.bha) if d],
        Path(args.out),
        Path(args.neighbours),
        args.d1,
        args.d2,
        args.threads,
        args.parts,
    )


def _part(text: str) -> tuple[int, int]:
    """'2-of-8' -> (2, 8)."""
    try:
        k, n = (int(v) for v in text.split("-of-"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected K-of-N, got {text!r}") from None
    if not 1 <= k <= n:
        raise argparse.ArgumentTypeError(f"part {k} of {n} does not exist")
    return k, n


def cmd_filter_part(args) -> None:
    from crystalgan.filter import write_part

    write_part(
        (args.candidates, args.counts),
        args.info,
        args.curated,
        Path(args.out),
        args.d1,
        args.d2,
        args.part,
        args.threads,
    )


def cmd_hull(args) -> None:
    from crystalgan.hull import hull

    hull(
        args.ah,
        args.bh,
        args.a,
        args.b,
        Path(args.out),
        args.potential,
        args.fmax,
        args.steps,
        args.optimizer,
        args.threads,
        args.device,
    )


def cmd_relax(args) -> None:
    from crystalgan.relax import relax_run

    if bool(args.parts) != bool(args.shortlist):
        raise ValueError("--parts and --shortlist go together: the parts relax that shortlist")
    options = {**DEFAULTS["relax"], **args.options}
    relax_run(
        args.filtered,
        (args.candidates, args.counts),
        args.info,
        args.hull,
        Path(args.out),
        Path(args.structures),
        options,
        args.threads,
        args.shortlist[0] if args.shortlist else None,
        args.parts,
    )


def cmd_shortlist(args) -> None:
    from crystalgan.relax import write_shortlist

    options = {**DEFAULTS["relax"], **args.options}
    write_shortlist(
        args.filtered, (args.candidates, args.counts), args.info, args.hull, Path(args.out), options, args.threads
    )


def cmd_relax_part(args) -> None:
    from crystalgan.relax import relax_part

    options = {**DEFAULTS["relax"], **args.options}
    relax_part(
        args.shortlist,
        (args.candidates, args.counts),
        args.info,
        args.hull,
        Path(args.out),
        options,
        args.part,
        args.threads,
    )


def cmd_report(args) -> None:
    from crystalgan.report import report

    relax = {**DEFAULTS["relax"], **args.relax_options}
    report(
        args.filtered, args.neighbours, Path(args.out), args.d1, args.d2, args.losses, args.relaxed, args.hulls, relax
    )


def _add_training(p: argparse.ArgumentParser) -> None:
    p.add_argument("--out", required=True, help="output folder: weights, model.json, losses.parquet")
    p.add_argument("--checkpoints", required=True, help="checkpoint folder; a rerun resumes from it")
    p.add_argument("--options", type=_json, required=True, help="JSON object: config section train")
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--threads", type=int, default=1, help="TensorFlow intra-op threads")


def _add_potential(p: argparse.ArgumentParser) -> None:
    relax = DEFAULTS["relax"]
    p.add_argument("--potential", default=relax["potential"], help="universal potential (default %(default)s)")
    p.add_argument("--fmax", type=float, default=relax["fmax"], help="eV/A (default %(default)s)")
    p.add_argument("--steps", type=int, default=relax["steps"], help="optimizer steps at most (default %(default)s)")
    p.add_argument("--optimizer", default=relax["optimizer"], help="ASE optimizer (default %(default)s)")
    p.add_argument("--device", default=relax["device"], help="auto, cpu or cuda (default %(default)s)")
    p.add_argument("--threads", type=int, default=1, help="torch threads")


def _add_relaxation(p: argparse.ArgumentParser, filtered: bool) -> None:
    """A run's candidates, the system's hull and the relax options."""
    if filtered:
        p.add_argument("--filtered", required=True, type=Path, help="the run's filtered.parquet")
    p.add_argument("--candidates", required=True, type=Path, help="the run's candidates.npy")
    p.add_argument("--counts", required=True, type=Path, help="candidates_counts.npy beside it")
    p.add_argument("--info", required=True, type=Path, help="candidates.json beside it")
    p.add_argument("--hull", required=True, type=Path, help="the system's hull.parquet")
    p.add_argument("--options", type=_json, default={}, help="JSON object: config section relax")
    p.add_argument("--threads", type=int, default=1, help="torch threads")


def _add_candidates(p: argparse.ArgumentParser) -> None:
    p.add_argument("--candidates", required=True, type=Path, help="candidates.npy written by generate or baseline")
    p.add_argument("--counts", required=True, type=Path, help="candidates_counts.npy beside it")
    p.add_argument("--info", required=True, type=Path, help="candidates.json beside it (system, metals, method)")
    p.add_argument(
        "--curated", nargs=2, required=True, type=Path, metavar=("AH", "BH"), help="curated AH.parquet and BH.parquet"
    )
    p.add_argument("--d1", type=float, default=DEFAULTS["filter"]["d1"])
    p.add_argument("--d2", type=float, default=DEFAULTS["filter"]["d2"])
    p.add_argument("--threads", type=int, default=1, help="worker processes for the geometry verdicts")


def build_parser() -> argparse.ArgumentParser:
    from crystalgan.methods import BASELINES, GENERATORS, STAGE2
    from crystalgan.transfer import MODES

    parser = argparse.ArgumentParser(prog="crystalgan", description=__doc__)
    parser.add_argument("--version", action="version", version=f"crystalgan {__version__}")
    parser.add_argument("-v", "--verbose", action="store_true", help="debug logging")
    sub = parser.add_subparsers(dest="command", required=True, metavar="STAGE")

    p = sub.add_parser("methods", help="list the methods a config can name, and what each does")
    p.set_defaults(func=cmd_methods)

    p = sub.add_parser("prototypes", help="write the prototype library of binary hydrides for some metals")
    p.add_argument("--metal", nargs="+", required=True, help="element symbols, e.g. Pd Ni")
    p.add_argument("--out", default="resources/poscar", help="parent folder; writes <out>/<M>H/ (default %(default)s)")
    p.add_argument(
        "--relax", action="store_true", help="relax every prototype with the potential, within its space group"
    )
    _add_potential(p)
    p.set_defaults(func=cmd_prototypes)

    p = sub.add_parser("curate", help="validate, deduplicate and pair two sets of binary hydride files")
    p.add_argument("--ah", nargs="+", required=True, type=Path, help="A-H structure files, or one folder of them")
    p.add_argument("--bh", nargs="+", required=True, type=Path, help="B-H structure files, or one folder of them")
    _add_system(p)
    p.add_argument(
        "--out", required=True, help="output folder: AH.parquet, BH.parquet, rejected.parquet, pairs.parquet"
    )
    p.add_argument("--options", type=_json, default={}, help="JSON object of curate options (config section curate)")
    p.set_defaults(func=cmd_curate)

    p = sub.add_parser("encode", help="encode curated tables into [N, 4, 18, 3] tensors")
    p.add_argument("--ah", required=True, type=Path, help="curated AH.parquet")
    p.add_argument("--bh", required=True, type=Path, help="curated BH.parquet")
    p.add_argument("--pairs", required=True, type=Path, help="curated pairs.parquet")
    p.add_argument("--out", required=True, help="output folder: {AH,BH}.npy, *_counts.npy, *.parquet, meta.json")
    p.add_argument("--system", required=True, help="system name, e.g. PdNiH")
    _add_system(p)
    p.set_defaults(func=cmd_encode)

    p = sub.add_parser("train-stage1", help="train the stage-1 cross-domain GAN on encoded A-H and B-H")
    _add_domain(p, "--ah", "encoded A-H: AH.npy AH_counts.npy")
    _add_domain(p, "--bh", "encoded B-H: BH.npy BH_counts.npy")
    _add_training(p)
    p.set_defaults(func=cmd_train_stage1)

    p = sub.add_parser("transfer", help="build the ternary stage-2 training sets from stage-1 outputs")
    p.add_argument("--meta", required=True, type=Path, help="encoded meta.json (partners)")
    _add_domain(p, "--ah", "encoded A-H: AH.npy AH_counts.npy")
    _add_domain(p, "--bh", "encoded B-H: BH.npy BH_counts.npy")
    _add_domain(p, "--rec-a", "stage 1's x_AHBA1.npy x_AHBA1_counts.npy")
    _add_domain(p, "--rec-b", "stage 1's y_BHAB1.npy y_BHAB1_counts.npy")
    p.add_argument("--out", required=True, help="output folder: AHB_g.npy, BHA_g.npy, counts.json")
    p.add_argument("--mode", choices=MODES, default=DEFAULTS["transfer"]["mode"])
    p.set_defaults(func=cmd_transfer)

    p = sub.add_parser("train-stage2", help="train the stage-2 model of a method on the ternary training sets")
    _add_domain(p, "--ahb", "AHB_g.npy AHB_g_counts.npy")
    _add_domain(p, "--bha", "BHA_g.npy BHA_g_counts.npy")
    p.add_argument("--method", required=True, choices=STAGE2)
    p.add_argument("--geometry", type=_json, default=DEFAULTS["geometry"], help="JSON: config section geometry")
    p.add_argument(
        "--curated", nargs=2, type=Path, metavar=("AH", "BH"), help="curated binaries (geometry target 'data')"
    )
    p.add_argument("--meta", type=Path, help="encoded meta.json (element names)")
    _add_training(p)
    p.set_defaults(func=cmd_train_stage2)

    p = sub.add_parser("generate", help="sample candidate structures from trained generators")
    p.add_argument("--model", required=True, type=Path, help="model.json of the trained model (stage1 or stage2)")
    p.add_argument("--weights", required=True, type=Path, help="weights.weights.h5 beside it")
    _add_domain(p, "--input-a", "generator inputs of the A side (AH or AHB_g tensors and counts)")
    _add_domain(p, "--input-b", "generator inputs of the B side (BH or BHA_g tensors and counts)")
    p.add_argument("--meta", required=True, type=Path, help="encoded meta.json (element names)")
    p.add_argument("--method", required=True, choices=GENERATORS)
    p.add_argument("--out", required=True, help="output folder: candidates.npy, candidates.json, poscar/")
    p.add_argument("--samples", type=int, default=DEFAULTS["generate"]["samples"])
    p.add_argument(
        "--noise", type=float, default=DEFAULTS["generate"]["noise"], help="input noise std, data-scale units"
    )
    p.add_argument(
        "--merge",
        type=float,
        default=DEFAULTS["generate"]["merge"],
        help="A: merge atoms of one element closer than this (0: off; default %(default)s)",
    )
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_generate)

    p = sub.add_parser("baseline", help="candidates from a baseline method (element substitution, random crystals)")
    p.add_argument("--method", required=True, choices=BASELINES)
    p.add_argument("--meta", required=True, type=Path, help="encoded meta.json (element names)")
    _add_domain(p, "--ah", "encoded A-H: AH.npy AH_counts.npy")
    _add_domain(p, "--bh", "encoded B-H: BH.npy BH_counts.npy")
    _add_domain(p, "--ahb", "AHB_g.npy AHB_g_counts.npy (compositions, volumes)")
    _add_domain(p, "--bha", "BHA_g.npy BHA_g_counts.npy")
    p.add_argument("--out", required=True, help="output folder: candidates.npy, candidates.json, poscar/")
    p.add_argument("--samples", type=int, default=DEFAULTS["generate"]["samples"])
    p.add_argument("--seed", type=int, default=0)
    p.set_defaults(func=cmd_baseline)

    p = sub.add_parser("filter", help="judge candidates by nearest-neighbour geometry and StructureMatcher (pymatgen)")
    _add_candidates(p)
    _add_domain(p, "--ahb", "AHB_g.npy AHB_g_counts.npy (stage-2 training ternaries, for novelty)", required=False)
    _add_domain(p, "--bha", "BHA_g.npy BHA_g_counts.npy", required=False)
    p.add_argument("--out", required=True, help="filtered.parquet to write")
    p.add_argument("--neighbours", required=True, help="neighbours.parquet to write (valid unique candidates)")
    p.add_argument(
        "--parts", nargs="*", type=Path, default=[], help="verdict tables from 'crystalgan filter-part' to gather"
    )
    p.set_defaults(func=cmd_filter)

    p = sub.add_parser("filter-part", help="geometry verdicts of one part of the candidates (scattered filter)")
    _add_candidates(p)
    p.add_argument("--part", type=_part, required=True, metavar="K-of-N", help="which part, e.g. 2-of-8")
    p.add_argument("--out", required=True, help="verdict table to write (.parquet)")
    p.set_defaults(func=cmd_filter_part)

    p = sub.add_parser("hull", help="relax a system's references (binaries, elements) with a potential: its hull")
    p.add_argument("--ah", required=True, type=Path, help="curated AH.parquet")
    p.add_argument("--bh", required=True, type=Path, help="curated BH.parquet")
    _add_system(p)
    _add_potential(p)
    p.add_argument("--out", required=True, type=Path, help="hull.parquet to write")
    p.set_defaults(func=cmd_hull)

    p = sub.add_parser("relax", help="relax a run's valid unique candidates; energy above the hull, symmetry, S.U.N.")
    _add_relaxation(p, filtered=True)
    p.add_argument("--out", required=True, type=Path, help="relaxed.parquet to write")
    p.add_argument("--structures", required=True, type=Path, help="folder for the relaxed CIF and POSCAR files")
    p.add_argument(
        "--shortlist", nargs="*", type=Path, default=[], help="with --parts: the shortlist.parquet the parts relaxed"
    )
    p.add_argument(
        "--parts", nargs="*", type=Path, default=[], help="folders written by relax-part: gather them, relax nothing"
    )
    p.set_defaults(func=cmd_relax)

    p = sub.add_parser("shortlist", help="the valid unique candidates of a run to relax (ranked, capped)")
    _add_relaxation(p, filtered=True)
    p.add_argument("--out", required=True, type=Path, help="shortlist.parquet to write")
    p.set_defaults(func=cmd_shortlist)

    p = sub.add_parser("relax-part", help="relax one part of a run's shortlist (a scattered relax job)")
    _add_relaxation(p, filtered=False)
    p.add_argument("--shortlist", required=True, type=Path, help="shortlist.parquet written by 'crystalgan shortlist'")
    p.add_argument("--part", type=_part, required=True, metavar="K-of-N", help="which part, e.g. 2-of-8")
    p.add_argument("--out", required=True, type=Path, help="folder to write: relaxed.parquet and structure files")
    p.set_defaults(func=cmd_relax_part)

    p = sub.add_parser("report", help="Table 2, nearest-neighbour tables and plots from the runs' filtered tables")
    p.add_argument("--filtered", nargs="+", required=True, type=Path, help="filtered.parquet of every run")
    p.add_argument("--neighbours", nargs="+", required=True, type=Path, help="neighbours.parquet of the same runs")
    p.add_argument("--losses", nargs="*", type=Path, default=[], help="losses.parquet of the training runs (curves)")
    p.add_argument("--relaxed", nargs="*", type=Path, default=[], help="relaxed.parquet of the same runs (if relaxed)")
    p.add_argument("--hulls", nargs="*", type=Path, default=[], help="hull.parquet of every system (if relaxed)")
    p.add_argument("--relax-options", type=_json, default={}, help="JSON object: config section relax")
    p.add_argument("--out", required=True, help="report folder")
    p.add_argument("--d1", type=float, default=DEFAULTS["filter"]["d1"])
    p.add_argument("--d2", type=float, default=DEFAULTS["filter"]["d2"])
    p.set_defaults(func=cmd_report)

    return parser


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = build_parser()
    args = parser.parse_args(argv)
    logging.getLogger("absl").setLevel(logging.WARNING)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    t0 = time.perf_counter()
    if args.command in TENSORFLOW_COMMANDS:
        from crystalgan.train import import_tensorflow

        import_tensorflow()
    try:
        args.func(args)
    except Exception as exc:  # one clear line for the user; the traceback with -v
        if args.verbose:
            raise
        log.error("%s failed: %s", args.command, exc)
        return 1
    log.info("%s done: wall %.1f s, CPU %.1f s", args.command, time.perf_counter() - t0, cpu_seconds())
    return 0


if __name__ == "__main__":
    sys.exit(main())
